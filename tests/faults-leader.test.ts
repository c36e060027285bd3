// The leading operator replica is SIGKILLed while two Envoys are connected and a client sends a
// steady stream through the Gateway: 0 failed requests, the other replica takes the Lease, the
// Envoy that was on the dead replica reconnects to the live one, and a route change made right
// after reaches every Envoy.
import type { EnvoyHandle } from '../local/light/envoy.ts';
import { waitFor } from '../local/common/process.ts';
import {
  hasRoute,
  httpRouteYaml,
  prefixRule,
  startFaultCluster,
  underTraffic,
  until,
  type FaultCluster,
} from '../test-support/faults-fixtures.ts';
import { metric } from '../test-support/operator-harness.ts';

const LEASE_MS = 3000;

/** The xDS port Envoy's ADS stream is connected to. */
async function adsPort(envoy: EnvoyHandle): Promise<number | undefined> {
  const text = await envoy.admin('/clusters');
  const m = /^xds_cluster::127\.0\.0\.1:(\d+)::cx_active::([1-9])/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

describe('faults: the leading operator killed while Envoys are connected', () => {
  let f: FaultCluster;
  const leaderIndex = async () => {
    for (const [i, r] of f.cluster.operators.entries())
      if ((await metric(Number(new URL(r.url).port), 'portico_leader').catch(() => 0)) === 1) return i;
    return -1;
  };

  beforeAll(async () => {
    f = await startFaultCluster({
      poolCidr: '127.0.222.0/24',
      operators: 2,
      envoys: 2,
      leaseDurationMs: LEASE_MS,
    });
  }, 120000);
  afterAll(() => f?.stop());

  it('keeps serving, hands the Lease over and programs a change made right after on every Envoy', async () => {
    const { cluster } = f;
    let leader = -1;
    await waitFor('a leader', async () => (leader = await leaderIndex()) >= 0, { timeoutMs: 20000 });
    const leaderXds = cluster.operators[leader]!.xdsPort;
    // Each Envoy picks a replica at random: make sure at least one is on the leader.
    for (let attempt = 0; ; attempt++) {
      const ports = await Promise.all(cluster.envoys.map(adsPort));
      if (ports.includes(leaderXds)) break;
      if (attempt > 10)
        throw new Error(`no Envoy on the leader's xDS port ${leaderXds}: ${ports.join(', ')}`);
      await cluster.restartEnvoy(0);
      await waitFor('restarted Envoy has /steady', () => hasRoute(cluster.envoys[0]!, '/steady'));
    }
    const onLeader = (await Promise.all(cluster.envoys.map(adsPort))).filter((p) => p === leaderXds).length;
    const follower = 1 - leader;
    const followerXds = cluster.operators[follower]!.xdsPort;

    const { value, stream: r } = await underTraffic(f.address, async () => {
      const t0 = Date.now();
      await cluster.restartOperator(leader, { down: true });
      await f.apply(httpRouteYaml('after-failover', [prefixRule('/after-failover', { 'echo-b': 1 })]));
      await waitFor('the follower leads', async () => (await leaderIndex()) === follower, {
        timeoutMs: 4 * LEASE_MS + 10000,
      });
      const takeoverMs = Date.now() - t0;
      for (const e of cluster.envoys)
        await waitFor('the change on every Envoy', () => hasRoute(e, '/after-failover'), {
          timeoutMs: 60000,
        });
      const liveMs = Date.now() - t0;
      await until(f.address, '/after-failover', (s) => s === 200, '/after-failover serving');
      return { takeoverMs, liveMs };
    });
    process.stdout.write(
      `leader kill: ${onLeader} of 2 Envoys were on the leader; follower led after ${value.takeoverMs} ms ` +
        `(lease ${LEASE_MS} ms); change on both Envoys ${value.liveMs} ms after the kill; ` +
        `${r.sent} requests, ${r.failures} failed\n`,
    );
    expect(r.samples).toEqual([]);
    expect(r.failures).toBe(0);
    expect(r.sent).toBeGreaterThan(20);
    // Every Envoy now takes its config from the live replica.
    expect(await Promise.all(cluster.envoys.map(adsPort))).toEqual([followerXds, followerXds]);
  }, 180000);
});
