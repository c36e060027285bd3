// The operator with its xDS server and a real Envoy: a Gateway is Programmed only once Envoy
// has ACKed its listeners, and Envoy then answers on the Gateway's pool address.
import type { ControlPlane } from '../local/control-plane/control-plane.ts';
import { startEnvoy, type EnvoyHandle } from '../local/light/envoy.ts';
import { freePort } from '../local/common/process.ts';
import { parseFlags, runOperator, type RunningOperator } from '../operator/main.ts';
import type { KubeClient } from '../operator/kube/rest.ts';
import { renderBootstrap } from '../operator/xds/bootstrap.ts';
import {
  webGatewayYaml,
  cond,
  eventually,
  get,
  xdsOperatorFlags,
  poolYaml,
  claimPool,
  startCluster,
  type Obj,
} from '../test-support/operator-harness.ts';

describe('operator: Programmed follows Envoy ACKs (real kube-apiserver, real Envoy)', () => {
  let cp: ControlPlane;
  let client: KubeClient;
  let op: RunningOperator;
  let envoy: EnvoyHandle | undefined;
  let port: number;
  let pool: string;

  beforeAll(async () => {
    ({ cp, client } = await startCluster());
    pool = claimPool(cp);
    port = await freePort();
    await cp.applyYaml(`${webGatewayYaml([{ name: 'http', port }])}---\n${poolYaml(pool)}`);
    op = await runOperator(parseFlags(xdsOperatorFlags(cp.kubeconfigPath)));
  });
  afterAll(async () => {
    await envoy?.stop();
    await op?.stop();
    client?.close();
    await cp?.stop();
  });

  const programmed = (gw: Obj | undefined) => cond(gw?.status?.conditions, 'Programmed');

  it('keeps the Gateway Programmed=False while no Envoy has acknowledged it', async () => {
    const gw = await eventually('Gateway address and Accepted', async () => {
      const g = await get(client, 'gateways', 'web');
      return !!g?.status?.addresses?.length && cond(g.status.conditions, 'Accepted')?.status === 'True' && g;
    });
    expect(programmed(gw)?.status).toBe('False');
  });

  it('turns Programmed=True once Envoy ACKs, and Envoy serves the Gateway address', async () => {
    envoy = await startEnvoy(
      renderBootstrap({ xdsAddress: '127.0.0.1', xdsPort: op.xdsPort!, nodeId: 'node-1' }),
      {
        waitReady: false,
      },
    );
    const gw = await eventually('Programmed=True', async () => {
      const g = await get(client, 'gateways', 'web');
      return programmed(g)?.status === 'True' && g;
    });
    expect(programmed(gw)?.reason).toBe('Programmed');
    const ip = gw.status!.addresses![0]!.value;
    expect(ip.split('.').slice(0, 3)).toEqual(pool.split('.').slice(0, 3));
    // No route attached: Envoy's listener on the VIP answers 404.
    const res = await fetch(`http://${ip}:${port}/`);
    expect(res.status).toBe(404);
  });

  it('its way up (no address, waiting for Envoy, Programmed) gave Normal Events only, each once', async () => {
    await op.controller.idle();
    const events = (
      await client.request<{
        items: {
          type: string;
          reason: string;
          count: number;
          involvedObject: { kind: string; name: string };
        }[];
      }>('/api/v1/namespaces/default/events')
    ).items.filter((e) => e.involvedObject.kind === 'Gateway' && e.involvedObject.name === 'web');
    expect(events.map((e) => [e.type, e.reason, e.count]).sort()).toEqual([
      ['Normal', 'Accepted', 1],
      ['Normal', 'Programmed', 1],
    ]);
  });
});
