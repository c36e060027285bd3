// `npm run bench`: every benchmark in turn; each prints one JSON object per figure per line.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const benches: [string, ...string[]][] = [
  ['translate.ts'],
  ['operator.ts', '--existing', '1000', '--added', '100'],
  ['xds-propagation.ts', '1000', '200', 'delta'],
  ['xds-propagation.ts', '1000', '200', 'sotw'],
  ['xds-throughput.ts'],
  ['e2e-propagation.ts', '1000', '200'],
  ['e2e-scale.ts', '10000', '200'],
  ['e2e-throughput.ts', '5'],
  // The ADS-fed Envoy against the minimal config (issue 14's three runs are three of these);
  // `all` adds every setting taken out one by one (about 13 minutes).
  ['envoy-settings.ts', '3', '9', 'none'],
];

let failed = 0;
for (const [file, ...args] of benches) {
  console.error(`bench: ${file} ${args.join(' ')}`);
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(here, file), ...args], {
    stdio: 'inherit',
  });
  if (r.status !== 0) failed++;
}
// The node agent's failover (Go, root): leader killed or its link down -> first new connection.
console.error('bench: agent/bench.sh');
if (spawnSync(path.join(here, '..', 'agent', 'bench.sh'), { stdio: 'inherit' }).status !== 0) failed++;
process.exit(failed ? 1 : 0);
