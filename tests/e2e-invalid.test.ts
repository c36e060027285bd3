// Bad input gets a clear answer and loses nothing: objects the CRD schema accepts but the data
// plane cannot take (or the translator rejects) get a readable condition, the operator stays up,
// and the routes that were serving keep answering 200 the whole time.
import { stringify } from 'yaml';
import { startLocalCluster, type LocalCluster } from '../local/light/cluster.ts';
import { gatewayAddress } from '../local/cli/demo.ts';
import { waitFor } from '../local/common/process.ts';
import {
  httpRouteYaml,
  prefixRule,
  GATEWAY_YAML,
  startEchoServices,
  statusReader,
  steadyStream,
  until,
  type Cond,
  type StreamResult,
} from '../test-support/e2e-fixtures.ts';

const regexRoute = (name: string, match: Record<string, unknown>) =>
  httpRouteYaml(name, [{ matches: [match], backendRefs: [{ name: 'echo-a', port: 80 }] }]);

describe('invalid input through the whole system', () => {
  let cluster: LocalCluster;
  let backends: Awaited<ReturnType<typeof startEchoServices>>;
  let st: ReturnType<typeof statusReader>;
  let address: string;
  let stream: ReturnType<typeof steadyStream>;
  const apply = (y: string) => cluster.controlPlane.applyYaml(y);
  const healthy = async () => (await fetch(`${cluster.operatorUrl}/healthz`)).ok;

  beforeAll(async () => {
    // A VIP range of its own, so no other local cluster's Envoy on this machine shares the address.
    // No periodic reconcile: every status change here must come from its own event (a NACK, an ACK).
    cluster = await startLocalCluster({ poolCidr: '127.0.202.0/24', operatorArgs: ['--resync-ms=3600000'] });
    const kc = cluster.controlPlane.kubeConfig;
    st = statusReader(kc);
    backends = await startEchoServices(apply, ['echo-a']);
    await apply(GATEWAY_YAML + '---\n' + httpRouteYaml('good', [prefixRule('/good', { 'echo-a': 1 })]));
    address = await gatewayAddress(st.api, 'gw');
    await until(address, '/good', (s) => s === 200, '/good serving');
    stream = steadyStream(address, '/good', { maxRequests: 20000, maxMs: 150000 });
  }, 120000);
  afterAll(async () => {
    await stream?.stop();
    await backends?.stop();
    await cluster?.stop();
  });

  // Each bad object must leave later changes to the same Gateway flowing: a route applied after it works.
  let n = 0;
  const laterRouteServes = async () => {
    const name = `later-${n++}`;
    await apply(httpRouteYaml(name, [prefixRule(`/${name}`, { 'echo-a': 1 })]));
    await until(address, `/${name}`, (s) => s === 200, `/${name} serving after the bad object`);
  };

  it.each([
    [
      'a path regex with lookahead',
      { path: { type: 'RegularExpression', value: '/bad-path(?=x)' } },
      'bad-path',
    ],
    [
      'a header regex with a backreference',
      {
        path: { type: 'PathPrefix', value: '/bad-header' },
        headers: [{ type: 'RegularExpression', name: 'x-a', value: '(a)\\1' }],
      },
      'bad-header',
    ],
    [
      'a query param regex that does not compile',
      {
        path: { type: 'PathPrefix', value: '/bad-query' },
        queryParams: [{ type: 'RegularExpression', name: 'q', value: '[' }],
      },
      'bad-query',
    ],
  ])('refuses %s with Accepted=False UnsupportedValue', async (_what, match, name) => {
    await apply(regexRoute(name, match));
    const c = await st.routeCondition(name, 'gw', 'Accepted');
    expect(c).toMatchObject({ status: 'False', reason: 'UnsupportedValue' });
    expect(c.message).toMatch(/regular expression/);
    await laterRouteServes();
    // Nothing was sent to Envoy that it refused: the Gateway stays Programmed.
    await gatewayAddress(st.api, 'gw', 10000);
    expect(await healthy()).toBe(true);
  });

  it('serves a long regex that RE2 takes (over the default Envoy program size limit of 100)', async () => {
    await apply(regexRoute('long-regex', { path: { type: 'RegularExpression', value: '/long/[a-z]{200}' } }));
    await until(address, `/long/${'a'.repeat(200)}`, (s) => s === 200, 'the long regex route serving');
    await gatewayAddress(st.api, 'gw', 10000);
  });

  it('answers a backendRef to a missing Service with BackendNotFound and a 500', async () => {
    await apply(httpRouteYaml('missing-backend', [prefixRule('/missing', { 'no-such-svc': 1 })]));
    const c = await st.routeCondition('missing-backend', 'gw', 'ResolvedRefs');
    expect(c).toMatchObject({ status: 'False', reason: 'BackendNotFound' });
    expect(c.message).toContain('no-such-svc');
    await until(address, '/missing', (s) => s === 500, '/missing answering 500');
    expect(await healthy()).toBe(true);
  });

  it('leaves a route to a missing Gateway without Portico entries, and serves its other parent', async () => {
    await apply(
      httpRouteYaml(
        'two-parents',
        [prefixRule('/two-parents', { 'echo-a': 1 })],
        [{ name: 'no-such-gateway' }, { name: 'gw' }],
      ),
    );
    const c = await st.routeCondition('two-parents', 'gw', 'Accepted');
    expect(c.status).toBe('True');
    await until(address, '/two-parents', (s) => s === 200, '/two-parents serving');
    // Portico cannot know a Gateway that does not exist is its own, so it writes nothing for it.
    const r = await st.get('httproutes', 'two-parents');
    expect(r?.status?.parents?.map((p) => p.parentRef.name)).toEqual(['gw']);
    expect(await healthy()).toBe(true);
  });

  it('pins an Envoy NACK to the Gateway as Programmed=False, keeps serving, and recovers', async () => {
    // The CRD takes a header value with a line break and the translator passes it on, but Envoy
    // refuses the route: a real NACK.
    await apply(
      httpRouteYaml('nack', [
        {
          ...prefixRule('/nack', { 'echo-a': 1 }),
          filters: [
            {
              type: 'RequestHeaderModifier',
              requestHeaderModifier: { set: [{ name: 'x-nack', value: 'line\nbreak' }] },
            },
          ],
        },
      ]),
    );
    let programmed: Cond | undefined;
    await waitFor('Gateway gw Programmed=False after the NACK', async () => {
      programmed = (await st.get('gateways', 'gw'))?.status?.conditions?.find((c) => c.type === 'Programmed');
      return programmed?.status === 'False';
    });
    expect(programmed).toMatchObject({ reason: 'Invalid' });
    expect(programmed?.message).toMatch(/^Envoy rejected: routes: HeaderValueValidationError.Value: /);
    await until(address, '/good', (s) => s === 200, '/good still serving');
    expect(await healthy()).toBe(true);
    await st.deleteRoute('nack');
    await gatewayAddress(st.api, 'gw', 20000);
    await laterRouteServes();
  });

  it('marks an HTTPS listener whose Secret holds garbage PEM, and keeps the HTTP listener serving', async () => {
    await apply(
      stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'kubernetes.io/tls',
        metadata: { name: 'garbage-cert', namespace: 'default' },
        stringData: {
          'tls.crt': '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n',
          'tls.key': 'not a key',
        },
      }) +
        '---\n' +
        GATEWAY_YAML +
        '  - { name: https, protocol: HTTPS, port: 443, tls: { certificateRefs: [{ name: garbage-cert }] } }\n',
    );
    await until(address, '/good', (s) => s === 200, '/good still serving');
    let c: Cond | undefined;
    await waitFor('listener https ResolvedRefs=False', async () => {
      const gw = await st.get('gateways', 'gw');
      c = gw?.status?.listeners
        ?.find((l) => l.name === 'https')
        ?.conditions?.find((x) => x.type === 'ResolvedRefs');
      return c?.status === 'False';
    });
    expect(c).toMatchObject({ status: 'False', reason: 'InvalidCertificateRef' });
    expect(c?.message).toMatch(/garbage-cert/);
    await laterRouteServes();
    expect(await healthy()).toBe(true);
  });

  it('marks a LoadBalancerIPPool that overlaps another as Conflicting', async () => {
    // Inside the range the cluster claimed (127.N.202.0/24 if another run holds 127.0.202.0/24).
    const net = cluster.poolCidr.replace(/0\/24$/, '');
    await apply(`
apiVersion: portico.dev/v1alpha1
kind: LoadBalancerIPPool
metadata: { name: overlapping }
spec: { blocks: [{ start: ${net}10, stop: ${net}20 }] }
`);
    let c: Cond | undefined;
    await waitFor('pool overlapping Conflicting', async () => {
      c = (await st.pool('overlapping')).status?.conditions?.find((x) => x.type === 'Conflicting');
      return c !== undefined;
    });
    expect(c).toMatchObject({ status: 'True', reason: 'Overlap' });
    expect(c?.message).toMatch(/overlaps the older pool/);
    expect(await healthy()).toBe(true);
  });

  it('kept the serving route at 200 throughout, and the operator never restarted', async () => {
    const r: StreamResult = await stream.stop();
    expect(r.samples).toEqual([]);
    expect(r.failures).toBe(0);
    expect(r.sent).toBeGreaterThan(0);
    const exited = await Promise.race([
      cluster.exited,
      new Promise((res) => setTimeout(() => res('none'), 10)),
    ]);
    expect(exited).toBe('none');
  });
});
