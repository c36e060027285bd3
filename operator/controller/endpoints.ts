// The endpoint path: an EndpointSlice change rebuilds only the clusters of its Service and reaches
// Envoy as EDS, without translating routes again. Routes never read endpoints, so this is exact:
// the next full translation builds the very same clusters (and the sink then sends nothing).
import type { Cluster } from '../ir/types.ts';
import { objectKey, type KubeObject } from '../kube/resources.ts';
import type { EventType } from '../kube/reflector.ts';
import { buildCluster } from '../translate/backends.ts';
import type { Lookup } from '../translate/lookup.ts';

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** Where rebuilt clusters go: the xDS sink, which knows the clusters of its last push. */
export interface EndpointSink {
  /** Clusters of the last full push (undefined before the first one). */
  clusters(): readonly Cluster[] | undefined;
  /** Replaces these clusters' endpoints in the current config and pushes it; false if nothing changed. */
  pushEndpoints(clusters: readonly Cluster[]): boolean;
}

/** EndpointSlices by Service, fed by the watch, and the Services whose slices changed since the last flush. */
export class EndpointIndex {
  private readonly byService = new Map<string, Map<string, unknown>>();
  private readonly serviceOf = new Map<string, string>();
  private readonly dirty = new Set<string>();

  /** Records a slice event; returns true if a Service's endpoints may have changed. */
  update(type: EventType, slice: KubeObject): boolean {
    const key = objectKey(slice);
    const before = this.serviceOf.get(key);
    const name = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    const after = type === 'DELETED' || !name ? undefined : `${slice.metadata?.namespace ?? ''}/${name}`;
    if (before !== undefined && before !== after) {
      this.byService.get(before)?.delete(key);
      if (this.byService.get(before)?.size === 0) this.byService.delete(before);
      this.serviceOf.delete(key);
      this.dirty.add(before);
    }
    if (after !== undefined) {
      let slices = this.byService.get(after);
      if (!slices) this.byService.set(after, (slices = new Map()));
      slices.set(key, slice);
      this.serviceOf.set(key, after);
      this.dirty.add(after);
    }
    return this.dirty.size > 0;
  }

  /** Services marked since the last call, and their slices now. */
  flush(): Map<string, unknown[]> {
    const out = new Map<string, unknown[]>();
    for (const svc of this.dirty) out.set(svc, [...(this.byService.get(svc)?.values() ?? [])]);
    this.dirty.clear();
    return out;
  }
}

/**
 * The clusters of `current` whose Service is in `changed`, rebuilt from that Service and its slices
 * now; only those whose endpoints differ. Pure.
 */
export function rebuildClusters(
  current: readonly Cluster[],
  changed: ReadonlyMap<string, unknown[]>,
  service: (namespace: string, name: string) => unknown,
): Cluster[] {
  const out: Cluster[] = [];
  for (const c of current) {
    const svcKey = `${c.service.namespace}/${c.service.name}`;
    const slices = changed.get(svcKey);
    if (!slices) continue;
    const svc = service(c.service.namespace, c.service.name);
    // A Service that is gone changes routes' conditions: that is the full translation's job.
    if (svc === undefined) continue;
    const lookup: Lookup = {
      services: new Map([[svcKey, svc]]),
      slices: new Map([[svcKey, slices]]),
      secrets: new Map(),
      configMaps: new Map(),
      namespaceLabels: new Map(),
      grants: new Map(),
    };
    const next = buildCluster(
      lookup,
      c.service.namespace,
      c.service.name,
      c.service.port,
      c.protocol === 'HTTP2',
    );
    // Only endpoints move here; the protocol and the rest follow the Service in the full path.
    if (!sameEndpoints(c, next)) out.push({ ...c, endpoints: next.endpoints });
  }
  return out;
}

function sameEndpoints(a: Cluster, b: Cluster): boolean {
  return (
    a.endpoints.length === b.endpoints.length &&
    a.endpoints.every((e, i) => e.address === b.endpoints[i]!.address && e.port === b.endpoints[i]!.port)
  );
}
