// Control-plane faults under traffic: kube-apiserver and etcd are killed (SIGKILL) and restarted
// while a client sends a steady stream of requests through the Gateway. Envoy keeps serving from
// its last config (0 failed requests), the operator's watches resume, and a change made right
// after goes live. Failed requests and the time to reconverge are printed per fault.
import {
  httpRouteYaml,
  prefixRule,
  startFaultCluster,
  underTraffic,
  until,
  type FaultCluster,
} from '../test-support/faults-fixtures.ts';

describe('faults: kube-apiserver and etcd restarts under traffic', () => {
  let f: FaultCluster;

  beforeAll(async () => {
    f = await startFaultCluster({ poolCidr: '127.0.221.0/24' });
  }, 120000);
  afterAll(() => f?.stop());

  it.each([
    ['kube-apiserver', () => f.cluster.controlPlane.restartApiserver()],
    ['etcd', () => f.cluster.controlPlane.restartEtcd()],
  ])(
    'serves throughout a %s restart, and a change made after it goes live',
    async (what, restart) => {
      const path = `/after-${what}`;
      const { value, stream: r } = await underTraffic(f.address, async () => {
        const t0 = Date.now();
        await restart();
        const restartedMs = Date.now() - t0;
        // Made once the component is back: the operator sees it only if its watches resumed.
        const t1 = Date.now();
        await f.apply(httpRouteYaml(`after-${what}`, [prefixRule(path, { 'echo-b': 1 })]));
        await until(f.address, path, (s) => s === 200, `${path} serving`);
        return { restartedMs, reconvergeMs: Date.now() - t1 };
      });
      process.stdout.write(
        `${what} restart: back in ${value.restartedMs} ms; change live ${value.reconvergeMs} ms after; ` +
          `${r.sent} requests, ${r.failures} failed\n`,
      );
      expect(r.samples).toEqual([]);
      expect(r.failures).toBe(0);
      expect(r.sent).toBeGreaterThan(20);
      expect(f.cluster.operator!.child.exitCode).toBeNull();
    },
    120000,
  );
});
