// Envoy restarts under traffic. Two Envoys (two nodes) bind the Gateway's address with
// SO_REUSEPORT, so the kernel spreads connections over both. One is killed and started again: if
// it listened before its routes and clusters arrived, requests would get 404 or 503 from it. The
// other Envoy is left alone: no listener of it is added, modified or removed.
import type { EnvoyHandle } from '../local/light/envoy.ts';
import { waitFor } from '../local/common/process.ts';
import { steadyStream, type StreamResult } from '../test-support/e2e-fixtures.ts';
import {
  hasRoute,
  listenerStats,
  startFaultCluster,
  underTraffic,
  type FaultCluster,
} from '../test-support/faults-fixtures.ts';

/** Requests this Envoy's Gateway listeners completed (its admin interface aside). */
async function served(envoy: EnvoyHandle): Promise<number> {
  const text = await envoy.admin('/stats?filter=downstream_rq_completed$');
  return text
    .split('\n')
    .filter((l) => l.startsWith('http.') && !l.startsWith('http.admin.'))
    .reduce((n, l) => n + Number(l.split(': ')[1] ?? 0), 0);
}

describe('faults: an Envoy restart under traffic', () => {
  let f: FaultCluster;

  beforeAll(async () => {
    f = await startFaultCluster({ poolCidr: '127.0.223.0/24', envoys: 2 });
  }, 120000);
  afterAll(() => f?.stop());

  it('comes back with the full config before it takes traffic; the other Envoy keeps its listeners', async () => {
    const other = f.cluster.envoys[1]!;
    const otherBefore = await listenerStats(other);
    let afterKill: { stop(): Promise<StreamResult> } | undefined;
    const { value, stream: all } = await underTraffic(f.address, async () => {
      const t0 = Date.now();
      const fresh = await f.cluster.restartEnvoy(0, {
        // From here on the old process is gone: a failure can only come from the new one.
        whileDown: () =>
          (afterKill = steadyStream(f.address, '/steady', { maxRequests: 100000, maxMs: 60000 })),
      });
      const startedMs = Date.now() - t0;
      // LIVE: the initial CDS/LDS and, through listener warming, their EDS/RDS have arrived.
      await waitFor('restarted Envoy LIVE', async () => (await fetch(`${fresh.adminUrl}/ready`)).ok, {
        timeoutMs: 30000,
      });
      const liveMs = Date.now() - t0;
      expect(await hasRoute(fresh, '/steady')).toBe(true);
      // It takes its share of the connections again.
      await waitFor('restarted Envoy serving', async () => (await served(fresh)) >= 50, { timeoutMs: 60000 });
      return { startedMs, liveMs, servedByFresh: await served(fresh) };
    });
    const after = await afterKill!.stop();
    process.stdout.write(
      `Envoy restart: admin up ${value.startedMs} ms, LIVE ${value.liveMs} ms after the kill; ` +
        `${all.sent} requests in all, ${all.failures} failed (connections the SIGKILL cut: ${JSON.stringify(all.samples)}); ` +
        `after the kill ${after.sent} requests, ${value.servedByFresh} through the restarted Envoy, ${after.failures} failed\n`,
    );
    expect(after.samples).toEqual([]);
    expect(after.failures).toBe(0);
    expect(await listenerStats(other)).toEqual(otherBefore);
  }, 120000);
});
