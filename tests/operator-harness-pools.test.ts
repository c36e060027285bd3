// Two runs of an echoSetup suite on one machine (two worktrees) ask for the same Gateway range: each
// must serve its own Gateways. Their Envoys share the host's network namespace and set SO_REUSEPORT,
// so on one VIP:port the kernel would hand each connection to either Envoy, and a client would get
// the other run's answers (404s, here).
import { startEnvoy } from '../local/light/envoy.ts';
import { freePort } from '../local/common/process.ts';
import { request, tally } from '../local/cli/client.ts';
import { renderBootstrap } from '../operator/xds/bootstrap.ts';
import { until } from '../test-support/e2e-fixtures.ts';
import {
  echoRouteYaml,
  echoSetup,
  eventually,
  gatewayYaml,
  get,
  startCluster,
  startOperatorProcess,
} from '../test-support/operator-harness.ts';

const POOL = '127.0.227.0/24';

describe('echoSetup suites given the same Gateway range', () => {
  const cleanups: (() => Promise<void>)[] = [];
  const addresses: string[] = [];

  beforeAll(async () => {
    // Run 0 routes / to its echo pod; run 1 has a Gateway and no route (404 for /).
    for (const i of [0, 1]) {
      const { cp, client } = await startCluster();
      cleanups.push(
        () => cp.stop(),
        async () => client.close(),
      );
      const echo = await echoSetup(cp, POOL, [
        gatewayYaml('web', [{ name: 'http', protocol: 'HTTP', port: 80 }]),
        ...(i === 0 ? [echoRouteYaml('web', 'web', ['/'])] : []),
      ]);
      cleanups.push(() => echo.stop());
      const xdsPort = await freePort();
      const { proc } = await startOperatorProcess(cp.kubeconfigPath, `run-${i}`, [
        '--xds-address=127.0.0.1',
        `--xds-port=${xdsPort}`,
        '--insecure-xds-plaintext-loopback',
        '--leader-election-id=',
        '--log-level=warn',
      ]);
      cleanups.push(() => proc.stop());
      const envoy = await startEnvoy(
        renderBootstrap({ xdsAddress: '127.0.0.1', xdsPort, nodeId: 'node-1', delta: true }),
        { waitReady: false },
      );
      cleanups.push(() => envoy.stop());
      addresses.push(
        await eventually(
          `run ${i}: Gateway web address`,
          async () => (await get(client, 'gateways', 'web'))?.status?.addresses?.[0]?.value,
          60000,
        ),
      );
    }
    await until(addresses[0]!, '/', (s) => s === 200, 'run 0 serving /');
    await until(addresses[1]!, '/', (s) => s === 404, "run 1's Gateway answering");
  }, 240000);
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('gives each run its own range', () => {
    expect(addresses[1]!.split('.').slice(0, 3)).not.toEqual(addresses[0]!.split('.').slice(0, 3));
  });

  it("answers every connection to a run's Gateway with that run's routes", async () => {
    // A fresh connection per request: with a shared VIP:port, about half would reach run 1.
    const seen = await tally(
      40,
      () => request('http', addresses[0]!, 80, '/', { timeoutMs: 5000 }),
      (r) => String(r.status),
    );
    expect(Object.fromEntries(seen)).toEqual({ '200': 40 });
  });
});
