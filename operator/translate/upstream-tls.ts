// BackendTLSPolicy in the IR: TLS on the clusters of targeted Service ports, and, for a Gateway
// with a backend client certificate, its own copy of each TLS cluster (`<cluster>#client/<secret>`)
// that its routes use instead, so the certificate is presented only for that Gateway's traffic.
import type { Cluster, HttpsChain, Route, TlsCertificate, VirtualHost } from '../ir/types.ts';
import type { BackendTlsModel } from './backend-tls.ts';
import type { ServicePort } from './backends.ts';

/** Client-certificate cluster name -> the cluster it copies and the certificate it presents. */
export type ClientCertClusters = Map<string, { readonly base: string; readonly cert: TlsCertificate }>;

/** How a Gateway's routes rename their clusters, or undefined when nothing changes. */
export function clientCertRenamer(
  clusters: ReadonlyMap<string, ServicePort>,
  model: BackendTlsModel,
  cert: TlsCertificate,
  out: ClientCertClusters,
): ((cluster: string) => string) | undefined {
  const renamed = new Map<string, string>();
  for (const [name, svc] of clusters) {
    const tls = model.tlsFor(svc.namespace, svc.name, svc.port);
    if (!tls || tls.refused) continue;
    const copy = `${name}#client/${cert.secretName}`;
    renamed.set(name, copy);
    out.set(copy, { base: name, cert });
  }
  return renamed.size ? (c) => renamed.get(c) ?? c : undefined;
}

function renameRoute(r: Route, rename: (c: string) => string): Route {
  if (r.action.type !== 'Forward') return r;
  return {
    ...r,
    action: { ...r.action, backends: r.action.backends.map((b) => ({ ...b, cluster: rename(b.cluster) })) },
    ...(r.mirrors ? { mirrors: r.mirrors.map((m) => ({ ...m, cluster: rename(m.cluster) })) } : {}),
  };
}

export function renameHosts(vhosts: readonly VirtualHost[], rename: (c: string) => string): VirtualHost[] {
  return vhosts.map((vh) => ({ ...vh, routes: vh.routes.map((r) => renameRoute(r, rename)) }));
}

export function renameChains(chains: readonly HttpsChain[], rename: (c: string) => string): HttpsChain[] {
  return chains.map((c) => ({ ...c, virtualHosts: renameHosts(c.virtualHosts, rename) }));
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
    if (c?.tls) out.push({ ...c, name, tls: { ...c.tls, clientCertificate: cert } });
  }
  return out;
}
