// `npm run conformance [-- --run-test NAME] [--skip-tests A,B] [--extra-features F,G] [--report FILE]
//  [--profiles P,Q] [--nodes N] [--dir DIR]`
import { parseArgs } from 'node:util';
import { versions } from '../toolchain/versions.ts';
import { runConformance } from './run.ts';

const DEFAULT_REPORT = `docs/conformance/gateway-api-${versions.gatewayApi}-report.yaml`;

const { values } = parseArgs({
  options: {
    'run-test': { type: 'string' },
    'skip-tests': { type: 'string' },
    'extra-features': { type: 'string' },
    report: { type: 'string' },
    profiles: { type: 'string' },
    nodes: { type: 'string' },
    dir: { type: 'string' },
  },
  strict: true,
});
if (process.getuid?.() !== 0) {
  console.error("conformance: needs root (network namespaces, the nodes' containerd): run it with sudo");
  process.exit(2);
}
// A partial run's report, or one with unclaimed features, would misstate Portico: only on request.
const partial = Boolean(values['run-test'] || values['skip-tests'] || values['extra-features']);
const log = (line: string) => console.log(`conformance: ${line}`);
try {
  const r = await runConformance({
    runTest: values['run-test'],
    skipTests: values['skip-tests']?.split(',').filter(Boolean),
    extraFeatures: values['extra-features']?.split(',').filter(Boolean),
    profiles: values.profiles?.split(',').filter(Boolean),
    reportPath: values.report ?? (partial ? undefined : DEFAULT_REPORT),
    nodes: values.nodes === undefined ? undefined : Number(values.nodes),
    dir: values.dir,
    log,
  });
  const failed = r.tests.filter((t) => t.result === 'FAIL').map((t) => t.name);
  const passed = r.tests.filter((t) => t.result === 'PASS').length;
  log(
    `${passed} passed, ${failed.length} failed in ${r.seconds.toFixed(0)} s${failed.length ? `: ${failed.join(', ')}` : ''}`,
  );
  if (r.table) console.log(`\n${r.table}\n`);
  process.exit(r.exitCode === 0 && failed.length === 0 ? 0 : 1);
} catch (err) {
  console.error(`conformance: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
