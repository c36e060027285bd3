// Attachments -> IR: one listener per Gateway address and port, one virtual host per domain,
// routes in the spec's match precedence, clusters for every backend a route uses.
import type {
  Cluster,
  HttpListener,
  HttpsChain,
  L4Listener,
  L4Route,
  HttpMatch,
  IR,
  SniRoute,
  TlsCertificate,
  TlsPassthroughListener,
  VirtualHost,
} from '../ir/types.ts';
import type { Attachment } from './attach.ts';
import type { ServicePort } from './backends.ts';
import { allListeners, attachable, transport } from './gateways.ts';
import type { GatewayModel, ListenerModel } from './gateways.ts';
import { compareDomains } from './hostnames.ts';
import { listenerDomain, misdirectedHosts, ownerOf } from './isolation.ts';
import { l4Route, routeBackends } from './l4-routes.ts';
import { listenerKey } from './listener-sets.ts';
import type { Lookup } from './lookup.ts';
import type { BackendTlsModel } from './backend-tls.ts';
import { withCopies, withUpstreamTls } from './upstream-tls.ts';
import { groupListeners, listenerPass } from './ir-listeners.ts';
import type { ClientCertClusters } from './upstream-tls.ts';
import { translationCounts } from './memo.ts';
import { byString, key } from './read.ts';
import { keptAcrossPasses } from './pass-memos.ts';
import { NO_ATTACHMENTS } from './route-stage.ts';
import { usedClusters } from './used-clusters.ts';
import type { Entry, GrpcKey, RouteModel } from './routes.ts';

const PATH_RANK = { Exact: 3, RegularExpression: 2, PathPrefix: 1 } as const;

/**
 * The spec's precedence: for HTTPRoute matches Exact > longest prefix > method > most headers > most
 * query params; for GRPCRoute matches see compareGrpc; then oldest route, name, rule, match.
 */
export function comparePrecedence(a: Entry, b: Entry): number {
  return (
    (a.grpc && b.grpc
      ? compareGrpc(a.grpc, b.grpc, a.ir.match, b.ir.match)
      : compareHttp(a.ir.match, b.ir.match)) ||
    byString(a.route.order, b.route.order) ||
    a.rule.index - b.rule.index ||
    a.matchIndex - b.matchIndex
  );
}

function compareHttp(ma: HttpMatch, mb: HttpMatch): number {
  return (
    PATH_RANK[mb.path.type] - PATH_RANK[ma.path.type] ||
    mb.path.value.length - ma.path.value.length ||
    (mb.method ? 1 : 0) - (ma.method ? 1 : 0) ||
    mb.headers.length - ma.headers.length ||
    mb.queryParams.length - ma.queryParams.length
  );
}

/** GRPCRoute's own order: most characters of service, then of method, then most header matches. */
function compareGrpc(ga: GrpcKey, gb: GrpcKey, ma: HttpMatch, mb: HttpMatch): number {
  return gb.service - ga.service || gb.method - ga.method || mb.headers.length - ma.headers.length;
}

export interface PortGroup {
  readonly key: string;
  readonly gateway: GatewayModel;
  readonly port: number;
  readonly protocol: string;
  readonly certs: Map<string, TlsCertificate>;
  readonly attachments: Attachment[];
  /** The port's valid listeners, in Gateway order. */
  readonly listeners: ListenerModel[];
}

type Groups = { byKey: Map<string, PortGroup>; byListener: Map<ListenerModel, PortGroup> };

function mergeCert(certs: Map<string, TlsCertificate>, c: TlsCertificate): void {
  const old = certs.get(c.secretName);
  if (!old) certs.set(c.secretName, c);
  else {
    const any = old.sniHostnames.length === 0 || c.sniHostnames.length === 0;
    const sni = any ? [] : [...new Set([...old.sniHostnames, ...c.sniHostnames])].sort();
    certs.set(c.secretName, { ...old, sniHostnames: sni });
  }
}

function portGroups(gateways: readonly GatewayModel[]): Groups {
  const groups = new Map<string, PortGroup>();
  const byListener = new Map<ListenerModel, PortGroup>();
  for (const gw of gateways) {
    for (const li of allListeners(gw)) {
      if (!attachable(li)) continue;
      // TCP and UDP on one port are two sockets.
      const udp = transport(li.protocol) === 'UDP' ? '/udp' : '';
      const k = `${key(gw.meta.namespace, gw.meta.name)}/${li.port}${udp}`;
      let g = groups.get(k);
      if (!g) {
        g = {
          key: k,
          gateway: gw,
          port: li.port,
          protocol: li.protocol,
          certs: new Map(),
          attachments: [],
          listeners: [],
        };
        groups.set(k, g);
      }
      byListener.set(li, g);
      g.listeners.push(li);
      for (const c of li.certificates) mergeCert(g.certs, c);
    }
  }
  return { byKey: groups, byListener };
}

/**
 * Virtual hosts of a port, or of one listener of it (`chain`). With several listeners on the port,
 * a domain is served only by the listener that owns it (listener isolation), and every listener's
 * hostname gets a host even without routes, so its requests never fall to a wider listener's.
 */
function virtualHosts(
  atts: readonly Attachment[],
  listeners: readonly ListenerModel[],
  chain?: ListenerModel,
): VirtualHost[] {
  const domains = new Map<string, Entry[]>();
  const seen = new Set<string>();
  const isolate = listeners.length > 1;
  for (const a of atts) {
    if (chain && a.listener !== chain) continue;
    for (const domain of a.hostnames) {
      if (isolate && ownerOf(domain, listeners) !== a.listener) continue;
      // A route reachable through two listeners on one port lands once per domain.
      const seenKey = `${domain}|${a.route.order}`;
      if (seen.has(seenKey)) continue;
      seen.add(seenKey);
      let list = domains.get(domain);
      if (!list) domains.set(domain, (list = []));
      for (const e of a.route.entries) list.push(e);
    }
  }
  if (isolate)
    for (const li of chain ? [chain] : listeners)
      if (!domains.has(listenerDomain(li))) domains.set(listenerDomain(li), []);
  const out: VirtualHost[] = [];
  for (const domain of [...domains.keys()].sort(compareDomains)) {
    const entries = (domains.get(domain) ?? []).sort(comparePrecedence);
    out.push({ name: domain, domains: [domain], routes: entries.map((e) => e.ir) });
  }
  return out;
}

/** HTTPS: one filter chain per listener, whose Host names of the port's other listeners get 421. */
function httpsChains(g: PortGroup): HttpsChain[] {
  const gw = `${g.gateway.meta.namespace}/${g.gateway.meta.name}`;
  return g.listeners
    .filter((li) => li.certificates.length > 0)
    .map((li) => ({
      name: listenerKey(li),
      sniHostnames: li.hostname ? [li.hostname] : [],
      certificates: [...new Set(li.certificates.map((c) => c.secretName))].sort(byString),
      virtualHosts: [
        ...virtualHosts(g.attachments, g.listeners, li),
        ...misdirectedHosts(li, g.listeners, (other) => `${gw}/listener/${listenerKey(other)}/misdirected`),
      ].sort((a, b) => compareDomains(a.name, b.name)),
    }))
    .sort((a, b) => byString(a.name, b.name));
}

function sniRoutes(atts: readonly Attachment[], listeners: readonly ListenerModel[]): SniRoute[] {
  const mixed = listeners.some((li) => li.passthrough) && listeners.some((li) => !li.passthrough);
  // One route per SNI name: the oldest route (then by name) wins a contested hostname.
  const order = [...atts].sort((a, b) => byString(a.route.order, b.route.order));
  const claimed = new Set<string>();
  const out: SniRoute[] = [];
  const done = new Set<RouteModel>();
  for (const { route, hostnames, listener } of order) {
    if (done.has(route)) continue;
    done.add(route);
    const mine = hostnames.filter((h) => !claimed.has(h));
    if (mine.length === 0) continue;
    for (const h of mine) claimed.add(h);
    out.push({
      name: `${route.meta.namespace}/${route.meta.name}/rule/0`,
      sniHostnames: mine.sort(),
      backends: routeBackends(route),
      // A port mixing modes (TLSRouteModeMixed): the route keeps the mode of its listener.
      ...(mixed && listener.passthrough ? { passthrough: true } : {}),
    });
  }
  return out.sort((a, b) => byString(a.name, b.name));
}

// Per port group, the last routes built and the attachments they came from. Route models are
// memoized per route object, so an unchanged group has identical attachments and reuses its
// routes: one route change rebuilds one Gateway's virtual hosts, not all of them. While the route
// stage hands back a Gateway's very attachment list (`source`), its groups need no comparing at all.
type Built = {
  source: readonly Attachment[];
  listenerSig: string[];
  sig: unknown[];
  vhosts: VirtualHost[];
  chains?: HttpsChain[];
  sni: SniRoute[];
  l4?: L4Route;
  clusters: Map<string, ServicePort>;
};
let groupMemo = new Map<string, Built>();
keptAcrossPasses(() => (groupMemo = new Map()));

function listenerSignature(listeners: readonly ListenerModel[]): string[] {
  return listeners.map(
    (li) => `${listenerKey(li)}|${li.hostname ?? ''}|${li.certificates.length}|${li.passthrough ? 'P' : ''}`,
  );
}

function signature(atts: readonly Attachment[]): unknown[] {
  const sig: unknown[] = [];
  // Each attachment's route (an object) then its hostnames: unambiguous, and no string built per route.
  for (const a of atts) sig.push(a.route, ...a.hostnames);
  return sig;
}

function sameSig(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** One Service port used by an HTTPRoute and a GRPCRoute speaks HTTP/2 to both. */
function addPort(ports: Map<string, ServicePort>, cluster: string, svc: ServicePort): void {
  const old = ports.get(cluster);
  if (!old || (svc.http2 && !old.http2)) ports.set(cluster, svc);
}

function build(g: PortGroup, memo: Pick<Built, 'source' | 'listenerSig' | 'sig'>): Built {
  translationCounts.portGroups++;
  const { source, listenerSig, sig } = memo;
  const clusters = new Map<string, ServicePort>();
  for (const a of g.attachments) for (const [c, svc] of a.route.clusters) addPort(clusters, c, svc);
  if (g.protocol === 'TCP' || g.protocol === 'UDP') {
    const l4 = l4Route(g.attachments);
    // Only the route that gets the traffic needs its clusters.
    const served = new Set(l4?.backends.map((b) => b.cluster));
    for (const c of [...clusters.keys()]) if (!served.has(c)) clusters.delete(c);
    return { source, listenerSig, sig, vhosts: [], sni: [], ...(l4 ? { l4 } : {}), clusters };
  }
  return g.protocol === 'TLS'
    ? { source, listenerSig, sig, vhosts: [], sni: sniRoutes(g.attachments, g.listeners), clusters }
    : {
        source,
        listenerSig,
        sig,
        vhosts: virtualHosts(g.attachments, g.listeners),
        ...(g.protocol === 'HTTPS' ? { chains: httpsChains(g) } : {}),
        sni: [],
        clusters,
      };
}

/** The group's routes: the last ones built if its Gateway's attachments and listeners are the same. */
function cachedBuild(
  g: PortGroup,
  source: readonly Attachment[],
  fill: () => void,
  old: Built | undefined,
): Built {
  const listenerSig = listenerSignature(g.listeners);
  const sameListeners = old !== undefined && sameSig(old.listenerSig, listenerSig);
  if (sameListeners && old.source === source) return old;
  fill();
  const sig = signature(g.attachments);
  if (sameListeners && sameSig(old.sig, sig)) return { ...old, source };
  return build(g, { source, listenerSig, sig });
}

/** `byGateway`: each Gateway's attachments in route order (see route-stage.ts). */
export function buildIR(
  l: Lookup,
  gateways: readonly GatewayModel[],
  byGateway: ReadonlyMap<GatewayModel, readonly Attachment[]>,
  backendTls?: BackendTlsModel,
): IR {
  const copies: ClientCertClusters = new Map();
  const { byKey: groups, byListener } = portGroups(gateways);
  // A Gateway's attachments go to its port groups only when one of them must be compared or built.
  const filled = new Set<GatewayModel>();
  const fill = (gw: GatewayModel) => () => {
    if (filled.has(gw)) return;
    filled.add(gw);
    for (const a of byGateway.get(gw) ?? []) byListener.get(a.listener)?.attachments.push(a);
  };
  const nextMemo = new Map<string, Built>();
  const listeners = listenerPass();
  const httpListeners: HttpListener[] = [];
  const tlsPassthroughListeners: TlsPassthroughListener[] = [];
  const tcpListeners: L4Listener[] = [];
  const udpListeners: L4Listener[] = [];
  const ports = new Map<string, ReadonlyMap<string, ServicePort>>();
  for (const g of groups.values()) {
    const addresses = g.gateway.addresses.filter((a) => a.type === 'IPAddress').map((a) => a.value);
    if (addresses.length === 0) continue;
    const certificates = [...g.certs.values()].sort((a, b) => byString(a.secretName, b.secretName));
    const terminate =
      g.protocol === 'HTTPS' || (g.protocol === 'TLS' && g.listeners.some((li) => !li.passthrough));
    if (terminate && certificates.length === 0) continue;
    const memoKey = `${g.key}/${g.protocol}`;
    const source = byGateway.get(g.gateway) ?? NO_ATTACHMENTS;
    const built = cachedBuild(g, source, fill(g.gateway), groupMemo.get(memoKey));
    nextMemo.set(memoKey, built);
    ports.set(memoKey, built.clusters);
    // HTTP gets the Gateway's client certificate; passthrough, TCP and UDP get plaintext copies.
    const bytes = g.protocol === 'TCP' || g.protocol === 'UDP' || (g.protocol === 'TLS' && !terminate);
    const cert = bytes ? undefined : g.gateway.backendClientCertificate?.certificate;
    const routes = backendTls && (bytes || cert) ? withCopies(built, backendTls, cert, copies) : built;
    const made = listeners.get(memoKey, g, routes, () =>
      groupListeners(g, routes, addresses, certificates, terminate),
    );
    httpListeners.push(...made.http);
    tlsPassthroughListeners.push(...made.tls);
    tcpListeners.push(...made.tcp);
    udpListeners.push(...made.udp);
  }
  listeners.done();
  groupMemo = nextMemo;
  const base = usedClusters(l, ports);
  const clusters: Cluster[] = backendTls?.policies.length
    ? withUpstreamTls(base, backendTls, copies).sort((a, b) => byString(a.name, b.name))
    : base;
  return {
    httpListeners: httpListeners.sort((a, b) => byString(a.name, b.name)),
    tlsPassthroughListeners: tlsPassthroughListeners.sort((a, b) => byString(a.name, b.name)),
    ...(tcpListeners.length ? { tcpListeners: tcpListeners.sort((a, b) => byString(a.name, b.name)) } : {}),
    ...(udpListeners.length ? { udpListeners: udpListeners.sort((a, b) => byString(a.name, b.name)) } : {}),
    clusters,
  };
}
