// The operator is killed (SIGKILL) and restarted with 1,000 routes in the cluster while a client
// streams requests through the Gateway. Envoy keeps serving from its last config while the
// operator is gone, and what the restarted operator sends is the same config: no listener is
// modified or removed (that would drain connections), and nothing fails.
import { RESOURCES } from '../operator/kube/resources.ts';
import { KubeClient } from '../operator/kube/rest.ts';
import {
  applyMany,
  httpRouteYaml,
  listenerStats,
  prefixRule,
  startFaultCluster,
  underTraffic,
  until,
  type FaultCluster,
} from '../test-support/faults-fixtures.ts';

const ROUTES = 1000;

describe('faults: an operator restart with 1,000 routes', () => {
  let f: FaultCluster;
  let client: KubeClient;

  beforeAll(async () => {
    f = await startFaultCluster({ poolCidr: '127.0.224.0/24' });
    client = new KubeClient(f.cluster.controlPlane.kubeConfig);
    const routes = Array.from({ length: ROUTES }, (_, i) => ({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: `r-${i}`, namespace: 'default' },
      spec: { parentRefs: [{ name: 'gw' }], rules: [prefixRule(`/r-${i}/`, { 'echo-b': 1 })] },
    }));
    expect(await applyMany(client, RESOURCES.httpRoutes, routes)).toEqual([]);
    for (const i of [0, ROUTES / 2, ROUTES - 1])
      await until(f.address, `/r-${i}/x`, (s) => s === 200, `/r-${i}/ serving`);
  }, 300000);
  afterAll(async () => {
    client?.close();
    await f?.stop();
  });

  it('keeps serving and sends Envoy nothing that drains a listener', async () => {
    const envoy = f.cluster.envoy!;
    const before = await listenerStats(envoy);
    const { value, stream: r } = await underTraffic(f.address, async () => {
      const t0 = Date.now();
      await f.cluster.restartOperator(0);
      const readyMs = Date.now() - t0;
      // A change made now is live only once the new operator has synced and pushed its config.
      await f.apply(httpRouteYaml('after-restart', [prefixRule('/after-restart', { 'echo-a': 1 })]));
      await until(f.address, '/after-restart', (s) => s === 200, '/after-restart serving');
      return { readyMs, liveMs: Date.now() - t0 };
    });
    for (const i of [0, ROUTES / 2, ROUTES - 1])
      await until(f.address, `/r-${i}/x`, (s) => s === 200, `/r-${i}/ still serving`);
    process.stdout.write(
      `operator restart at ${ROUTES} routes: ready ${value.readyMs} ms, a new route live ${value.liveMs} ms ` +
        `after the kill; ${r.sent} requests, ${r.failures} failed; listeners ${JSON.stringify(before)} -> ` +
        `${JSON.stringify(await listenerStats(envoy))}\n`,
    );
    expect(r.samples).toEqual([]);
    expect(r.failures).toBe(0);
    // The Gateway's listener is the same one: the route for /after-restart went by RDS.
    expect(await listenerStats(envoy)).toEqual(before);
  }, 180000);
});
