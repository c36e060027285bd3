// What one route change (and a resync with none) costs, against a real kube-apiserver, a real Envoy and a backend pod: the
// change and Envoy's ACK are translated; our own status write coming back through the watch is not.
import { stringify } from 'yaml';
import type { ControlPlane } from '../local/control-plane/control-plane.ts';
import type { EnvoyHandle } from '../local/light/envoy.ts';
import type { Pod } from '../local/light/pods.ts';
import { freePort } from '../local/common/process.ts';
import { startBackend } from '../local/light/workloads.ts';
import { serviceYaml } from '../test-support/service-yaml.ts';
import type { RunningOperator } from '../operator/main.ts';
import type { KubeClient } from '../operator/kube/rest.ts';
import {
  claimPool,
  cond,
  eventually,
  get,
  metric,
  operatorWithEnvoy,
  poolYaml,
  settled,
  startCluster,
  webGatewayYaml,
} from '../test-support/operator-harness.ts';

const APP_PORT = 8080;

const routeYaml = (path: string, labels: Record<string, string> = {}) =>
  stringify({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'app', namespace: 'default', labels },
    spec: {
      parentRefs: [{ name: 'web' }],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: path } }],
          backendRefs: [{ name: 'app', port: APP_PORT }],
        },
      ],
    },
  });

describe('operator: the cost of one route change (real kube-apiserver, real Envoy, a backend pod)', () => {
  let cp: ControlPlane;
  let client: KubeClient;
  let op: RunningOperator;
  let envoy: EnvoyHandle | undefined;
  let pod: Pod | undefined;
  let port: number;
  let vip: string;

  const translations = () =>
    metric(op.metricsPort, 'portico_reconcile_total', 'phase="translate",result="ok"');
  const echoes = () => metric(op.metricsPort, 'portico_status_echoes_total', 'kind="HTTPRoute"');
  const serves = async (path: string) =>
    (
      await fetch(`http://${vip}:${port}${path}/x`, { signal: AbortSignal.timeout(2000) }).catch(
        () => undefined,
      )
    )?.status === 200;
  const settle = () => settled(translations, 2000);
  const routeStatusAt = async (generation: number) =>
    eventually(
      `route status for generation ${generation}`,
      async () => {
        const r = await get(client, 'httpRoutes', 'app');
        const accepted = cond(r?.status?.parents?.[0]?.conditions, 'Accepted');
        return accepted?.status === 'True' && accepted.observedGeneration === generation && r;
      },
      60000,
    );

  beforeAll(async () => {
    ({ cp, client } = await startCluster());
    port = await freePort();
    pod = await startBackend('prop-a', 'echo', APP_PORT);
    await cp.applyYaml(
      [
        webGatewayYaml([{ name: 'http', port }]),
        poolYaml(claimPool(cp)),
        serviceYaml('app', APP_PORT, APP_PORT, [pod.ip]),
        routeYaml('/one'),
      ].join('\n---\n'),
    );
    // A resync every 2 s: with nothing changed, it must translate nothing.
    ({ op, envoy, vip } = await operatorWithEnvoy(cp, client, 'web', 2000));
    await eventually('/one served', () => serves('/one'), 60000);
  }, 180000);

  afterAll(async () => {
    await envoy?.stop();
    await op?.stop();
    await pod?.stop();
    client?.close();
    await cp?.stop();
  });

  it('translates a route edit and its ACK, and not the status write that comes back', async () => {
    const before = await settle();
    const echoesBefore = await echoes();
    await cp.applyYaml(routeYaml('/two'));
    await eventually('/two served', () => serves('/two'), 60000);
    await routeStatusAt(2);
    // The edit, then Envoy's ACK (which makes it Programmed); the written status echoes for free.
    expect((await settle()) - before).toBeLessThanOrEqual(2);
    expect(await echoes()).toBeGreaterThan(echoesBefore);
    expect(await serves('/one')).toBe(false);
  }, 120000);

  it('still translates a label change, which keeps the generation and the status', async () => {
    const before = await settle();
    await cp.applyYaml(routeYaml('/two', { team: 'a' }));
    await eventually('a translation', async () => (await translations()) > before, 60000);
    expect(await serves('/two')).toBe(true);
  }, 120000);

  it('resyncs without translating when nothing changed, and still runs the writes', async () => {
    const before = await settle();
    const writes = () => metric(op.metricsPort, 'portico_reconcile_total', 'phase="write"');
    const writesBefore = await writes();
    await new Promise((r) => setTimeout(r, 7000));
    expect(await translations()).toBe(before);
    expect(await writes()).toBeGreaterThan(writesBefore);
  }, 120000);
});
