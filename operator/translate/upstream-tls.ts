// BackendTLSPolicy in the IR: TLS on the clusters of targeted Service ports, and, for a Gateway
// with a backend client certificate, its own copy of each TLS cluster (`<cluster>#client/<secret>`)
// that its routes use instead, so the certificate is presented only for that Gateway's traffic.
// Passthrough TLS, TCP and UDP listeners forward bytes as they are: they use a plaintext copy
// (`<cluster>#plain`), never wrapping a client's own TLS in a second session.
import type {
  Cluster,
  HttpsChain,
  L4Route,
  Route,
  SniRoute,
  TlsCertificate,
  VirtualHost,
  WeightedBackend,
} from '../ir/types.ts';
import type { BackendTlsModel } from './backend-tls.ts';
import type { ServicePort } from './backends.ts';

/** Copy name -> the cluster it copies, and the client certificate it presents (none: plaintext). */
export type ClientCertClusters = Map<string, { readonly base: string; readonly cert?: TlsCertificate }>;

/**
 * How a listener's routes rename their TLS clusters: to copies presenting `cert`, or (undefined)
 * to plaintext copies. Undefined when nothing changes.
 */
function clientCertRenamer(
  clusters: ReadonlyMap<string, ServicePort>,
  model: BackendTlsModel,
  cert: TlsCertificate | undefined,
  out: ClientCertClusters,
): ((cluster: string) => string) | undefined {
  const renamed = new Map<string, string>();
  for (const [name, svc] of clusters) {
    const tls = model.tlsFor(svc.namespace, svc.name, svc.port);
    if (!tls || (cert && tls.refused)) continue;
    const copy = cert ? `${name}#client/${cert.secretName}` : `${name}#plain`;
    renamed.set(name, copy);
    out.set(copy, { base: name, ...(cert ? { cert } : {}) });
  }
  return renamed.size ? (c) => renamed.get(c) ?? c : undefined;
}

function renameBackends(
  backends: readonly WeightedBackend[],
  rename: (c: string) => string,
): WeightedBackend[] {
  return backends.map((b) => ({ ...b, cluster: rename(b.cluster) }));
}

function renameRoute(r: Route, rename: (c: string) => string): Route {
  if (r.action.type !== 'Forward') return r;
  return {
    ...r,
    action: { ...r.action, backends: renameBackends(r.action.backends, rename) },
    ...(r.mirrors ? { mirrors: r.mirrors.map((m) => ({ ...m, cluster: rename(m.cluster) })) } : {}),
  };
}

function renameHosts(vhosts: readonly VirtualHost[], rename: (c: string) => string): VirtualHost[] {
  return vhosts.map((vh) => ({ ...vh, routes: vh.routes.map((r) => renameRoute(r, rename)) }));
}

function renameChains(chains: readonly HttpsChain[], rename: (c: string) => string): HttpsChain[] {
  return chains.map((c) => ({ ...c, virtualHosts: renameHosts(c.virtualHosts, rename) }));
}

interface Routes {
  readonly vhosts: readonly VirtualHost[];
  readonly chains?: readonly HttpsChain[];
  readonly sni: readonly SniRoute[];
  readonly l4?: L4Route;
  readonly clusters: ReadonlyMap<string, ServicePort>;
}

/** One listener's routes, sending to copies of the TLS clusters (see clientCertRenamer). */
export function withCopies(
  r: Routes,
  model: BackendTlsModel,
  cert: TlsCertificate | undefined,
  copies: ClientCertClusters,
): Omit<Routes, 'clusters'> {
  const rename = clientCertRenamer(r.clusters, model, cert, copies);
  if (!rename) return r;
  return {
    vhosts: renameHosts(r.vhosts, rename),
    ...(r.chains ? { chains: renameChains(r.chains, rename) } : {}),
    sni: r.sni.map((x) => ({ ...x, backends: renameBackends(x.backends, rename) })),
    ...(r.l4 ? { l4: { ...r.l4, backends: renameBackends(r.l4.backends, rename) } } : {}),
  };
}

/** Clusters with their policy's TLS, plus the client-certificate copies, sorted by name. */
export function withUpstreamTls(
  clusters: readonly Cluster[],
  model: BackendTlsModel | undefined,
  copies: ClientCertClusters,
): Cluster[] {
  if (!model || model.policies.length === 0) return [...clusters];
  const out = clusters.map((c) => {
    const tls = model.tlsFor(c.service.namespace, c.service.name, c.service.port);
    return tls ? { ...c, tls } : c;
  });
  const byName = new Map(out.map((c) => [c.name, c]));
  for (const [name, { base, cert }] of copies) {
    const c = byName.get(base);
    if (!c?.tls) continue;
    const copy: { -readonly [K in keyof Cluster]: Cluster[K] } = { ...c, name };
    if (cert) copy.tls = { ...c.tls, clientCertificate: cert };
    else delete copy.tls;
    out.push(copy);
  }
  return out;
}
