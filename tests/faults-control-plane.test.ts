// Control-plane faults under traffic: kube-apiserver and etcd are killed (SIGKILL) and restarted
// while a client sends a steady stream of requests through the Gateway. Envoy keeps serving from
// its last config (0 failed requests), the operator's watches resume, and a change made right
// after goes live. Failed requests and the time to reconverge are printed per fault.
import { startLocalCluster, type LocalCluster } from '../local/cluster.ts';
import { gatewayAddress } from '../local/demo.ts';
import {
  GATEWAY_YAML,
  httpRouteYaml,
  prefixRule,
  startEchoServices,
  statusReader,
  steadyStream,
  until,
} from './e2e-fixtures.ts';

describe('faults: kube-apiserver and etcd restarts under traffic', () => {
  let cluster: LocalCluster;
  let backends: Awaited<ReturnType<typeof startEchoServices>>;
  let address: string;
  const apply = (y: string) => cluster.controlPlane.applyYaml(y);

  beforeAll(async () => {
    cluster = await startLocalCluster({ poolCidr: '127.0.221.0/24' });
    backends = await startEchoServices(apply, ['echo-a', 'echo-b']);
    await apply(`${GATEWAY_YAML}---\n${httpRouteYaml('steady', [prefixRule('/steady', { 'echo-a': 1 })])}`);
    address = await gatewayAddress(statusReader(cluster.controlPlane.kubeConfig).api, 'gw');
    await until(address, '/steady', (s) => s === 200, '/steady serving');
  }, 120000);
  afterAll(async () => {
    await backends?.stop();
    await cluster?.stop();
  });

  it.each([
    ['kube-apiserver', () => cluster.controlPlane.restartApiserver()],
    ['etcd', () => cluster.controlPlane.restartEtcd()],
  ])(
    'serves throughout a %s restart, and a change made after it goes live',
    async (what, restart) => {
      const stream = steadyStream(address, '/steady', { maxRequests: 100000, maxMs: 90000 });
      await new Promise((r) => setTimeout(r, 1000));
      const t0 = Date.now();
      await restart();
      const restartedMs = Date.now() - t0;
      // The change is made once the component is back; the operator sees it only if its watches resumed.
      const path = `/after-${what}`;
      const t1 = Date.now();
      await apply(httpRouteYaml(`after-${what}`, [prefixRule(path, { 'echo-b': 1 })]));
      await until(address, path, (s) => s === 200, `${path} serving`);
      const reconvergeMs = Date.now() - t1;
      await new Promise((r) => setTimeout(r, 1000));
      const r = await stream.stop();
      process.stdout.write(
        `${what} restart: back in ${restartedMs} ms; change live ${reconvergeMs} ms after; ` +
          `${r.sent} requests, ${r.failures} failed\n`,
      );
      expect(r.samples).toEqual([]);
      expect(r.failures).toBe(0);
      expect(r.sent).toBeGreaterThan(20);
      expect(cluster.operator!.child.exitCode).toBeNull();
    },
    120000,
  );
});
