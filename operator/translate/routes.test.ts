// Issue 4's negative route cases and the other spec reasons, each from a minimal snapshot.
import type { Gateway, HTTPRoute } from '../api/index.ts';
import { gateway, gatewayClass, myGateway, referenceGrant } from '../../test-support/translate/fixtures.ts';
import {
  cond,
  listener,
  parent,
  route,
  snap,
  vhostRoutes,
} from '../../test-support/translate/scenario-helpers.ts';
import { translate } from './translate.ts';

it('a route from another namespace to a `from: Same` listener is NotAllowedByListeners', () => {
  const r = translate(snap({ gateways: [myGateway()], httpRoutes: [route('r', {}, 'other')] }));
  expect(cond(parent(r, 'r'), 'Accepted')).toBe('False/NotAllowedByListeners');
  expect(listener(r, 'my-gateway', 'web-gw')?.attachedRoutes).toBe(0);
  expect(vhostRoutes(r)).toEqual([]);
});

it('allowedRoutes All and Selector admit routes from matching namespaces', () => {
  const g = (from: 'All' | 'Selector'): Gateway =>
    gateway('my-gateway', [
      {
        name: 'web-gw',
        protocol: 'HTTP',
        port: 80,
        allowedRoutes: {
          namespaces: from === 'All' ? { from } : { from, selector: { matchLabels: { team: 'a' } } },
        },
      },
    ]);
  const other = route('r', {}, 'other');
  expect(cond(parent(translate(snap({ gateways: [g('All')], httpRoutes: [other] })), 'r'), 'Accepted')).toBe(
    'True/Accepted',
  );
  expect(
    cond(parent(translate(snap({ gateways: [g('Selector')], httpRoutes: [other] })), 'r'), 'Accepted'),
  ).toBe('True/Accepted');
  const same = route('r', {});
  expect(
    cond(parent(translate(snap({ gateways: [g('Selector')], httpRoutes: [same] })), 'r'), 'Accepted'),
  ).toBe('False/NotAllowedByListeners');
});

describe('cross-namespace backendRefs', () => {
  const r1 = route('r', { rules: [{ backendRefs: [{ name: 'web', namespace: 'other', port: 80 }] }] });
  it('are RefNotPermitted without a ReferenceGrant, and the rule answers 500', () => {
    const r = translate(snap({ gateways: [myGateway()], httpRoutes: [r1] }));
    expect(cond(parent(r, 'r'), 'Accepted')).toBe('True/Accepted');
    expect(cond(parent(r, 'r'), 'ResolvedRefs')).toBe('False/RefNotPermitted');
    expect(vhostRoutes(r)[0]?.action).toEqual({ type: 'DirectResponse', status: 500 });
    expect(r.ir.clusters).toEqual([]);
  });
  it('are admitted once a ReferenceGrant exists', () => {
    const grant = referenceGrant('allow', 'other', {
      from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'default' }],
      to: [{ group: '', kind: 'Service' }],
    });
    const r = translate(snap({ gateways: [myGateway()], httpRoutes: [r1], referenceGrants: [grant] }));
    expect(cond(parent(r, 'r'), 'ResolvedRefs')).toBe('True/ResolvedRefs');
    expect(vhostRoutes(r)[0]?.action).toEqual({
      type: 'Forward',
      backends: [{ cluster: 'other/web/80', weight: 1 }],
    });
    expect(r.ir.clusters[0]?.endpoints).toEqual([{ address: '10.244.9.5', port: 8080 }]);
  });
  it('a grant for another kind or name does not admit', () => {
    const grant = referenceGrant('allow', 'other', {
      from: [{ group: 'gateway.networking.k8s.io', kind: 'TLSRoute', namespace: 'default' }],
      to: [{ group: '', kind: 'Service', name: 'web' }],
    });
    const r = translate(snap({ gateways: [myGateway()], httpRoutes: [r1], referenceGrants: [grant] }));
    expect(cond(parent(r, 'r'), 'ResolvedRefs')).toBe('False/RefNotPermitted');
  });
});

it('a missing Service is BackendNotFound; the others keep serving, its share answers 500', () => {
  const r1 = route('r', {
    rules: [
      {
        backendRefs: [
          { name: 'nope', port: 80 },
          { name: 'web', port: 80, weight: 3 },
        ],
      },
    ],
  });
  const r = translate(snap({ gateways: [myGateway()], httpRoutes: [r1] }));
  expect(cond(parent(r, 'r'), 'ResolvedRefs')).toBe('False/BackendNotFound');
  expect(vhostRoutes(r)[0]?.action).toEqual({
    type: 'Forward',
    backends: [{ cluster: 'default/web/80', weight: 3 }],
    invalidWeight: 1, // a quarter of the requests get a 500, as the spec asks
  });
});

it('a wrong Service port is BackendNotFound; a non-Service kind is InvalidKind', () => {
  const r1 = route('a', { rules: [{ backendRefs: [{ name: 'web', port: 81 }] }] });
  const r2 = route('b', {
    rules: [{ backendRefs: [{ group: 'example.com', kind: 'Bucket', name: 'web', port: 80 }] }],
  });
  const r = translate(snap({ gateways: [myGateway()], httpRoutes: [r1, r2] }));
  expect(cond(parent(r, 'a'), 'ResolvedRefs')).toBe('False/BackendNotFound');
  expect(cond(parent(r, 'b'), 'ResolvedRefs')).toBe('False/InvalidKind');
});

it('weight 0 backends are left out; all-zero answers 500', () => {
  const r1 = route('r', {
    rules: [
      {
        matches: [{ path: { type: 'Exact', value: '/a' } }],
        backendRefs: [{ name: 'web', port: 80, weight: 0 }],
      },
    ],
  });
  const r = translate(snap({ gateways: [myGateway()], httpRoutes: [r1] }));
  expect(cond(parent(r, 'r'), 'ResolvedRefs')).toBe('True/ResolvedRefs');
  expect(vhostRoutes(r)[0]?.action).toEqual({ type: 'DirectResponse', status: 500 });
});

it('a listener hostname no route hostname matches is NoMatchingListenerHostname', () => {
  const g = gateway('my-gateway', [
    { name: 'web-gw', protocol: 'HTTP', port: 80, hostname: 'a.example.com' },
  ]);
  const r = translate(snap({ gateways: [g], httpRoutes: [route('r', { hostnames: ['b.example.com'] })] }));
  expect(cond(parent(r, 'r'), 'Accepted')).toBe('False/NoMatchingListenerHostname');
});

it('a sectionName or port that names no listener is NoMatchingParent', () => {
  const r1 = route('a', { parentRefs: [{ name: 'my-gateway', sectionName: 'nope' }] });
  const r2 = route('b', { parentRefs: [{ name: 'my-gateway', port: 8080 }] });
  const r3 = route('c', { parentRefs: [{ name: 'my-gateway', sectionName: 'web-gw', port: 80 }] });
  const r = translate(snap({ gateways: [myGateway()], httpRoutes: [r1, r2, r3] }));
  expect(cond(parent(r, 'a'), 'Accepted')).toBe('False/NoMatchingParent');
  expect(cond(parent(r, 'b'), 'Accepted')).toBe('False/NoMatchingParent');
  expect(cond(parent(r, 'c'), 'Accepted')).toBe('True/Accepted');
  expect(r.routeStatuses.find((x) => x.name === 'c')?.parents[0]?.parentRef).toEqual({
    name: 'my-gateway',
    sectionName: 'web-gw',
    port: 80,
  });
});

it('an unsupported filter is UnsupportedValue and the route is not programmed', () => {
  const r1 = route('r', {
    rules: [
      { filters: [{ type: 'ExtensionRef', extensionRef: { group: 'example.com', kind: 'Foo', name: 'x' } }] },
    ],
  });
  const r = translate(snap({ gateways: [myGateway()], httpRoutes: [r1] }));
  expect(cond(parent(r, 'r'), 'Accepted')).toBe('False/UnsupportedValue');
  expect(vhostRoutes(r)).toEqual([]);
});

it('a RequestHeaderModifier touching Host is UnsupportedValue (Envoy would NACK it), naming URLRewrite', () => {
  const hostRoute = (name: string, mod: Record<string, unknown>) =>
    route(name, {
      rules: [
        {
          filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: mod }],
          backendRefs: [{ name: 'web', port: 80 }],
        },
      ],
    });
  const r = translate(
    snap({
      gateways: [myGateway()],
      httpRoutes: [
        hostRoute('set', { set: [{ name: 'Host', value: 'x' }] }),
        hostRoute('add', { add: [{ name: 'host', value: 'x' }] }),
        hostRoute('remove', { remove: ['HOST'] }),
        hostRoute('other', { set: [{ name: 'x-host', value: 'x' }] }),
      ],
    }),
  );
  for (const name of ['set', 'add', 'remove']) {
    expect(cond(parent(r, name), 'Accepted')).toBe('False/UnsupportedValue');
    expect(parent(r, name)?.find((c) => c.type === 'Accepted')?.message).toMatch(/Host header.*URLRewrite/);
  }
  expect(cond(parent(r, 'other'), 'Accepted')).toBe('True/Accepted');
});

it('a regex RE2 cannot compile is UnsupportedValue, never sent to Envoy (whose NACK would freeze the listener)', () => {
  const bad = (name: string, match: Record<string, unknown>) =>
    route(name, { rules: [{ matches: [match], backendRefs: [{ name: 'web', port: 80 }] }] });
  const r = translate(
    snap({
      gateways: [myGateway()],
      httpRoutes: [
        bad('p', { path: { type: 'RegularExpression', value: '/a(?=b)' } }),
        bad('h', { headers: [{ type: 'RegularExpression', name: 'x', value: '(a)\\1' }] }),
        bad('q', { queryParams: [{ type: 'RegularExpression', name: 'q', value: '[' }] }),
      ],
    }),
  );
  for (const n of ['p', 'h', 'q']) expect(cond(parent(r, n), 'Accepted')).toBe('False/UnsupportedValue');
  const msg = r.routeStatuses
    .find((x) => x.name === 'p')
    ?.parents[0]?.conditions.find((c) => c.type === 'Accepted');
  expect(msg?.message).toBe('path regular expression "/a(?=b)" is not valid RE2: invalid perl operator: (?=');
  expect(vhostRoutes(r)).toEqual([]);
});

it("routes to other implementations' gateways get no status from Portico, stale entries or not", () => {
  // The status writer clears stale Portico entries from the live object (tests/operator-lab.test.ts).
  const other = gateway('theirs', [{ name: 'x', protocol: 'HTTP', port: 80 }]);
  other.spec.gatewayClassName = 'cilium';
  const r1 = route('r', { parentRefs: [{ name: 'theirs' }] });
  r1.status = {
    parents: [
      { parentRef: { name: 'my-gateway' }, controllerName: 'portico.dev/gateway-controller', conditions: [] },
    ],
  };
  const r = translate(
    snap({
      gatewayClasses: [gatewayClass(), gatewayClass('cilium', 'io.cilium/gateway-controller')],
      gateways: [other],
      httpRoutes: [r1, route('s', { parentRefs: [{ name: 'theirs' }] })],
    }),
  );
  expect(r.gatewayStatuses).toEqual([]);
  expect(r.gatewayClassStatuses.map((c) => c.name)).toEqual(['portico']);
  expect(r.routeStatuses).toEqual([]);
});

it('match precedence across routes: exact, longest prefix, method, headers, query, age, name', () => {
  const m = (
    name: string,
    match: NonNullable<NonNullable<HTTPRoute['spec']['rules']>[number]['matches']>[number],
    ts = '2026-01-01T00:00:00Z',
  ) => ({
    ...route(name, { rules: [{ matches: [match], backendRefs: [{ name: 'web', port: 80 }] }] }),
    metadata: { name, namespace: 'default', creationTimestamp: ts, generation: 1 },
  });
  const routes = [
    m('z-prefix', { path: { type: 'PathPrefix', value: '/' } }),
    m('newer', { path: { type: 'PathPrefix', value: '/a' } }, '2026-03-01T00:00:00Z'),
    m('older-b', { path: { type: 'PathPrefix', value: '/a' } }, '2026-02-01T00:00:00Z'),
    m('older-a', { path: { type: 'PathPrefix', value: '/a' } }, '2026-02-01T00:00:00Z'),
    m('query', { path: { type: 'PathPrefix', value: '/a' }, queryParams: [{ name: 'q', value: '1' }] }),
    m('header', { path: { type: 'PathPrefix', value: '/a' }, headers: [{ name: 'h', value: '1' }] }),
    m('method', { path: { type: 'PathPrefix', value: '/a' }, method: 'POST' }),
    m('long', { path: { type: 'PathPrefix', value: '/abc' } }),
    m('exact', { path: { type: 'Exact', value: '/a' } }),
  ];
  const r = translate(snap({ gateways: [myGateway()], httpRoutes: routes }));
  expect(vhostRoutes(r).map((x) => x.name.split('/')[1])).toEqual([
    'exact',
    'long',
    'method',
    'header',
    'query',
    'older-a',
    'older-b',
    'newer',
    'z-prefix',
  ]);
});

it('filters become header modifiers, rewrites and redirects', () => {
  const r1 = route('r', {
    rules: [
      {
        matches: [{ path: { type: 'PathPrefix', value: '/old/' } }],
        filters: [
          {
            type: 'RequestHeaderModifier',
            requestHeaderModifier: {
              set: [{ name: 'X-B', value: '1' }],
              add: [{ name: 'x-a', value: '2' }],
              remove: ['x-z'],
            },
          },
          {
            type: 'URLRewrite',
            urlRewrite: {
              hostname: 'new.example.com',
              path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/new' },
            },
          },
        ],
        backendRefs: [{ name: 'web', port: 80 }],
      },
      {
        matches: [{ path: { type: 'Exact', value: '/r' } }],
        filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }],
      },
    ],
  });
  const routes = vhostRoutes(translate(snap({ gateways: [myGateway()], httpRoutes: [r1] })));
  expect(routes[0]?.action).toEqual({ type: 'Redirect', scheme: 'https', statusCode: 301 });
  expect(routes[1]).toMatchObject({
    match: { path: { type: 'PathPrefix', value: '/old' } },
    requestHeaders: {
      set: [{ name: 'X-B', value: '1' }],
      add: [{ name: 'x-a', value: '2' }],
      remove: ['x-z'],
    },
    urlRewrite: { hostname: 'new.example.com', path: { type: 'ReplacePrefixMatch', value: '/new' } },
  });
});

it('redirects keep the status codes 303, 307 and 308 (HTTPRoute30xRedirectStatusCode)', () => {
  for (const statusCode of [303, 307, 308] as const) {
    const r = route('r', {
      rules: [{ filters: [{ type: 'RequestRedirect', requestRedirect: { statusCode } }] }],
    });
    const out = translate(snap({ gateways: [myGateway()], httpRoutes: [r] }));
    expect(cond(parent(out, 'r'), 'Accepted')).toBe('True/Accepted');
    expect(vhostRoutes(out)[0]?.action).toEqual({ type: 'Redirect', statusCode });
  }
});

describe('rules[].timeouts', () => {
  const timeouts = (t: Record<string, string>) =>
    translate(
      snap({
        gateways: [myGateway()],
        httpRoutes: [route('r', { rules: [{ timeouts: t, backendRefs: [{ name: 'web', port: 80 }] }] })],
      }),
    );
  it('the shorter of request and backendRequest bounds the exchange; 0s means none', () => {
    expect(vhostRoutes(timeouts({ request: '2s', backendRequest: '500ms' }))[0]?.timeoutMs).toBe(500);
    expect(vhostRoutes(timeouts({ request: '1m' }))[0]?.timeoutMs).toBe(60_000);
    expect(vhostRoutes(timeouts({ request: '0s' }))[0]).not.toHaveProperty('timeoutMs');
    expect(vhostRoutes(timeouts({ request: '0s', backendRequest: '3s' }))[0]?.timeoutMs).toBe(3000);
  });
  it('a duration that is not one is UnsupportedValue', () => {
    const r = timeouts({ request: '1.5s' });
    expect(cond(parent(r, 'r'), 'Accepted')).toBe('False/UnsupportedValue');
    expect(parent(r, 'r')?.find((c) => c.type === 'Accepted')?.message).toBe(
      'timeouts.request "1.5s" is not a duration',
    );
  });
});

describe('RequestMirror', () => {
  const mirror = (requestMirror: Record<string, unknown>) => ({
    type: 'RequestMirror' as const,
    requestMirror,
  });
  const to = (name: string, namespace?: string) => ({ name, port: 80, ...(namespace ? { namespace } : {}) });
  const run = (filters: unknown[]) =>
    translate(
      snap({
        gateways: [myGateway()],
        httpRoutes: [
          route('r', { rules: [{ filters: filters as never, backendRefs: [{ name: 'web', port: 80 }] }] }),
        ],
        referenceGrants: [
          referenceGrant('g', 'other', {
            from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'default' }],
            to: [{ group: '', kind: 'Service' }],
          }),
        ],
      }),
    );
  it('mirrors to every filter, by percent or fraction, and adds their clusters', () => {
    const r = run([
      mirror({ backendRef: to('web') }),
      mirror({ backendRef: to('web', 'other'), percent: 20 }),
      mirror({ backendRef: to('web', 'other'), fraction: { numerator: 25, denominator: 50 } }),
    ]);
    expect(cond(parent(r, 'r'), 'ResolvedRefs')).toBe('True/ResolvedRefs');
    expect(vhostRoutes(r)[0]?.mirrors).toEqual([
      { cluster: 'default/web/80', perMillion: 1_000_000 },
      { cluster: 'other/web/80', perMillion: 200_000 },
      { cluster: 'other/web/80', perMillion: 500_000 },
    ]);
    expect(r.ir.clusters.map((c) => c.name)).toEqual(['default/web/80', 'other/web/80']);
  });
  it('a mirror to a missing Service is ResolvedRefs False/BackendNotFound; the route still serves', () => {
    const r = run([mirror({ backendRef: to('nope') })]);
    expect(cond(parent(r, 'r'), 'Accepted')).toBe('True/Accepted');
    expect(cond(parent(r, 'r'), 'ResolvedRefs')).toBe('False/BackendNotFound');
    expect(vhostRoutes(r)[0]).not.toHaveProperty('mirrors');
    expect(vhostRoutes(r)[0]?.action.type).toBe('Forward');
  });
  it('a fraction over one is UnsupportedValue', () => {
    const r = run([mirror({ backendRef: to('web'), fraction: { numerator: 3, denominator: 2 } })]);
    expect(cond(parent(r, 'r'), 'Accepted')).toBe('False/UnsupportedValue');
  });
});

describe('backendRefs[].filters', () => {
  const set = (value: string) => ({
    type: 'RequestHeaderModifier' as const,
    requestHeaderModifier: { set: [{ name: 'Backend', value }] },
  });
  const run = (backendRefs: unknown[]) =>
    translate(
      snap({
        gateways: [myGateway()],
        httpRoutes: [route('r', { rules: [{ backendRefs: backendRefs as never }] })],
        referenceGrants: [
          referenceGrant('g', 'other', {
            from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'default' }],
            to: [{ group: '', kind: 'Service' }],
          }),
        ],
      }),
    );
  it('header modifiers apply to the one backend, beside its weight', () => {
    const r = run([
      { name: 'web', port: 80, weight: 10, filters: [set('a')] },
      { name: 'web', namespace: 'other', port: 80, weight: 10, filters: [set('b')] },
    ]);
    expect(cond(parent(r, 'r'), 'Accepted')).toBe('True/Accepted');
    expect(vhostRoutes(r)[0]?.action).toEqual({
      type: 'Forward',
      backends: [
        {
          cluster: 'default/web/80',
          weight: 10,
          requestHeaders: { set: [{ name: 'Backend', value: 'a' }], add: [], remove: [] },
        },
        {
          cluster: 'other/web/80',
          weight: 10,
          requestHeaders: { set: [{ name: 'Backend', value: 'b' }], add: [], remove: [] },
        },
      ],
    });
  });
  it('a backend filter Envoy cannot apply per backend is UnsupportedValue', () => {
    const r = run([
      { name: 'web', port: 80, filters: [{ type: 'URLRewrite', urlRewrite: { hostname: 'x' } }] },
    ]);
    expect(cond(parent(r, 'r'), 'Accepted')).toBe('False/UnsupportedValue');
  });
});

it('a CORS filter becomes the route cors policy (maxAge defaults to 5 s); a bad origin is UnsupportedValue', () => {
  const run = (cors: Record<string, unknown>) =>
    translate(
      snap({
        gateways: [myGateway()],
        httpRoutes: [
          route('r', {
            rules: [{ filters: [{ type: 'CORS', cors } as never], backendRefs: [{ name: 'web', port: 80 }] }],
          }),
        ],
      }),
    );
  expect(vhostRoutes(run({ allowOrigins: ['https://*.bar.com'], allowMethods: ['GET'] }))[0]?.cors).toEqual({
    allowOrigins: ['https://*.bar.com'],
    allowMethods: ['GET'],
    allowHeaders: [],
    exposeHeaders: [],
    allowCredentials: false,
    maxAge: 5,
  });
  expect(cond(parent(run({ allowOrigins: ['not an origin'] }), 'r'), 'Accepted')).toBe(
    'False/UnsupportedValue',
  );
});
