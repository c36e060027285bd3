// GRPCRoute: method matches become path matches, backends speak HTTP/2, statuses as for HTTPRoute.
import type { GRPCRoute } from '../api/index.ts';
import { gateway, myGateway, service } from '../../test-support/translate/fixtures.ts';
import { cond, listener, parent, snap, vhostRoutes } from '../../test-support/translate/scenario-helpers.ts';
import { translate } from './translate.ts';

const grpcRoute = (name: string, spec: Partial<GRPCRoute['spec']>, ns = 'default'): GRPCRoute => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'GRPCRoute',
  metadata: {
    name,
    namespace: ns,
    uid: `uid-${name}`,
    generation: 2,
    creationTimestamp: '2026-01-01T00:00:00Z',
  },
  spec: {
    parentRefs: [{ name: 'my-gateway', namespace: 'default' }],
    rules: [{ backendRefs: [{ name: 'web', port: 80 }] }],
    ...spec,
  },
});

type Rule = NonNullable<GRPCRoute['spec']['rules']>[number];
/** One GRPCRoute `g` with one rule on my-gateway. */
const oneRule = (rule: Rule) =>
  translate(snap({ gateways: [myGateway()], grpcRoutes: [grpcRoute('g', { rules: [rule] })] }));

const SVC = 'gateway_api_conformance.echo_basic.grpcecho.GrpcEcho';

it('a GRPCRoute attaches to an HTTP listener, which lists GRPCRoute among its supportedKinds', () => {
  const r = translate(snap({ gateways: [myGateway()], grpcRoutes: [grpcRoute('g', {})] }));
  expect(r.routeStatuses).toEqual([
    expect.objectContaining({ kind: 'GRPCRoute', namespace: 'default', name: 'g' }),
  ]);
  expect(cond(parent(r, 'g'), 'Accepted')).toBe('True/Accepted');
  expect(cond(parent(r, 'g'), 'ResolvedRefs')).toBe('True/ResolvedRefs');
  expect(parent(r, 'g')?.[0]?.observedGeneration).toBe(2);
  const li = listener(r, 'my-gateway', 'web-gw');
  expect(li?.attachedRoutes).toBe(1);
  expect(li?.supportedKinds).toEqual([
    { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' },
    { group: 'gateway.networking.k8s.io', kind: 'GRPCRoute' },
  ]);
  expect(vhostRoutes(r)).toEqual([
    {
      name: 'default/g/rule/0/match/0',
      match: { path: { type: 'PathPrefix', value: '/' }, headers: [], queryParams: [] },
      action: { type: 'Forward', backends: [{ cluster: 'default/web/80', weight: 1 }] },
    },
  ]);
  expect(r.ir.clusters.map((c) => [c.name, c.protocol])).toEqual([['default/web/80', 'HTTP2']]);
});

it('method matches: exact service and method, service only, method only, regular expressions', () => {
  const matches = [
    { method: { service: SVC, method: 'Echo' } },
    { method: { service: SVC } },
    { method: { method: 'EchoTwo' } },
    { method: { type: 'RegularExpression' as const, service: 'a\\.b|c', method: 'Echo.*' } },
    { method: { type: 'RegularExpression' as const, method: 'Echo.*' } },
  ];
  const r = oneRule({ matches, backendRefs: [{ name: 'web', port: 80 }] });
  // The spec's GRPCRoute order: most service characters, then method characters, then headers.
  expect(vhostRoutes(r).map((x) => x.match.path)).toEqual([
    { type: 'Exact', value: `/${SVC}/Echo` },
    { type: 'PathPrefix', value: `/${SVC}` },
    { type: 'RegularExpression', value: '/(?:a\\.b|c)/(?:Echo.*)' },
    { type: 'RegularExpression', value: '/[^/]+/EchoTwo' },
    { type: 'RegularExpression', value: '/(?:[^/]+)/(?:Echo.*)' },
  ]);
});

it('header matches and header modifier filters carry over; names are lower-cased', () => {
  const r = oneRule({
    matches: [{ headers: [{ name: 'Version', value: 'two' }] }],
    filters: [
      { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-a', value: '1' }] } },
      { type: 'ResponseHeaderModifier', responseHeaderModifier: { remove: ['x-b'] } },
    ],
    backendRefs: [{ name: 'web', port: 80 }],
  });
  const [only] = vhostRoutes(r);
  expect(only?.match.headers).toEqual([{ type: 'Exact', name: 'version', value: 'two' }]);
  expect(only?.requestHeaders).toEqual({ set: [{ name: 'x-a', value: '1' }], add: [], remove: [] });
  expect(only?.responseHeaders).toEqual({ set: [], add: [], remove: ['x-b'] });
});

it('weights split traffic; a zero weight drops the backend', () => {
  const services = [
    service('a', [{ port: 8080 }]),
    service('b', [{ port: 8080 }]),
    service('c', [{ port: 8080 }]),
  ];
  const rules = [
    {
      backendRefs: [
        { name: 'a', port: 8080, weight: 70 },
        { name: 'b', port: 8080, weight: 30 },
        { name: 'c', port: 8080, weight: 0 },
      ],
    },
  ];
  const base = snap({});
  const r = translate({
    ...base,
    services: [...base.services, ...services],
    gateways: [myGateway()],
    grpcRoutes: [grpcRoute('g', { rules })],
  });
  expect(vhostRoutes(r)[0]?.action).toEqual({
    type: 'Forward',
    backends: [
      { cluster: 'default/a/8080', weight: 70 },
      { cluster: 'default/b/8080', weight: 30 },
    ],
  });
});

it('a missing backend is ResolvedRefs False/BackendNotFound and its rule answers 500', () => {
  const r = oneRule({ backendRefs: [{ name: 'nope', port: 80 }] });
  expect(cond(parent(r, 'g'), 'Accepted')).toBe('True/Accepted');
  expect(cond(parent(r, 'g'), 'ResolvedRefs')).toBe('False/BackendNotFound');
  expect(vhostRoutes(r)[0]?.action).toEqual({ type: 'DirectResponse', status: 500 });
});

it('a RequestMirror filter mirrors gRPC calls to an HTTP/2 cluster', () => {
  const r = oneRule({
    filters: [
      { type: 'RequestMirror', requestMirror: { backendRef: { name: 'web', namespace: 'other', port: 80 } } },
    ],
    backendRefs: [{ name: 'web', port: 80 }],
  });
  expect(cond(parent(r, 'g'), 'Accepted')).toBe('True/Accepted');
  // No ReferenceGrant lets the route reach namespace other: the mirror is dropped, the route serves.
  expect(cond(parent(r, 'g'), 'ResolvedRefs')).toBe('False/RefNotPermitted');
  const ok = oneRule({
    filters: [{ type: 'RequestMirror', requestMirror: { backendRef: { name: 'web', port: 80 } } }],
    backendRefs: [{ name: 'web', port: 80 }],
  });
  expect(vhostRoutes(ok)[0]?.mirrors).toEqual([{ cluster: 'default/web/80', perMillion: 1_000_000 }]);
  expect(ok.ir.clusters.find((c) => c.name === 'default/web/80')?.protocol).toBe('HTTP2');
});

it('an unsupported filter makes the route Accepted False/UnsupportedValue', () => {
  const r = oneRule({
    filters: [{ type: 'ExtensionRef', extensionRef: { group: 'example.com', kind: 'Foo', name: 'x' } }],
    backendRefs: [{ name: 'web', port: 80 }],
  });
  expect(cond(parent(r, 'g'), 'Accepted')).toBe('False/UnsupportedValue');
  expect(vhostRoutes(r)).toEqual([]);
});

it('a listener that allows only HTTPRoute refuses GRPCRoutes, and TLS listeners never take them', () => {
  const g = gateway('my-gateway', [
    {
      name: 'web-gw',
      protocol: 'HTTP',
      port: 80,
      allowedRoutes: { kinds: [{ kind: 'HTTPRoute' }] },
    },
  ]);
  const r = translate(snap({ gateways: [g], grpcRoutes: [grpcRoute('g', {})] }));
  expect(cond(parent(r, 'g'), 'Accepted')).toBe('False/NotAllowedByListeners');
  expect(listener(r, 'my-gateway', 'web-gw')?.supportedKinds).toEqual([
    { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' },
  ]);
});

it('hostnames intersect with the listener hostname as for HTTPRoute', () => {
  const g = gateway('my-gateway', [{ name: 'web-gw', protocol: 'HTTP', port: 80, hostname: '*.bar.com' }]);
  const r = translate(
    snap({
      gateways: [g],
      grpcRoutes: [
        grpcRoute('in', { hostnames: ['foo.bar.com'] }),
        grpcRoute('out', { hostnames: ['foo.com'] }),
      ],
    }),
  );
  expect(cond(parent(r, 'in'), 'Accepted')).toBe('True/Accepted');
  expect(cond(parent(r, 'out'), 'Accepted')).toBe('False/NoMatchingListenerHostname');
  expect(r.ir.httpListeners[0]?.virtualHosts.map((v) => v.name)).toEqual(['foo.bar.com']);
});

it('a Service port with appProtocol kubernetes.io/h2c gets HTTP/2 for an HTTPRoute too', () => {
  const base = snap({});
  const h2c = {
    ...service('h2', [{ port: 80 }]),
  };
  (h2c.spec?.ports ?? [])[0]!.appProtocol = 'kubernetes.io/h2c';
  const r = translate({
    ...base,
    services: [...base.services, h2c],
    gateways: [myGateway()],
    httpRoutes: [
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'h', namespace: 'default' },
        spec: {
          parentRefs: [{ name: 'my-gateway' }],
          rules: [
            {
              backendRefs: [
                { name: 'h2', port: 80 },
                { name: 'web', port: 80 },
              ],
            },
          ],
        },
      },
    ],
  });
  expect(r.ir.clusters.map((c) => [c.name, c.protocol])).toEqual([
    ['default/h2/80', 'HTTP2'],
    ['default/web/80', undefined],
  ]);
});
