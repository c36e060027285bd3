import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runConformance, type ConformanceResult } from '../local/conformance/run.ts';
import { testLog } from '../local/conformance/suite.ts';

// The upstream Gateway API conformance suite (GATEWAY-HTTP, -TLS, -GRPC, -TCP and -UDP, the features
// the GatewayClass claims) on a real-node cluster: several minutes warm, plus building the suite once.
describe('Gateway API conformance', () => {
  let dir: string;
  let result: ConformanceResult;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-conformance-test-'));
    // PORTICO_CONFORMANCE_REPORT keeps the run's report (e.g. to commit it from a verified CI run).
    const reportPath = process.env.PORTICO_CONFORMANCE_REPORT ?? path.join(dir, 'report.yaml');
    result = await runConformance({ dir, reportPath });
  }, 1200000);
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('passes every test it runs', () => {
    const failed = result.tests.filter((t) => t.result === 'FAIL').map((t) => t.name);
    // The suite's log goes with the run's folder: show why here, where CI keeps it.
    const output = failed.length ? fs.readFileSync(result.suiteLog, 'utf8') : '';
    for (const name of failed) console.error(`${name}:\n${testLog(output, name).slice(-120).join('\n')}`);
    expect(failed).toEqual([]);
    expect(result.exitCode).toBe(0);
  });

  it('passes every core test and every test of the claimed extended features', () => {
    const byName = Object.fromEntries((result.profiles ?? []).map((p) => [p.name, p]));
    expect(byName['GATEWAY-HTTP']?.core).toMatchObject({ passed: 36, failed: 0, skipped: 0 });
    expect(byName['GATEWAY-TLS']?.core).toMatchObject({ passed: 19, failed: 0, skipped: 0 });
    expect(byName['GATEWAY-GRPC']?.core).toMatchObject({ passed: 14, failed: 0, skipped: 0 });
    expect(byName['GATEWAY-TCP']?.core).toMatchObject({ passed: 18, failed: 0, skipped: 0 });
    expect(byName['GATEWAY-UDP']?.core).toMatchObject({ passed: 19, failed: 0, skipped: 0 });
    for (const p of Object.values(byName)) expect(p.extended?.failed ?? 0).toBe(0);
  });
});
