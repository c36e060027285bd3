// BackendTLSPolicy: statuses with the spec's reasons, conflicts, and TLS on the targeted clusters.
import {
  CERT_PEM,
  gateway,
  gatewayService,
  myGateway,
  service,
  slice,
  tlsSecret,
} from '../../test-support/translate/fixtures.ts';
import { cond, route, snap } from '../../test-support/translate/scenario-helpers.ts';
import { translateIr } from '../xds/translate.ts';
import { translate } from './translate.ts';

const configMap = (name: string, data: Record<string, string>, ns = 'default') => ({
  metadata: { name, namespace: ns },
  data,
});

const policy = (
  name: string,
  target: { name: string; sectionName?: string },
  validation: Record<string, unknown>,
  created = '2026-01-01T00:00:00Z',
) => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'BackendTLSPolicy',
  metadata: { name, namespace: 'default', generation: 3, creationTimestamp: created },
  spec: { targetRefs: [{ group: '', kind: 'Service', ...target }], validation },
});

const ca = (name = 'ca') => ({ caCertificateRefs: [{ group: '', kind: 'ConfigMap', name }] });
const good = { ...ca(), hostname: 'web.example.com' };
const caMaps = [configMap('ca', { 'ca.crt': CERT_PEM }), configMap('empty', {})];

const statusOf = (r: ReturnType<typeof translate>, name: string) =>
  r.backendTlsPolicyStatuses?.find((p) => p.name === name)?.ancestors[0]?.conditions;
const clusterOf = (r: ReturnType<typeof translate>, name = 'default/web/80') =>
  r.ir.clusters.find((c) => c.name === name);

it('a valid policy is Accepted on the Gateway using the Service and makes its cluster speak TLS', () => {
  const r = translate(
    snap({
      gateways: [myGateway()],
      httpRoutes: [route('r', {})],
      configMaps: caMaps,
      backendTlsPolicies: [policy('tls', { name: 'web' }, good), policy('unused', { name: 'nobody' }, good)],
    }),
  );
  expect(r.backendTlsPolicyStatuses?.map((p) => p.name)).toEqual(['tls']);
  const [ancestor] = r.backendTlsPolicyStatuses![0]!.ancestors;
  expect(ancestor?.ancestorRef).toEqual({
    group: 'gateway.networking.k8s.io',
    kind: 'Gateway',
    namespace: 'default',
    name: 'my-gateway',
  });
  expect(cond(ancestor?.conditions, 'Accepted')).toBe('True/Accepted');
  expect(cond(ancestor?.conditions, 'ResolvedRefs')).toBe('True/ResolvedRefs');
  expect(ancestor?.conditions[0]?.observedGeneration).toBe(3);
  expect(clusterOf(r)?.tls).toEqual({
    sni: 'web.example.com',
    caPem: `${CERT_PEM.trim()}\n`,
    subjectAltNames: [],
  });

  const x = translateIr(r.ir, '1');
  const socket = x.clusters['default/web/80']?.transport_socket;
  expect(socket?.name).toBe('envoy.transport_sockets.tls');
  expect(x.endpoints['default/web/80']?.endpoints?.[0]?.lb_endpoints).toHaveLength(1);
});

it('subjectAltNames replace the hostname for verification, sorted', () => {
  const sans = [
    { type: 'URI', uri: 'spiffe://example.com/web' },
    { type: 'Hostname', hostname: 'b.example.com' },
  ];
  const r = translate(
    snap({
      gateways: [myGateway()],
      httpRoutes: [route('r', {})],
      configMaps: caMaps,
      backendTlsPolicies: [policy('tls', { name: 'web' }, { ...good, subjectAltNames: sans })],
    }),
  );
  expect(clusterOf(r)?.tls?.subjectAltNames).toEqual([
    { type: 'Hostname', value: 'b.example.com' },
    { type: 'URI', value: 'spiffe://example.com/web' },
  ]);
});

it.each([
  ['a missing ConfigMap', ca('nope'), 'False/NoValidCACertificate', 'False/InvalidCACertificateRef'],
  ['a ConfigMap without ca.crt', ca('empty'), 'False/NoValidCACertificate', 'False/InvalidCACertificateRef'],
  [
    'an unsupported kind',
    { caCertificateRefs: [{ group: 'invalid.io', kind: 'InvalidKind', name: 'x' }] },
    'False/NoValidCACertificate',
    'False/InvalidKind',
  ],
  ['wellKnownCACertificates', { wellKnownCACertificates: 'System' }, 'False/Invalid', 'True/ResolvedRefs'],
])('%s refuses the policy and fails its connections (no endpoints sent)', (_, v, accepted, resolved) => {
  const r = translate(
    snap({
      gateways: [myGateway()],
      httpRoutes: [route('r', {})],
      configMaps: [...caMaps, configMap('bad', { 'ca.crt': 'not a certificate' })],
      backendTlsPolicies: [policy('tls', { name: 'web' }, { ...v, hostname: 'web.example.com' })],
    }),
  );
  expect(cond(statusOf(r, 'tls'), 'Accepted')).toBe(accepted);
  expect(cond(statusOf(r, 'tls'), 'ResolvedRefs')).toBe(resolved);
  expect(clusterOf(r)?.tls?.refused).toBe(true);
  const x = translateIr(r.ir, '1');
  expect(x.clusters['default/web/80']?.transport_socket).toBeUndefined();
  expect(x.endpoints['default/web/80']?.endpoints?.[0]?.lb_endpoints).toEqual([]);
});

it('a ConfigMap whose ca.crt is not PEM is an InvalidCACertificateRef', () => {
  const r = translate(
    snap({
      gateways: [myGateway()],
      httpRoutes: [route('r', {})],
      configMaps: [
        configMap('bad', { 'ca.crt': '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' }),
      ],
      backendTlsPolicies: [policy('tls', { name: 'web' }, { ...ca('bad'), hostname: 'a.example.com' })],
    }),
  );
  expect(cond(statusOf(r, 'tls'), 'ResolvedRefs')).toBe('False/InvalidCACertificateRef');
});

it('the oldest policy wins a target, then the first by name; a section is its own target', () => {
  const svc = service('two', [
    { port: 443, name: 'https-1' },
    { port: 8443, name: 'https-2' },
  ]);
  const r = translate(
    snap({
      gateways: [myGateway()],
      services: [svc, gatewayService('my-gateway', '10.0.0.1')],
      endpointSlices: [
        slice(
          'two',
          [
            { port: 8443, name: 'https-1' },
            { port: 8443, name: 'https-2' },
          ],
          [{ ip: '10.244.0.7' }],
        ),
      ],
      httpRoutes: [
        route('r', {
          rules: [
            { backendRefs: [{ name: 'two', port: 443 }] },
            { backendRefs: [{ name: 'two', port: 8443 }] },
          ],
        }),
      ],
      configMaps: caMaps,
      backendTlsPolicies: [
        policy('b-whole', { name: 'two' }, { ...good, hostname: 'b.example.com' }),
        policy('a-whole', { name: 'two' }, { ...good, hostname: 'a.example.com' }),
        policy('older', { name: 'two' }, { ...good, hostname: 'old.example.com' }, '2025-01-01T00:00:00Z'),
        policy('section', { name: 'two', sectionName: 'https-1' }, { ...good, hostname: 's.example.com' }),
      ],
    }),
  );
  expect(cond(statusOf(r, 'older'), 'Accepted')).toBe('True/Accepted');
  expect(cond(statusOf(r, 'a-whole'), 'Accepted')).toBe('False/Conflicted');
  expect(cond(statusOf(r, 'b-whole'), 'Accepted')).toBe('False/Conflicted');
  expect(cond(statusOf(r, 'section'), 'Accepted')).toBe('True/Accepted');
  expect(clusterOf(r, 'default/two/443')?.tls?.sni).toBe('s.example.com');
  expect(clusterOf(r, 'default/two/8443')?.tls?.sni).toBe('old.example.com');
});

describe('Gateway spec.tls.backend.clientCertificateRef', () => {
  const withClientCert = (ref: Record<string, unknown>) => {
    const gw = myGateway();
    (gw.spec as Record<string, unknown>).tls = { backend: { clientCertificateRef: ref } };
    return gw;
  };
  const gwStatus = (r: ReturnType<typeof translate>) => r.gatewayStatuses[0]?.status.conditions;

  it('presents the certificate on copies of the TLS clusters that only its routes use', () => {
    const other = gateway('other', [{ name: 'web', protocol: 'HTTP', port: 80 }]);
    const r = translate(
      snap({
        gateways: [withClientCert({ group: '', kind: 'Secret', name: 'client' }), other],
        services: [
          service('web', [{ port: 80 }]),
          gatewayService('my-gateway', '10.0.0.1'),
          gatewayService('other', '10.0.0.2'),
        ],
        httpRoutes: [route('r', { parentRefs: [{ name: 'my-gateway' }, { name: 'other' }] })],
        secrets: [tlsSecret('client')],
        configMaps: caMaps,
        backendTlsPolicies: [policy('tls', { name: 'web' }, good)],
      }),
    );
    expect(cond(gwStatus(r), 'ResolvedRefs')).toBe('True/ResolvedRefs');
    expect(cond(gwStatus(r), 'Accepted')).toBe('True/Accepted');
    const copy = 'default/web/80#client/default/client';
    expect(clusterOf(r, copy)?.tls?.clientCertificate?.secretName).toBe('default/client');
    expect(clusterOf(r)?.tls?.clientCertificate).toBeUndefined();
    const backendsOf = (gw: string) =>
      r.ir.httpListeners
        .find((l) => l.gateway.name === gw)
        ?.virtualHosts.flatMap((v) => v.routes)
        .flatMap((x) => (x.action.type === 'Forward' ? x.action.backends.map((b) => b.cluster) : []));
    expect(backendsOf('my-gateway')).toEqual([copy]);
    expect(backendsOf('other')).toEqual(['default/web/80']);
    expect(translateIr(r.ir, '1').endpoints[copy]?.endpoints?.[0]?.lb_endpoints).toHaveLength(1);
  });

  it.each([
    ['a missing Secret', { group: '', kind: 'Secret', name: 'nope' }, 'InvalidClientCertificateRef'],
    [
      'another group',
      { group: 'wrong.example.com', kind: 'Secret', name: 'client' },
      'InvalidClientCertificateRef',
    ],
    ['another kind', { group: '', kind: 'WrongKind', name: 'client' }, 'InvalidClientCertificateRef'],
    ['a Secret without tls.crt', { group: '', kind: 'Secret', name: 'empty' }, 'InvalidClientCertificateRef'],
    [
      'another namespace without a grant',
      { kind: 'Secret', name: 'client', namespace: 'other' },
      'RefNotPermitted',
    ],
  ])('%s is ResolvedRefs False/%s, and the Gateway stays Accepted', (_, ref, reason) => {
    const r = translate(
      snap({
        gateways: [withClientCert(ref)],
        secrets: [
          tlsSecret('client'),
          tlsSecret('client', 'other'),
          { metadata: { name: 'empty', namespace: 'default' }, data: {} },
        ],
      }),
    );
    expect(cond(gwStatus(r), 'ResolvedRefs')).toBe(`False/${reason}`);
    expect(cond(gwStatus(r), 'Accepted')).toBe('True/Accepted');
  });

  it('a Gateway without spec.tls.backend gets no ResolvedRefs condition', () => {
    expect(
      cond(
        translate(snap({ gateways: [myGateway()] })).gatewayStatuses[0]?.status.conditions,
        'ResolvedRefs',
      ),
    ).toBe('missing');
  });
});

it('a passthrough TLSRoute to a policy-covered Service forwards to a plaintext copy of its cluster', () => {
  const gw = gateway('my-gateway', [
    { name: 'http', protocol: 'HTTP', port: 80 },
    { name: 'pass', protocol: 'TLS', port: 8443, tls: { mode: 'Passthrough' } },
  ]);
  const tlsRoute = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'TLSRoute',
    metadata: { name: 'pass', namespace: 'default' },
    spec: {
      parentRefs: [{ name: 'my-gateway', sectionName: 'pass' }],
      hostnames: ['pass.example.com'],
      rules: [{ backendRefs: [{ name: 'web', port: 80 }] }],
    },
  };
  const r = translate(
    snap({
      gateways: [gw],
      httpRoutes: [route('r', { parentRefs: [{ name: 'my-gateway', sectionName: 'http' }] })],
      tlsRoutes: [tlsRoute as never],
      configMaps: caMaps,
      backendTlsPolicies: [policy('tls', { name: 'web' }, good)],
    }),
  );
  expect(r.ir.tlsPassthroughListeners[0]?.routes[0]?.backends.map((b) => b.cluster)).toEqual([
    'default/web/80#plain',
  ]);
  expect(clusterOf(r, 'default/web/80#plain')).toMatchObject({ endpoints: [{ address: '10.244.0.5' }] });
  expect(clusterOf(r, 'default/web/80#plain')?.tls).toBeUndefined();
  expect(clusterOf(r)?.tls?.sni).toBe('web.example.com');
});
