// constructs/imports/ is generated: regenerating it from the pinned CRDs with `cdk8s import` must
// reproduce the committed file exactly, so nobody hand-edits it and a version bump shows in review.
import fs from 'node:fs';
import { generateGatewayApiImports, importedFile } from '../constructs/import-gateway-api.ts';

describe('constructs/imports', () => {
  it('is what cdk8s import makes of the pinned Gateway API CRDs', () => {
    const committed = fs.readFileSync(importedFile, 'utf8');
    const fresh = generateGatewayApiImports();
    expect(fresh.length).toBe(committed.length);
    expect(fresh === committed).toBe(true);
  });
});
