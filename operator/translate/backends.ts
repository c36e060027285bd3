// backendRefs -> clusters. A cluster is a Service port, named `namespace/service/port` so the
// name never depends on which rule uses it; endpoints are the ready ones of its EndpointSlices.
import type { Cluster, Endpoint } from '../ir/types.ts';
import type { Lookup } from './lookup.ts';
import { referenceAllowed } from './lookup.ts';
import { keptAcrossPasses } from './pass-memos.ts';
import { arr, bool, int, key, obj, str } from './read.ts';

export type BackendResult =
  | {
      readonly ok: true;
      readonly cluster: string;
      readonly weight: number;
      readonly service: ServicePort;
    }
  | {
      readonly ok: false;
      readonly reason: 'RefNotPermitted' | 'BackendNotFound' | 'InvalidKind';
      readonly message: string;
      readonly weight: number;
    };

/** A Service port a route forwards to. */
export interface ServicePort {
  readonly namespace: string;
  readonly name: string;
  readonly port: number;
  /** Some route speaks gRPC to it: the upstream needs HTTP/2. */
  readonly http2?: boolean;
}

export function clusterName(namespace: string, service: string, port: number): string {
  return `${namespace}/${service}/${port}`;
}

export function resolveBackendRef(
  l: Lookup,
  routeKind: string,
  routeNamespace: string,
  raw: unknown,
): BackendResult {
  const ref = obj(raw);
  const w = int(ref.weight);
  const weight = w === undefined ? 1 : Math.max(0, Math.min(w, 1_000_000));
  const group = str(ref.group) ?? '';
  const kind = str(ref.kind) ?? 'Service';
  const name = str(ref.name) ?? '';
  const namespace = str(ref.namespace) ?? routeNamespace;
  const port = int(ref.port);
  if ((group !== '' && group !== 'core') || kind !== 'Service') {
    return {
      ok: false,
      reason: 'InvalidKind',
      message: `backendRef kind ${group}/${kind} is not supported`,
      weight,
    };
  }
  if (
    !referenceAllowed(l, { kind: routeKind, namespace: routeNamespace }, { group: '', kind, namespace, name })
  ) {
    return {
      ok: false,
      reason: 'RefNotPermitted',
      message: `backendRef to Service ${namespace}/${name} is not permitted by any ReferenceGrant`,
      weight,
    };
  }
  const svc =
    name.includes('/') || namespace.includes('/') ? undefined : l.services.get(key(namespace, name));
  if (svc === undefined) {
    return {
      ok: false,
      reason: 'BackendNotFound',
      message: `Service ${namespace}/${name} not found`,
      weight,
    };
  }
  const hasPort = arr(obj(obj(svc).spec).ports).some((p) => int(obj(p).port) === port);
  if (port === undefined || !hasPort) {
    return {
      ok: false,
      reason: 'BackendNotFound',
      message: `Service ${namespace}/${name} has no port ${port ?? '(unset)'}`,
      weight,
    };
  }
  return {
    ok: true,
    cluster: clusterName(namespace, name, port),
    weight,
    service: { namespace, name, port },
  };
}

function compareEndpoints(a: Endpoint, b: Endpoint): number {
  return a.address < b.address ? -1 : a.address > b.address ? 1 : a.port - b.port;
}

/** The cluster for a Service port, with ready endpoints resolved through the port's name. */
export function buildCluster(
  l: Lookup,
  namespace: string,
  service: string,
  port: number,
  http2 = false,
): Cluster {
  const svc = obj(l.services.get(key(namespace, service)));
  const sp = arr(obj(svc.spec).ports).find((p) => int(obj(p).port) === port);
  // GEP-1911: appProtocol kubernetes.io/h2c is HTTP/2 over cleartext, with prior knowledge.
  const h2 = http2 || str(obj(sp).appProtocol) === 'kubernetes.io/h2c';
  const portName = str(obj(sp).name) ?? '';
  const seen = new Set<string>();
  const endpoints: Endpoint[] = [];
  for (const slice of l.slices.get(key(namespace, service)) ?? []) {
    const so = obj(slice);
    if (so.addressType === 'FQDN') continue;
    const slicePort = arr(so.ports).find((p) => (str(obj(p).name) ?? '') === portName);
    const target = int(obj(slicePort).port);
    if (target === undefined || target < 1 || target > 65535) continue;
    for (const ep of arr(so.endpoints)) {
      const e = obj(ep);
      if (bool(obj(e.conditions).ready) === false) continue;
      for (const a of arr(e.addresses)) {
        const address = str(a);
        if (!address) continue;
        const k = `${address}|${target}`;
        if (seen.has(k)) continue;
        seen.add(k);
        endpoints.push({ address, port: target });
      }
    }
  }
  endpoints.sort(compareEndpoints);
  return {
    name: clusterName(namespace, service, port),
    service: { namespace, name: service, port },
    endpoints,
    ...(h2 ? { protocol: 'HTTP2' as const } : {}),
  };
}

// Clusters reused while their Service and EndpointSlice objects are the same objects, so an
// endpoint change rebuilds only the clusters of that Service.
type ClusterMemo = { svc: unknown; slices: readonly unknown[]; http2: boolean; cluster: Cluster };
let clusterMemo = new Map<string, ClusterMemo>();
keptAcrossPasses(() => (clusterMemo = new Map()));

/** buildCluster for many ports at once, memoized across calls. */
export function buildClusters(l: Lookup, ports: readonly ServicePort[]): Cluster[] {
  const next = new Map<string, ClusterMemo>();
  const out: Cluster[] = [];
  for (const p of ports) {
    const name = clusterName(p.namespace, p.name, p.port);
    const svc = l.services.get(key(p.namespace, p.name));
    const slices = l.slices.get(key(p.namespace, p.name)) ?? [];
    const old = clusterMemo.get(name);
    const same =
      old !== undefined &&
      old.svc === svc &&
      old.http2 === (p.http2 ?? false) &&
      old.slices.length === slices.length &&
      old.slices.every((x, i) => x === slices[i]);
    const http2 = p.http2 ?? false;
    const entry = same
      ? old
      : { svc, slices, http2, cluster: buildCluster(l, p.namespace, p.name, p.port, http2) };
    next.set(name, entry);
    out.push(entry.cluster);
  }
  clusterMemo = next;
  return out;
}
