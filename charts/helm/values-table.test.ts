import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../local/images/node-apps.ts';
import { TABLE_END, TABLE_START, valuesTable } from './values-table.ts';

describe('README values table', () => {
  it('is the one generated from the values layer (run `npm run chart` to refresh it)', () => {
    const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const start = readme.indexOf(TABLE_START);
    const end = readme.indexOf(TABLE_END) + TABLE_END.length;
    expect(readme.slice(start, end)).toBe(valuesTable());
  });

  it('lists every value with its default', () => {
    const table = valuesTable();
    expect(table).toContain('| `operator.replicas` | integer | `2` |');
    expect(table).toContain(
      '| `envoy.logLevel` | trace \\| debug \\| info \\| warning \\| error \\| critical \\| off | `"info"` |',
    );
  });
});
