// IR -> Envoy xDS resources (pure). Names come from the IR, which keeps them stable.
import type {
  ClientValidation,
  Cluster as IrCluster,
  GatewayRef,
  HttpListener,
  HttpsChain,
  IR,
  L4Route,
  SniRoute,
  TlsCertificate,
  TlsPassthroughListener,
} from '../ir/index.ts';
import { pack } from '../envoy/codec.ts';
import type { Cluster } from '../envoy/generated/envoy/config/cluster/v3/Cluster.ts';
import type { ConfigSource } from '../envoy/generated/envoy/config/core/v3/ConfigSource.ts';
import type { ClusterLoadAssignment } from '../envoy/generated/envoy/config/endpoint/v3/ClusterLoadAssignment.ts';
import type { Filter } from '../envoy/generated/envoy/config/listener/v3/Filter.ts';
import type { FilterChain } from '../envoy/generated/envoy/config/listener/v3/FilterChain.ts';
import type { Listener } from '../envoy/generated/envoy/config/listener/v3/Listener.ts';
import type { ListenerFilter } from '../envoy/generated/envoy/config/listener/v3/ListenerFilter.ts';
import type { Secret } from '../envoy/generated/envoy/extensions/transport_sockets/tls/v3/Secret.ts';
import { caSecret, clientValidationContext } from './client-validation.ts';
import { digest, hostsDigest } from './digest.ts';
import { l4Resources, udpClusterName } from './l4.ts';
import { upstreamTlsSocket } from './upstream-tls.ts';
import { chainRouteName, routeConfiguration } from './routes.ts';
import type { ResourceKind, Snapshot } from './snapshot.ts';

// initial_fetch_timeout 0: a listener waits for its routes and secrets, a cluster for its endpoints,
// however late they come, instead of going active without them after Envoy's default 15 s.
export const ADS: ConfigSource = {
  ads: {},
  resource_api_version: 'V3',
  initial_fetch_timeout: { seconds: 0 },
};

/** Stat prefixes become stat names; keep them free of the separators Envoy splits on. */
export function statPrefix(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_');
}

export function edsCluster(c: IrCluster): Cluster {
  return {
    name: c.name,
    type: 'EDS',
    eds_cluster_config: { eds_config: ADS },
    connect_timeout: { seconds: 5 },
    lb_policy: 'ROUND_ROBIN',
    ...(c.protocol === 'HTTP2'
      ? { typed_extension_protocol_options: { [HTTP_PROTOCOL_OPTIONS]: http2Only } }
      : {}),
    ...(c.tls && !c.tls.refused
      ? { transport_socket: upstreamTlsSocket(c.tls, c.protocol === 'HTTP2') }
      : {}),
  };
}

const HTTP_PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
// Prior-knowledge HTTP/2 (h2c): gRPC backends do not speak HTTP/1.1.
const http2Only = pack(HTTP_PROTOCOL_OPTIONS, { explicit_http_config: { http2_protocol_options: {} } });

export function loadAssignment(c: IrCluster): ClusterLoadAssignment {
  // A refused TLS policy must fail requests (503), never reach the backend in plaintext.
  const endpoints = c.tls?.refused ? [] : c.endpoints;
  return {
    cluster_name: c.name,
    endpoints: [
      {
        lb_endpoints: endpoints.map((e) => ({
          endpoint: { address: { socket_address: { address: e.address, port_value: e.port } } },
        })),
      },
    ],
  };
}

function httpConnectionManager(l: HttpListener, routeConfigName = l.name): Filter {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: pack('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', {
      stat_prefix: statPrefix(l.name),
      rds: { config_source: ADS, route_config_name: routeConfigName },
      use_remote_address: { value: true },
      normalize_path: { value: true },
      // HTTP/1.1 Upgrade: websocket reaches backends (appProtocol kubernetes.io/ws or not).
      upgrade_configs: [{ upgrade_type: 'websocket' }],
      http_filters: [
        {
          name: 'envoy.filters.http.router',
          typed_config: pack('envoy.extensions.filters.http.router.v3.Router', {}),
        },
      ],
    }),
  };
}

const tlsInspector: ListenerFilter = {
  name: 'envoy.filters.listener.tls_inspector',
  typed_config: pack('envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector', {}),
};

/** `*` (any SNI) is expressed by leaving server_names out. */
function sniMatch(hostnames: readonly string[]): FilterChain['filter_chain_match'] {
  return hostnames.length === 0 || hostnames.includes('*') ? {} : { server_names: [...hostnames] };
}

function downstreamTls(
  secretNames: readonly string[],
  alpn: readonly string[] = ['h2', 'http/1.1'],
  client?: ClientValidation,
): FilterChain['transport_socket'] {
  const v = client ? clientValidationContext(client, ADS) : undefined;
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: pack('envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext', {
      ...v?.tls,
      common_tls_context: {
        ...(alpn.length ? { alpn_protocols: [...alpn] } : {}),
        // SDS: a certificate rotation updates the secret, not the listener.
        tls_certificate_sds_secret_configs: secretNames.map((name) => ({ name, sds_config: ADS })),
        ...v?.common,
      },
    }),
  };
}

/** IR without chains: one filter chain per certificate, all sharing the listener's routes. */
function httpsChain(l: HttpListener, cert: TlsCertificate): FilterChain {
  return {
    name: cert.secretName,
    filter_chain_match: sniMatch(cert.sniHostnames),
    transport_socket: downstreamTls([cert.secretName], undefined, l.clientValidation),
    filters: [httpConnectionManager(l)],
  };
}

/** One Gateway listener: its SNI names, its certificates, its own routes (listener isolation). */
function isolatedChain(l: HttpListener, c: HttpsChain): FilterChain {
  return {
    name: c.name,
    filter_chain_match: sniMatch(c.sniHostnames),
    transport_socket: downstreamTls(c.certificates, undefined, l.clientValidation),
    filters: [httpConnectionManager(l, chainRouteName(l, c))],
  };
}

export function socket(address: string, port: number): Pick<Listener, 'address' | 'freebind'> {
  // freebind: every node binds the Gateway VIP, though only the VIP's holder has it locally.
  return { address: { socket_address: { address, port_value: port } }, freebind: { value: true } };
}

/** Undefined for an HTTPS listener without certificates: Envoy refuses a listener with no filter chain. */
export function httpListener(l: HttpListener): Listener | undefined {
  if (l.protocol === 'HTTP') {
    return {
      name: l.name,
      ...socket(l.address, l.port),
      filter_chains: [{ filters: [httpConnectionManager(l)] }],
    };
  }
  const chains = l.chains
    ? l.chains.map((c) => isolatedChain(l, c))
    : (l.tls?.certificates ?? []).map((c) => httpsChain(l, c));
  if (chains.length === 0) return undefined;
  return {
    name: l.name,
    ...socket(l.address, l.port),
    listener_filters: [tlsInspector],
    filter_chains: chains,
  };
}

/** Accepts the connection, then closes it: what a client of a route with no valid backend gets. */
export const closeConnection: Filter = {
  name: 'envoy.filters.network.direct_response',
  typed_config: pack('envoy.extensions.filters.network.direct_response.v3.Config', {}),
};

export function tcpProxy(r: SniRoute | L4Route): Filter {
  return {
    name: 'envoy.filters.network.tcp_proxy',
    typed_config: pack('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', {
      stat_prefix: statPrefix(r.name),
      ...(r.backends.length === 1
        ? { cluster: r.backends[0]!.cluster }
        : {
            weighted_clusters: {
              clusters: r.backends.map((b) => ({ name: b.cluster, weight: b.weight })),
            },
          }),
    }),
  };
}

/** Undefined when the listener has no routes: nothing to bind. */
export function tlsPassthroughListener(l: TlsPassthroughListener): Listener | undefined {
  // A route whose backends are all invalid still owns its SNI: connections are accepted, then closed.
  // Mode Terminate: every chain ends TLS (but a passthrough route's, on a port mixing modes);
  // Envoy picks the certificate that matches the SNI.
  const secrets = l.tls?.certificates.map((c) => c.secretName);
  const chains: FilterChain[] = l.routes.map((r) => ({
    name: r.name,
    filter_chain_match: sniMatch(r.sniHostnames),
    ...(secrets?.length && !r.passthrough ? { transport_socket: downstreamTls(secrets, []) } : {}),
    filters: [r.backends.length === 0 ? closeConnection : tcpProxy(r)],
  }));
  if (chains.length === 0) return undefined;
  return {
    name: l.name,
    ...socket(l.address, l.port),
    listener_filters: [tlsInspector],
    filter_chains: chains,
  };
}

export function tlsSecret(c: TlsCertificate): Secret {
  return {
    name: c.secretName,
    tls_certificate: {
      certificate_chain: { inline_string: c.certPem },
      private_key: { inline_string: c.keyPem },
    },
  };
}

// Unchanged inputs give the very same output objects, so the snapshot encoder (which caches by
// identity) skips re-encoding them: at 1,000 clusters this is most of a push's CPU time.
let memo = new Map<string, object>();

function reuse<T extends object>(
  next: Map<string, object>,
  key: string,
  build: () => T,
  from: ReadonlyMap<string, object> = memo,
): T {
  const hit = (from.get(key) as T | undefined) ?? build();
  next.set(key, hit);
  return hit;
}

type Out = Omit<Snapshot, 'version'>;

/** A resource made from an IR object, and the content key it is filed under in `memo`. */
interface Made {
  readonly kind: keyof Out;
  readonly name: string;
  readonly key: string;
  readonly value: object;
}

// Per IR object (memoized by the translator while unchanged), what was made from it: an unchanged
// cluster or listener costs neither key building nor digests, only its entries carried to `next`.
const madeFrom = new WeakMap<object, readonly Made[]>();

function place(out: Out, next: Map<string, object>, source: object, make: () => Made[]): void {
  let list = madeFrom.get(source);
  if (!list) {
    list = make();
    madeFrom.set(source, list);
  }
  for (const m of list) {
    next.set(m.key, m.value);
    (out[m.kind] as Record<string, object>)[m.name] = m.value;
  }
}

function made<T extends object>(
  next: Map<string, object>,
  kind: keyof Out,
  name: string,
  key: string,
  build: () => T,
  from?: ReadonlyMap<string, object>,
): Made {
  return { kind, name, key, value: reuse(next, key, build, from) };
}

function clusterResources(
  next: Map<string, object>,
  c: IrCluster,
  from: ReadonlyMap<string, object>,
): Made[] {
  const tls = c.tls ? digest(c.tls) : '';
  const eps = c.tls?.refused ? '' : c.endpoints.map((e) => `${e.address}:${e.port}`).join(',');
  return [
    made(next, 'clusters', c.name, `c\0${c.name}\0${c.protocol ?? ''}\0${tls}`, () => edsCluster(c), from),
    made(next, 'endpoints', c.name, `e\0${c.name}\0${eps}`, () => loadAssignment(c), from),
  ];
}

type ClusterRecords = Pick<Out, 'clusters' | 'endpoints'>;

// The translator hands back the very cluster list while no cluster changed: its two records are
// then kept whole, with their own content memo, instead of 2,000 entries carried over per push.
let lastClusters:
  { list: readonly IrCluster[]; records: ClusterRecords; memo: Map<string, object> } | undefined;

function clusterRecords(list: readonly IrCluster[]): ClusterRecords {
  if (lastClusters?.list === list) return lastClusters.records;
  const from = lastClusters?.memo ?? new Map<string, object>();
  const next = new Map<string, object>();
  const out: Out = { clusters: {}, endpoints: {}, listeners: {}, routes: {}, secrets: {} };
  for (const c of list) place(out, next, c, () => clusterResources(next, c, from));
  lastClusters = { list, records: { clusters: out.clusters, endpoints: out.endpoints }, memo: next };
  return lastClusters.records;
}

/** `records` with `more` added: the same object when there is nothing to add. */
function plus<T>(records: Readonly<Record<string, T>>, more: Readonly<Record<string, T>>): Record<string, T> {
  return Object.keys(more).length === 0 ? records : { ...records, ...more };
}

function httpResources(next: Map<string, object>, l: HttpListener): Made[] {
  if (l.protocol === 'HTTPS' && !l.tls?.certificates.length) return [];
  if (l.chains?.length === 0) return [];
  const chainKey = l.chains
    ? JSON.stringify(l.chains.map((c) => [c.name, c.sniHostnames, c.certificates]))
    : '';
  const cv = l.clientValidation;
  const cvKey = cv ? `${cv.name}\0${cv.allowInsecure}` : '';
  const key = `${l.name}\0${l.address}\0${l.port}\0${l.protocol}\0${l.tls ? digest(l.tls) : ''}\0${chainKey}\0${cvKey}`;
  const out = [made(next, 'listeners', l.name, `l\0${key}`, () => httpListener(l)!)];
  if (l.chains)
    for (const c of l.chains) {
      const name = chainRouteName(l, c);
      out.push(
        made(next, 'routes', name, `r\0${name}\0${l.port}\0${hostsDigest(c.virtualHosts)}`, () =>
          routeConfiguration(l, c),
        ),
      );
    }
  else
    out.push(
      made(next, 'routes', l.name, `r\0${l.name}\0${l.protocol}\0${hostsDigest(l.virtualHosts)}`, () =>
        routeConfiguration(l),
      ),
    );
  for (const cert of l.tls?.certificates ?? [])
    out.push(made(next, 'secrets', cert.secretName, `s\0${digest(cert)}`, () => tlsSecret(cert)));
  if (cv) out.push(made(next, 'secrets', cv.name, `v\0${digest(cv)}`, () => caSecret(cv)));
  return out;
}

function passthroughResources(next: Map<string, object>, l: TlsPassthroughListener): Made[] {
  const listener = tlsPassthroughListener(l);
  const out = listener ? [made(next, 'listeners', l.name, `t\0${digest(l)}`, () => listener)] : [];
  for (const cert of l.tls?.certificates ?? [])
    out.push(made(next, 'secrets', cert.secretName, `s\0${digest(cert)}`, () => tlsSecret(cert)));
  return out;
}

/** The whole IR as an xDS snapshot. Pure: equal IR gives deep-equal resources. */
export function translateIr(ir: IR, version: string): Snapshot {
  const next = new Map<string, object>();
  const out: Out = { clusters: {}, endpoints: {}, listeners: {}, routes: {}, secrets: {} };
  for (const l of ir.httpListeners) place(out, next, l, () => httpResources(next, l));
  for (const l of ir.tlsPassthroughListeners) place(out, next, l, () => passthroughResources(next, l));
  const l4 = l4Resources(ir);
  Object.assign(out.listeners, l4.listeners);
  const cl = clusterRecords(ir.clusters);
  const all: Out = {
    ...out,
    clusters: plus(cl.clusters, l4.clusters),
    endpoints: plus(cl.endpoints, l4.endpoints),
  };
  memo = next;
  const last = lastOut;
  lastOut = all;
  if (!last) return { version, ...all };
  // The same record for an unchanged kind: the encoder then reuses its whole encoded set.
  const kept = <K extends keyof Out>(k: K): Out[K] => (sameRecord(last[k], all[k]) ? last[k] : all[k]);
  lastOut = {
    clusters: kept('clusters'),
    endpoints: kept('endpoints'),
    listeners: kept('listeners'),
    routes: kept('routes'),
    secrets: kept('secrets'),
  };
  return { version, ...lastOut };
}

let lastOut: Out | undefined;

function sameRecord(a: Readonly<Record<string, object>>, b: Readonly<Record<string, object>>): boolean {
  if (a === b) return true;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) if (a[k] !== b[k]) return false;
  return true;
}

/** Which Gateways each Envoy resource serves, by kind and name: turns a NACK into Gateway conditions. */
export function resourceGateways(ir: IR): Record<ResourceKind, Map<string, GatewayRef[]>> {
  const out: Record<ResourceKind, Map<string, GatewayRef[]>> = {
    clusters: new Map(),
    endpoints: new Map(),
    listeners: new Map(),
    routes: new Map(),
    secrets: new Map(),
  };
  const add = (kind: ResourceKind, name: string, gw: GatewayRef) => {
    const list = out[kind].get(name) ?? [];
    if (!list.some((g) => g.namespace === gw.namespace && g.name === gw.name)) list.push(gw);
    out[kind].set(name, list);
  };
  const addCluster = (name: string, gw: GatewayRef) => {
    add('clusters', name, gw);
    add('endpoints', name, gw);
  };
  for (const l of ir.httpListeners) {
    add('listeners', l.name, l.gateway);
    if (l.chains) for (const c of l.chains) add('routes', chainRouteName(l, c), l.gateway);
    else add('routes', l.name, l.gateway);
    for (const c of l.tls?.certificates ?? []) add('secrets', c.secretName, l.gateway);
    if (l.clientValidation) add('secrets', l.clientValidation.name, l.gateway);
    for (const vh of l.virtualHosts) {
      for (const r of vh.routes) {
        if (r.action.type === 'Forward')
          for (const b of [...r.action.backends, ...(r.mirrors ?? [])]) addCluster(b.cluster, l.gateway);
      }
    }
  }
  for (const l of ir.tlsPassthroughListeners) {
    add('listeners', l.name, l.gateway);
    for (const c of l.tls?.certificates ?? []) add('secrets', c.secretName, l.gateway);
    for (const r of l.routes) for (const b of r.backends) addCluster(b.cluster, l.gateway);
  }
  for (const l of [...(ir.tcpListeners ?? []), ...(ir.udpListeners ?? [])]) {
    add('listeners', l.name, l.gateway);
    for (const b of l.route?.backends ?? []) addCluster(b.cluster, l.gateway);
  }
  for (const l of ir.udpListeners ?? [])
    if (l.route && l.route.backends.length > 1) addCluster(udpClusterName(l.route), l.gateway);
  return out;
}
