// Two light clusters on one machine (two runs, e.g. two worktrees' suites or benchmarks) asked for
// the same Gateway range: each must serve its own Gateways. Their Envoys share the host's network
// namespace and set SO_REUSEPORT, so on one VIP:port the kernel would hand each connection to
// either Envoy, and a client would get the other cluster's answers (404s, here).
import { CustomObjectsApi } from '@kubernetes/client-node';
import { startLocalCluster, type LocalCluster } from '../local/light/cluster.ts';
import { gatewayAddress } from '../local/cli/demo.ts';
import { echoHost, request, tally } from '../local/cli/client.ts';
import {
  GATEWAY_YAML,
  httpRouteYaml,
  prefixRule,
  startEchoServices,
  until,
} from '../test-support/e2e-fixtures.ts';

const POOL = '127.0.226.0/24';

describe('light clusters given the same Gateway range', () => {
  const clusters: LocalCluster[] = [];
  const backends: { stop(): Promise<void> }[] = [];
  const addresses: string[] = [];

  beforeAll(async () => {
    // Cluster 0 routes / to its echo pod; cluster 1 has a Gateway and no route (404 for /).
    for (const i of [0, 1]) {
      const c = await startLocalCluster({ poolCidr: POOL });
      clusters.push(c);
      const apply = (y: string) => c.controlPlane.applyYaml(y);
      if (i === 0) {
        backends.push(await startEchoServices(apply, ['pool-echo']));
        await apply(GATEWAY_YAML + '---\n' + httpRouteYaml('all', [prefixRule('/', { 'pool-echo': 1 })]));
      } else await apply(GATEWAY_YAML);
      addresses.push(await gatewayAddress(c.controlPlane.kubeConfig.makeApiClient(CustomObjectsApi), 'gw'));
    }
    await until(addresses[0]!, '/', (s) => s === 200, 'cluster 0 serving /');
    await until(addresses[1]!, '/', (s) => s === 404, "cluster 1's Gateway answering");
  }, 240000);
  afterAll(async () => {
    for (const b of backends) await b.stop();
    for (const c of clusters) await c.stop();
  });

  it('gives each cluster its own range', () => {
    expect(clusters[0]!.poolCidr).toBe(POOL);
    expect(clusters[1]!.poolCidr).not.toBe(POOL);
    expect(addresses[1]).not.toBe(addresses[0]);
  });

  it("answers every connection to a cluster's Gateway with that cluster's routes", async () => {
    // A fresh connection per request: with a shared VIP:port, about half would reach cluster 1.
    const seen = await tally(
      40,
      () => request('http', addresses[0]!, 80, '/', { timeoutMs: 5000 }),
      echoHost,
    );
    expect(Object.fromEntries(seen)).toEqual({ 'pool-echo': 40 });
  });
});
