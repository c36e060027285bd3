// Programmed tells the truth about the data plane: False while no Envoy runs the config, a NACK
// marks only the Gateway whose resource Envoy refused (the others stay Programmed and their
// changes keep going live), and a listener Envoy cannot serve says so in its own conditions.
import { stringify } from 'yaml';
import type { ControlPlane } from '../local/control-plane/control-plane.ts';
import { startEnvoy, type EnvoyHandle } from '../local/light/envoy.ts';
import type { Pod } from '../local/light/pods.ts';
import { parseFlags, runOperator, type RunningOperator } from '../operator/main.ts';
import type { KubeClient } from '../operator/kube/rest.ts';
import { renderBootstrap } from '../operator/xds/bootstrap.ts';
import {
  cond,
  echoSetup,
  echoRouteYaml,
  eventually,
  gatewayYaml,
  get,
  operatorFlags,
  startCluster,
  tlsSecretYaml,
  type Obj,
} from '../test-support/operator-harness.ts';

const gateway = gatewayYaml;
const route = (name: string, parent: string, prefix: string, filters: unknown[] = []) =>
  echoRouteYaml(name, parent, [prefix], filters);

describe('operator: Programmed follows what Envoy runs (real kube-apiserver, real Envoy)', () => {
  let cp: ControlPlane;
  let client: KubeClient;
  let op: RunningOperator;
  let envoy: EnvoyHandle | undefined;
  let echo: Pod;

  beforeAll(async () => {
    ({ cp, client } = await startCluster());
    echo = await echoSetup(cp, '127.0.206.0/24', [
      gateway('a', [{ name: 'http', protocol: 'HTTP', port: 80 }]),
      gateway('b', [{ name: 'http', protocol: 'HTTP', port: 80 }]),
      route('a-ok', 'a', '/a'),
      route('b-ok', 'b', '/b'),
    ]);
    const flags = operatorFlags(cp.kubeconfigPath, [
      '--xds-address=127.0.0.1',
      '--xds-port=0',
      '--insecure-xds-plaintext-loopback',
      // No periodic reconcile within the test: only Envoy's own events may move Programmed.
      '--resync-ms=3600000',
    ]).filter((f) => f !== '--xds-port=-1');
    op = await runOperator(parseFlags(flags));
  });
  afterAll(async () => {
    await envoy?.stop();
    await op?.stop();
    await echo?.stop();
    client?.close();
    await cp?.stop();
  });

  const startNodeEnvoy = async () => {
    envoy = await startEnvoy(
      renderBootstrap({ xdsAddress: '127.0.0.1', xdsPort: op.xdsPort!, nodeId: 'node-1', delta: true }),
      { waitReady: false },
    );
  };
  const programmed = async (name: string) =>
    cond((await get(client, 'gateways', name))?.status?.conditions, 'Programmed');
  const programmedIs = (name: string, status: string) =>
    eventually(
      `Gateway ${name} Programmed=${status}`,
      async () => {
        const c = await programmed(name);
        return c?.status === status && c;
      },
      30000,
    );
  const address = async (name: string) =>
    (await get(client, 'gateways', name))?.status?.addresses?.[0]?.value;
  const serves = (gw: string, path: string) =>
    eventually(
      `${path} through Gateway ${gw}`,
      async () => {
        const ip = await address(gw);
        if (!ip) return false;
        const res = await fetch(`http://${ip}/${path.replace(/^\//, '')}`, {
          signal: AbortSignal.timeout(2000),
        });
        return res.status === 200;
      },
      30000,
    );
  const listener = (gw: Obj | undefined, name: string, type: string) =>
    cond(gw?.status?.listeners?.find((l) => l.name === name)?.conditions, type);

  it('no Envoy connected: Programmed=False, Pending, saying no Envoy is connected', async () => {
    await eventually('Gateway a has an address', async () => address('a'));
    const c = await eventually('Gateway a Programmed written', async () => programmed('a'));
    expect(c).toMatchObject({ status: 'False', reason: 'Pending' });
    expect(c.message).toMatch(/no Envoy is connected/);
  });

  it('an Envoy connects and ACKs: Programmed=True', async () => {
    await startNodeEnvoy();
    expect(await programmedIs('a', 'True')).toMatchObject({ reason: 'Programmed' });
    await programmedIs('b', 'True');
    await serves('a', '/a');
  });

  it('the only Envoy goes away: Programmed=False/Pending again; it comes back: True', async () => {
    await envoy!.stop();
    envoy = undefined;
    const c = await programmedIs('a', 'False');
    expect(c).toMatchObject({ reason: 'Pending' });
    expect(c.message).toMatch(/no Envoy is connected/);
    await startNodeEnvoy();
    await programmedIs('a', 'True');
  });

  it('a NACK marks only the Gateway at fault; the other stays Programmed and its changes go live', async () => {
    // A header value with a line break: the CRD takes it, Envoy refuses the route (a real NACK).
    await cp.applyYaml(
      route('a-bad', 'a', '/a-bad', [
        {
          type: 'RequestHeaderModifier',
          requestHeaderModifier: { add: [{ name: 'x-bad', value: 'line\nbreak' }] },
        },
      ]),
    );
    const a = await programmedIs('a', 'False');
    expect(a).toMatchObject({ reason: 'Invalid' });
    expect(a.message).toMatch(/^Envoy rejected: routes: /);
    expect(await programmed('b')).toMatchObject({ status: 'True', reason: 'Programmed' });
    // Gateway b's next change reaches Envoy, and b reports it programmed.
    await cp.applyYaml(route('b-new', 'b', '/b-new'));
    await serves('b', '/b-new');
    await eventually('b Programmed=True with b-new', async () => (await programmed('b'))?.status === 'True');
    await serves('a', '/a');
    // The bad route gone, Gateway a recovers.
    await client.request('/apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes/a-bad', {
      method: 'DELETE',
    });
    await programmedIs('a', 'True');
  });

  it('a TLS passthrough listener with no route says it is not programmed, until a route attaches', async () => {
    await cp.applyYaml(
      gateway('tls', [{ name: 'tls', protocol: 'TLS', port: 443, tls: { mode: 'Passthrough' } }]),
    );
    const p = await eventually('listener tls Programmed=False', async () => {
      const c = listener(await get(client, 'gateways', 'tls'), 'tls', 'Programmed');
      return c?.status === 'False' && c;
    });
    expect(p.reason).toBe('Invalid');
    expect(p.message).toMatch(/no TLSRoute/);
    await cp.applyYaml(
      stringify({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'TLSRoute',
        metadata: { name: 'tls', namespace: 'default' },
        spec: {
          parentRefs: [{ name: 'tls' }],
          hostnames: ['tls.example'],
          rules: [{ backendRefs: [{ name: 'echo', port: 80 }] }],
        },
      }),
    );
    await eventually('listener tls Programmed=True', async () => {
      const c = listener(await get(client, 'gateways', 'tls'), 'tls', 'Programmed');
      return c?.status === 'True';
    });
  });

  it('an HTTPS listener without a valid certificate: ResolvedRefs=False InvalidCertificateRef, Programmed=False Invalid', async () => {
    const secret = JSON.parse(tlsSecretYaml('mismatched', 'default', ['x.example'])) as {
      data: Record<string, string>;
    };
    // A key that is not the certificate's: Envoy could not serve it.
    secret.data['tls.key'] = (
      JSON.parse(tlsSecretYaml('other', 'default', ['y.example'])) as typeof secret
    ).data['tls.key']!;
    await cp.applyYaml(JSON.stringify(secret));
    await cp.applyYaml(
      gateway('https', [
        { name: 'https', protocol: 'HTTPS', port: 443, tls: { certificateRefs: [{ name: 'mismatched' }] } },
        { name: 'http', protocol: 'HTTP', port: 80 },
      ]),
    );
    const gw = await eventually('listener https ResolvedRefs=False', async () => {
      const g = await get(client, 'gateways', 'https');
      return listener(g, 'https', 'ResolvedRefs')?.status === 'False' && g;
    });
    expect(listener(gw, 'https', 'ResolvedRefs')).toMatchObject({ reason: 'InvalidCertificateRef' });
    expect(listener(gw, 'https', 'Programmed')).toMatchObject({ status: 'False', reason: 'Invalid' });
  });
});
