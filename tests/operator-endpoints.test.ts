// The endpoint path against a real kube-apiserver, a real Envoy and two backend pods: an
// EndpointSlice change reaches Envoy as EDS while the route translation count stays where it was.
import { stringify } from 'yaml';
import type { ControlPlane } from '../local/control-plane/control-plane.ts';
import type { EnvoyHandle } from '../local/light/envoy.ts';
import type { Pod } from '../local/light/pods.ts';
import { freePort } from '../local/common/process.ts';
import { endpointSliceYaml, startBackend } from '../local/light/workloads.ts';
import { serviceYaml } from '../test-support/service-yaml.ts';
import type { RunningOperator } from '../operator/main.ts';
import type { KubeClient } from '../operator/kube/rest.ts';
import {
  claimPool,
  eventually,
  metric,
  operatorWithEnvoy,
  poolYaml,
  settled,
  startCluster,
  webGatewayYaml,
} from '../test-support/operator-harness.ts';

const APP_PORT = 8080;

describe('operator: the endpoint path (real kube-apiserver, real Envoy, backend pods)', () => {
  let cp: ControlPlane;
  let client: KubeClient;
  let op: RunningOperator;
  let envoy: EnvoyHandle | undefined;
  const pods: Pod[] = [];
  let port: number;
  let vip: string;

  const translations = () => metric(op.metricsPort, 'portico_reconcile_total', 'result="ok"');
  const edsPushes = () => metric(op.metricsPort, 'portico_endpoint_pushes_total');
  const hostname = async () => {
    const res = await fetch(`http://${vip}:${port}/app/x`, { signal: AbortSignal.timeout(2000) });
    return res.ok ? /Hostname: (\S+)/.exec(await res.text())?.[1] : undefined;
  };
  const settle = () => settled(translations);

  beforeAll(async () => {
    ({ cp, client } = await startCluster());
    port = await freePort();
    pods.push(await startBackend('eds-a', 'echo', APP_PORT), await startBackend('eds-b', 'echo', APP_PORT));
    await cp.applyYaml(
      [
        webGatewayYaml([{ name: 'http', port }]),
        poolYaml(claimPool(cp)),
        serviceYaml('app', APP_PORT, APP_PORT, [pods[0]!.ip]),
        stringify({
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind: 'HTTPRoute',
          metadata: { name: 'app', namespace: 'default' },
          spec: {
            parentRefs: [{ name: 'web' }],
            rules: [
              {
                matches: [{ path: { type: 'PathPrefix', value: '/app' } }],
                backendRefs: [{ name: 'app', port: APP_PORT }],
              },
            ],
          },
        }),
      ].join('\n---\n'),
    );
    ({ op, envoy, vip } = await operatorWithEnvoy(cp, client));
    await eventually('served by eds-a', async () => (await hostname().catch(() => undefined)) === 'eds-a');
  }, 180000);

  afterAll(async () => {
    await envoy?.stop();
    await op?.stop();
    for (const p of pods) await p.stop();
    client?.close();
    await cp?.stop();
  });

  it('moves traffic to a new endpoint without translating routes again', async () => {
    const before = await settle();
    const pushesBefore = await edsPushes();
    const svc = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'app', namespace: 'default' },
      spec: { ports: [{ name: 'http', port: APP_PORT, targetPort: APP_PORT, protocol: 'TCP' }] },
    };
    await cp.applyYaml(endpointSliceYaml(svc, [pods[1]!.ip]));
    await eventually('served by eds-b', async () => (await hostname().catch(() => undefined)) === 'eds-b');
    // The ACK of the endpoints-only push must not start a translation either.
    expect(await settle()).toBe(before);
    expect(await edsPushes()).toBe(pushesBefore + 1);
    const eds = JSON.parse(await envoy!.admin('/config_dump?include_eds')) as unknown;
    expect(JSON.stringify(eds)).toContain(pods[1]!.ip);
  }, 120000);

  it('still translates when a Service (not its endpoints) changes', async () => {
    const before = await settle();
    await cp.applyYaml(
      stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'app', namespace: 'default', labels: { touched: 'yes' } },
        spec: { ports: [{ name: 'http', port: APP_PORT, targetPort: APP_PORT, protocol: 'TCP' }] },
      }),
    );
    await eventually('a translation', async () => (await translations()) > before);
    expect(await hostname()).toBe('eds-b');
  }, 120000);
});
