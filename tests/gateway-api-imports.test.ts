// Both Gateway API type sets are generated (`npm run generate:api`): regenerating them from the
// pinned CRDs must reproduce the committed files exactly, so nobody hand-edits them and a version
// bump shows in review.
import fs from 'node:fs';
import { generateGatewayApiImports, importedFile } from '../constructs/import-gateway-api.ts';
import { generate, generatedFile } from '../operator/api/generate.ts';

describe('generated Gateway API types', () => {
  it('constructs/imports is what cdk8s import makes of the pinned CRDs', () => {
    const committed = fs.readFileSync(importedFile, 'utf8');
    const fresh = generateGatewayApiImports();
    expect(fresh.length).toBe(committed.length);
    expect(fresh === committed).toBe(true);
  });

  it('operator/api is what json-schema-to-typescript makes of the same CRDs', async () => {
    const committed = fs.readFileSync(generatedFile, 'utf8');
    const fresh = await generate();
    expect(fresh.length).toBe(committed.length);
    expect(fresh === committed).toBe(true);
  });
});
