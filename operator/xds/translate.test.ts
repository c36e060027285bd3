import { decodeMessage } from '../envoy/codec.ts';
import type { Any } from '../envoy/generated/google/protobuf/Any.ts';
import type { HttpListener, IR, Route, TlsPassthroughListener } from '../ir/index.ts';
import { envoyRoute, routeConfiguration } from './routes.ts';
import { encodeSnapshot } from './snapshot.ts';
import { resourceGateways, translateIr } from './translate.ts';

function unpack(a: Any | null | undefined): Record<string, unknown> {
  if (!a || !('type_url' in a)) throw new Error('not a packed Any');
  return decodeMessage(a.type_url.replace('type.googleapis.com/', ''), a.value as Uint8Array);
}

const fwd = (cluster: string): Route['action'] => ({ type: 'Forward', backends: [{ cluster, weight: 1 }] });
const route = (over: Partial<Route> & { path?: Route['match']['path'] } = {}): Route => ({
  name: 'ns/r/rule/0/match/0',
  match: { path: over.path ?? { type: 'PathPrefix', value: '/' }, headers: [], queryParams: [] },
  action: fwd('ns/svc/80'),
  ...over,
});

const http: HttpListener = {
  name: 'ns/gw/127.0.200.1/80',
  gateway: { namespace: 'ns', name: 'gw' },
  address: '127.0.200.1',
  port: 80,
  protocol: 'HTTP',
  virtualHosts: [{ name: 'a.example', domains: ['a.example'], routes: [route()] }],
};

const https: HttpListener = {
  ...http,
  name: 'ns/gw/127.0.200.1/443',
  port: 443,
  protocol: 'HTTPS',
  tls: {
    certificates: [
      { secretName: 'ns/a-cert', sniHostnames: ['a.example'], certPem: 'CERT-A', keyPem: 'KEY-A' },
      { secretName: 'ns/b-cert', sniHostnames: ['*.b.example'], certPem: 'CERT-B', keyPem: 'KEY-B' },
    ],
  },
};

const passthrough: TlsPassthroughListener = {
  name: 'ns/gw/127.0.200.1/8443',
  gateway: { namespace: 'ns', name: 'gw' },
  address: '127.0.200.1',
  port: 8443,
  routes: [
    {
      name: 'ns/t/rule/0',
      sniHostnames: ['x.example'],
      backends: [
        { cluster: 'ns/x/443', weight: 3 },
        { cluster: 'ns/y/443', weight: 1 },
      ],
    },
    { name: 'ns/u/rule/0', sniHostnames: ['y.example'], backends: [] },
  ],
};

const ir: IR = {
  httpListeners: [http, https],
  tlsPassthroughListeners: [passthrough],
  clusters: [
    {
      name: 'ns/svc/80',
      service: { namespace: 'ns', name: 'svc', port: 80 },
      endpoints: [
        { address: '10.244.0.5', port: 8080 },
        { address: '10.244.0.6', port: 8080 },
      ],
    },
  ],
};

describe('routeMatch / envoyRoute', () => {
  it.each([
    [{ type: 'PathPrefix', value: '/' }, { prefix: '/' }],
    [{ type: 'PathPrefix', value: '/details' }, { path_separated_prefix: '/details' }],
    [{ type: 'PathPrefix', value: '/details/' }, { path_separated_prefix: '/details' }],
    [{ type: 'Exact', value: '/echo' }, { path: '/echo' }],
    [{ type: 'RegularExpression', value: '/v[0-9]+/.*' }, { safe_regex: { regex: '/v[0-9]+/.*' } }],
  ] as const)('maps path %j', (path, expected) => {
    expect(envoyRoute(route({ path })).match).toEqual(expected);
  });

  it('maps headers, query params and method', () => {
    const r = route({
      match: {
        path: { type: 'PathPrefix', value: '/' },
        headers: [
          { type: 'Exact', name: 'magic', value: 'foo' },
          { type: 'RegularExpression', name: 'x-v', value: 'v[12]' },
        ],
        queryParams: [{ type: 'Exact', name: 'great', value: 'example' }],
        method: 'GET',
      },
    });
    expect(envoyRoute(r).match).toEqual({
      prefix: '/',
      headers: [
        { name: 'magic', string_match: { exact: 'foo' } },
        { name: 'x-v', string_match: { safe_regex: { regex: 'v[12]' } } },
        { name: ':method', string_match: { exact: 'GET' } },
      ],
      query_parameters: [{ name: 'great', string_match: { exact: 'example' } }],
    });
  });

  it('uses weighted_clusters for several backends and a plain cluster for one', () => {
    expect(envoyRoute(route()).route).toEqual({ cluster: 'ns/svc/80', timeout: { seconds: 0 } });
    const split = route({
      action: {
        type: 'Forward',
        backends: [
          { cluster: 'ns/a/80', weight: 99 },
          { cluster: 'ns/b/80', weight: 1 },
        ],
      },
    });
    expect(envoyRoute(split).route).toEqual({
      timeout: { seconds: 0 },
      weighted_clusters: {
        clusters: [
          { name: 'ns/a/80', weight: { value: 99 } },
          { name: 'ns/b/80', weight: { value: 1 } },
        ],
      },
    });
  });

  it('answers 500 for a rule without valid backends, and direct responses as given', () => {
    const none = envoyRoute(route({ action: { type: 'Forward', backends: [] } }));
    expect(none.direct_response).toEqual({ status: 500 });
    expect(none.route).toBeUndefined();
    expect(envoyRoute(route({ action: { type: 'DirectResponse', status: 503 } })).direct_response).toEqual({
      status: 503,
    });
  });

  it('maps redirects', () => {
    const r = envoyRoute(
      route({
        action: {
          type: 'Redirect',
          scheme: 'https',
          hostname: 'b.example',
          port: 8443,
          statusCode: 301,
          path: { type: 'ReplaceFullPath', value: '/new' },
        },
      }),
    );
    expect(r.redirect).toEqual({
      response_code: 'MOVED_PERMANENTLY',
      scheme_redirect: 'https',
      host_redirect: 'b.example',
      port_redirect: 8443,
      path_redirect: '/new',
    });
  });

  it('has no timeout unless the route sets one (the Gateway API default, not Envoy 15 s)', () => {
    expect(envoyRoute(route()).route?.timeout).toEqual({ seconds: 0 });
    expect(envoyRoute(route({ timeoutMs: 1500 })).route?.timeout).toEqual({ seconds: 1, nanos: 500_000_000 });
  });

  it('mirrors to clusters, a share of requests by runtime fraction', () => {
    const r = envoyRoute(
      route({
        mirrors: [
          { cluster: 'ns/m1/80', perMillion: 1_000_000 },
          { cluster: 'ns/m2/80', perMillion: 200_000 },
        ],
      }),
    );
    expect(r.route?.request_mirror_policies).toEqual([
      { cluster: 'ns/m1/80' },
      {
        cluster: 'ns/m2/80',
        runtime_fraction: { default_value: { numerator: 200_000, denominator: 'MILLION' } },
      },
    ]);
  });

  it('changes headers per backend through weighted clusters, even for one backend', () => {
    const headers = { set: [{ name: 'backend', value: 'v1' }], add: [], remove: ['x-drop'] };
    const r = envoyRoute(
      route({
        action: { type: 'Forward', backends: [{ cluster: 'ns/a/80', weight: 1, requestHeaders: headers }] },
      }),
    );
    expect(r.route?.weighted_clusters?.clusters).toEqual([
      {
        name: 'ns/a/80',
        weight: { value: 1 },
        request_headers_to_add: [
          { header: { key: 'backend', value: 'v1' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' },
        ],
        request_headers_to_remove: ['x-drop'],
      },
    ]);
  });

  it('maps the redirect status codes 303, 307 and 308', () => {
    const code = (statusCode: number) =>
      envoyRoute(route({ action: { type: 'Redirect', statusCode } })).redirect?.response_code;
    expect([303, 307, 308].map(code)).toEqual(['SEE_OTHER', 'TEMPORARY_REDIRECT', 'PERMANENT_REDIRECT']);
  });

  it('redirects to the listener port when the filter names neither scheme nor port', () => {
    // HTTPRouteRedirectPortAndScheme: a listener on 8080 must keep 8080 in Location.
    const bare = route({ action: { type: 'Redirect', statusCode: 302 } });
    expect(envoyRoute(bare, { port: 8080, protocol: 'HTTP' }).redirect?.port_redirect).toBe(8080);
    expect(envoyRoute(bare, { port: 80, protocol: 'HTTP' }).redirect?.port_redirect).toBeUndefined();
    expect(envoyRoute(bare, { port: 443, protocol: 'HTTPS' }).redirect?.port_redirect).toBeUndefined();
    const toHttps = route({ action: { type: 'Redirect', statusCode: 302, scheme: 'https' } });
    expect(envoyRoute(toHttps, { port: 8080, protocol: 'HTTP' }).redirect?.port_redirect).toBeUndefined();
    const rc = routeConfiguration({
      ...http,
      port: 8080,
      virtualHosts: [{ name: '*', domains: ['*'], routes: [bare] }],
    });
    expect(rc.virtual_hosts?.[0]?.routes?.[0]?.redirect?.port_redirect).toBe(8080);
  });

  it('maps header modifiers and URL rewrites', () => {
    const r = envoyRoute(
      route({
        path: { type: 'PathPrefix', value: '/old' },
        requestHeaders: {
          set: [{ name: 'x-a', value: '1' }],
          add: [{ name: 'x-b', value: '2' }],
          remove: ['x-c'],
        },
        responseHeaders: { set: [], add: [], remove: ['server'] },
        urlRewrite: { hostname: 'internal', path: { type: 'ReplacePrefixMatch', value: '/new' } },
      }),
    );
    expect(r.request_headers_to_add).toEqual([
      { header: { key: 'x-a', value: '1' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' },
      { header: { key: 'x-b', value: '2' }, append_action: 'APPEND_IF_EXISTS_OR_ADD' },
    ]);
    expect(r.request_headers_to_remove).toEqual(['x-c']);
    expect(r.response_headers_to_remove).toEqual(['server']);
    expect(r.response_headers_to_add).toBeUndefined();
    expect(r.route).toMatchObject({ host_rewrite_literal: 'internal', prefix_rewrite: '/new' });
    const toRoot = envoyRoute(
      route({
        path: { type: 'PathPrefix', value: '/old' },
        urlRewrite: { path: { type: 'ReplacePrefixMatch', value: '/' } },
      }),
    );
    expect(toRoot.route?.regex_rewrite).toEqual({ pattern: { regex: '^/old/*' }, substitution: '/' });
  });

  it('names the route configuration after the listener and keeps virtual host order', () => {
    const rc = routeConfiguration({
      ...http,
      virtualHosts: [
        { name: 'a.example', domains: ['a.example'], routes: [] },
        { name: '*', domains: ['*'], routes: [] },
      ],
    });
    expect(rc.name).toBe(http.name);
    expect(rc.virtual_hosts?.map((v) => v.name)).toEqual(['a.example', '*']);
  });
});

describe('translateIr', () => {
  const snap = translateIr(ir, 'v1');

  it('is deterministic', () => {
    expect(translateIr(ir, 'v1')).toEqual(snap);
  });

  it('makes an EDS cluster and its endpoints per IR cluster, under the stable name', () => {
    expect(Object.keys(snap.clusters)).toEqual(['ns/svc/80']);
    expect(snap.clusters['ns/svc/80']).toMatchObject({
      type: 'EDS',
      eds_cluster_config: { eds_config: { ads: {}, initial_fetch_timeout: {} } },
    });
    expect(snap.endpoints['ns/svc/80']?.endpoints?.[0]?.lb_endpoints).toEqual([
      { endpoint: { address: { socket_address: { address: '10.244.0.5', port_value: 8080 } } } },
      { endpoint: { address: { socket_address: { address: '10.244.0.6', port_value: 8080 } } } },
    ]);
  });

  it('speaks prior-knowledge HTTP/2 to HTTP2 clusters (gRPC) and HTTP/1.1 to the others', () => {
    expect(snap.clusters['ns/svc/80']?.typed_extension_protocol_options).toBeUndefined();
    const grpc = { ...ir.clusters[0]!, name: 'ns/grpc/8080', protocol: 'HTTP2' as const };
    const out = translateIr({ ...ir, clusters: [...ir.clusters, grpc] }, 'v2');
    const opts = out.clusters['ns/grpc/8080']?.typed_extension_protocol_options ?? {};
    expect(Object.keys(opts)).toEqual(['envoy.extensions.upstreams.http.v3.HttpProtocolOptions']);
    expect(unpack(opts['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'])).toEqual({
      explicit_http_config: { http2_protocol_options: {} },
    });
    // The very same cluster object when its protocol changes would keep Envoy on HTTP/1.1.
    const h1 = translateIr({ ...ir, clusters: [...ir.clusters, { ...grpc, protocol: undefined }] }, 'v3');
    expect(h1.clusters['ns/grpc/8080']?.typed_extension_protocol_options).toBeUndefined();
  });

  it('binds HTTP listeners on the Gateway address with freebind and RDS', () => {
    const l = snap.listeners[http.name]!;
    expect(l.address).toEqual({ socket_address: { address: '127.0.200.1', port_value: 80 } });
    expect(l.freebind).toEqual({ value: true });
    const hcm = unpack(l.filter_chains?.[0]?.filters?.[0]?.typed_config);
    expect(hcm).toMatchObject({ rds: { route_config_name: http.name, config_source: { ads: {} } } });
    // Envoy's default (15 s) would let the listener go active with no routes when RDS is late.
    expect(hcm).toMatchObject({ rds: { config_source: { initial_fetch_timeout: {} } } });
    expect(JSON.stringify(hcm)).toContain('envoy.filters.http.router');
    expect(hcm).toMatchObject({ upgrade_configs: [{ upgrade_type: 'websocket' }] });
    expect(snap.routes[http.name]?.virtual_hosts?.[0]?.domains).toEqual(['a.example']);
  });

  it('terminates HTTPS with one SNI filter chain per certificate, via SDS, with ALPN h2 and http/1.1', () => {
    const l = snap.listeners[https.name]!;
    expect(l.listener_filters?.[0]?.name).toBe('envoy.filters.listener.tls_inspector');
    expect(l.filter_chains?.map((c) => c.filter_chain_match)).toEqual([
      { server_names: ['a.example'] },
      { server_names: ['*.b.example'] },
    ]);
    const tls = unpack(l.filter_chains?.[1]?.transport_socket?.typed_config);
    expect(tls).toMatchObject({
      common_tls_context: {
        alpn_protocols: ['h2', 'http/1.1'],
        tls_certificate_sds_secret_configs: [{ name: 'ns/b-cert', sds_config: { ads: {} } }],
      },
    });
    expect(snap.secrets['ns/a-cert']).toEqual({
      name: 'ns/a-cert',
      tls_certificate: {
        certificate_chain: { inline_string: 'CERT-A' },
        private_key: { inline_string: 'KEY-A' },
      },
    });
    expect(snap.routes[https.name]).toBeDefined();
  });

  it('gives each HTTPS chain (Gateway listener) its own SNI match, certificates and routes', () => {
    const misdirected = route({
      name: 'ns/gw/listener/b/misdirected',
      action: { type: 'DirectResponse', status: 421 },
    });
    const chained: HttpListener = {
      ...https,
      chains: [
        {
          name: 'a',
          sniHostnames: ['a.example'],
          certificates: ['ns/a-cert'],
          virtualHosts: [
            { name: 'a.example', domains: ['a.example'], routes: [route()] },
            { name: '*.b.example', domains: ['*.b.example'], routes: [misdirected] },
          ],
        },
        { name: 'b', sniHostnames: [], certificates: ['ns/a-cert', 'ns/b-cert'], virtualHosts: [] },
      ],
    };
    const s = translateIr({ ...ir, httpListeners: [chained] }, '1');
    const l = s.listeners[https.name]!;
    expect(l.filter_chains?.map((c) => [c.name, c.filter_chain_match])).toEqual([
      ['a', { server_names: ['a.example'] }],
      ['b', {}],
    ]);
    const hcm = unpack(l.filter_chains?.[0]?.filters?.[0]?.typed_config);
    expect(hcm).toMatchObject({ rds: { route_config_name: `${https.name}/a` } });
    const tls = unpack(l.filter_chains?.[1]?.transport_socket?.typed_config);
    expect(tls).toMatchObject({
      common_tls_context: {
        tls_certificate_sds_secret_configs: [{ name: 'ns/a-cert' }, { name: 'ns/b-cert' }],
      },
    });
    expect(Object.keys(s.routes).sort()).toEqual([`${https.name}/a`, `${https.name}/b`]);
    expect(s.routes[`${https.name}/a`]?.virtual_hosts?.[1]?.routes?.[0]?.direct_response).toEqual({
      status: 421,
    });
    expect(resourceGateways({ ...ir, httpListeners: [chained] }).routes.get(`${https.name}/b`)).toEqual([
      https.gateway,
    ]);
  });

  it('routes TLS passthrough by SNI to tcp_proxy with weights', () => {
    const l = snap.listeners[passthrough.name]!;
    expect(l.listener_filters?.[0]?.name).toBe('envoy.filters.listener.tls_inspector');
    expect(l.filter_chains).toHaveLength(2);
    expect(l.filter_chains?.[0]?.filter_chain_match).toEqual({ server_names: ['x.example'] });
    expect(unpack(l.filter_chains?.[0]?.filters?.[0]?.typed_config)).toMatchObject({
      weighted_clusters: {
        clusters: [
          { name: 'ns/x/443', weight: 3 },
          { name: 'ns/y/443', weight: 1 },
        ],
      },
    });
    expect(snap.routes[passthrough.name]).toBeUndefined();
  });

  it('ends TLS on every SNI chain of a Terminate listener, without ALPN, and sends its secrets', () => {
    const cert = { secretName: 'ns/t-cert', sniHostnames: ['x.example'], certPem: 'CERT-T', keyPem: 'KEY-T' };
    const s = translateIr(
      { ...ir, tlsPassthroughListeners: [{ ...passthrough, tls: { certificates: [cert] } }] },
      '1',
    );
    const l = s.listeners[passthrough.name]!;
    for (const chain of l.filter_chains ?? []) {
      const tls = unpack(chain.transport_socket?.typed_config);
      expect(tls).toEqual({
        common_tls_context: {
          tls_certificate_sds_secret_configs: [
            {
              name: 'ns/t-cert',
              sds_config: { ads: {}, resource_api_version: 'V3', initial_fetch_timeout: {} },
            },
          ],
        },
      });
    }
    expect(unpack(l.filter_chains?.[0]?.filters?.[0]?.typed_config)).toMatchObject({ weighted_clusters: {} });
    expect(s.secrets['ns/t-cert']?.tls_certificate?.certificate_chain).toEqual({ inline_string: 'CERT-T' });
    expect(snap.listeners[passthrough.name]?.filter_chains?.[0]?.transport_socket).toBeUndefined();
  });

  it("on a port mixing modes, a passthrough route's chain keeps the bytes as they are", () => {
    const cert = { secretName: 'ns/t-cert', sniHostnames: ['x.example'], certPem: 'CERT-T', keyPem: 'KEY-T' };
    const [terminated, through] = passthrough.routes;
    const s = translateIr(
      {
        ...ir,
        tlsPassthroughListeners: [
          {
            ...passthrough,
            tls: { certificates: [cert] },
            routes: [terminated!, { ...through!, passthrough: true }],
          },
        ],
      },
      '1',
    );
    const chains = s.listeners[passthrough.name]?.filter_chains ?? [];
    expect(chains.map((c) => [c.name, c.transport_socket?.name])).toEqual([
      ['ns/t/rule/0', 'envoy.transport_sockets.tls'],
      ['ns/u/rule/0', undefined],
    ]);
  });

  it('accepts, then closes, connections for a TLS route with no valid backend', () => {
    // The conformance suite (TLSRouteInvalidBackendRef*) dials and expects EOF, not a refusal.
    const onlyInvalid = translateIr(
      { ...ir, tlsPassthroughListeners: [{ ...passthrough, routes: [passthrough.routes[1]!] }] },
      'v3',
    );
    const chains = onlyInvalid.listeners[passthrough.name]?.filter_chains;
    expect(chains?.map((c) => c.filter_chain_match)).toEqual([{ server_names: ['y.example'] }]);
    expect(chains?.[0]?.filters?.map((f) => f.name)).toEqual(['envoy.filters.network.direct_response']);
    expect(unpack(chains?.[0]?.filters?.[0]?.typed_config)).toEqual({});
  });

  it('forwards the Host header with its port, matching virtual hosts without it', () => {
    // HTTPRouteHostnameIntersection: the backend must see `Host: a.example:80` as sent.
    const hcm = unpack(snap.listeners[http.name]?.filter_chains?.[0]?.filters?.[0]?.typed_config);
    expect(hcm.strip_any_host_port).toBeFalsy();
    expect(hcm.strip_matching_host_port).toBeFalsy();
    expect(snap.routes[http.name]?.ignore_port_in_host_matching).toBe(true);
  });

  it('omits listeners that Envoy would refuse for having no filter chain', () => {
    const empty = translateIr(
      {
        ...ir,
        httpListeners: [{ ...https, tls: { certificates: [] } }],
        tlsPassthroughListeners: [{ ...passthrough, routes: [] }],
      },
      'v2',
    );
    expect(Object.keys(empty.listeners)).toEqual([]);
  });
});

it("a route change keeps every other kind's record, and with it the whole encoded set", () => {
  const before = translateIr(ir, 'v1');
  const edited = { ...http, virtualHosts: [{ ...http.virtualHosts[0]!, routes: [route({ name: 'x' })] }] };
  const after = translateIr({ ...ir, httpListeners: [edited, ...ir.httpListeners.slice(1)] }, 'v2');
  expect(after.routes).not.toBe(before.routes);
  expect(after.clusters).toBe(before.clusters);
  expect(after.endpoints).toBe(before.endpoints);
  const [a, b] = [encodeSnapshot(before), encodeSnapshot(after)];
  expect(b.kinds.clusters).toBe(a.kinds.clusters);
  expect(b.kinds.routes).not.toBe(a.kinds.routes);
});

describe('resourceGateways', () => {
  it('maps every resource to the Gateways it serves', () => {
    const other = { namespace: 'ns2', name: 'gw2' };
    const owners = resourceGateways({ ...ir, httpListeners: [http, { ...https, gateway: other }] });
    const gw = { namespace: 'ns', name: 'gw' };
    expect(owners.listeners.get(http.name)).toEqual([gw]);
    expect(owners.routes.get(https.name)).toEqual([other]);
    expect(owners.secrets.get('ns/a-cert')).toEqual([other]);
    expect(owners.clusters.get('ns/svc/80')).toEqual([gw, other]);
    expect(owners.endpoints.get('ns/svc/80')).toEqual([gw, other]);
    expect(owners.clusters.get('ns/x/443')).toEqual([gw]);
    expect(owners.listeners.get(passthrough.name)).toEqual([gw]);
  });
});
