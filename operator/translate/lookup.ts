// Indexes over a snapshot so translation is linear in its size, and ReferenceGrant checks.
import { GATEWAY_GROUP } from '../api/index.ts';
import { arr, key, meta, obj, str } from './read.ts';
import type { Snapshot } from './types.ts';

interface Grant {
  readonly from: readonly { group: string; kind: string; namespace: string }[];
  readonly to: readonly { group: string; kind: string; name?: string }[];
}

export interface Lookup {
  readonly services: ReadonlyMap<string, unknown>;
  /** `namespace/service` -> its EndpointSlices (by the kubernetes.io/service-name label). */
  readonly slices: ReadonlyMap<string, unknown[]>;
  readonly secrets: ReadonlyMap<string, unknown>;
  /** ConfigMaps, holding only their `ca.crt` key (CA bundles; kube/cache.ts drops the rest). */
  readonly configMaps: ReadonlyMap<string, unknown>;
  readonly namespaceLabels: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** namespace -> grants living in it (they admit references *into* that namespace). */
  readonly grants: ReadonlyMap<string, Grant[]>;
}

function byKey(items: readonly unknown[]): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (const it of arr(items)) {
    const md = meta(it);
    if (md.name) m.set(key(md.namespace, md.name), it);
  }
  return m;
}

export function buildLookup(s: Snapshot): Lookup {
  const slices = new Map<string, unknown[]>();
  for (const sl of arr(s.endpointSlices)) {
    const md = meta(sl);
    const svc = md.labels['kubernetes.io/service-name'];
    if (!svc) continue;
    const k = key(md.namespace, svc);
    const list = slices.get(k);
    if (list) list.push(sl);
    else slices.set(k, [sl]);
  }
  const namespaceLabels = new Map<string, Readonly<Record<string, string>>>();
  for (const ns of arr(s.namespaces)) {
    const md = meta(ns);
    // The API server always sets this label; add it for namespaces built by hand in tests.
    if (md.name) namespaceLabels.set(md.name, { 'kubernetes.io/metadata.name': md.name, ...md.labels });
  }
  const grants = new Map<string, Grant[]>();
  for (const g of arr(s.referenceGrants)) {
    const md = meta(g);
    const spec = obj(obj(g).spec);
    const grant: Grant = {
      from: arr(spec.from).map((f) => ({
        group: str(obj(f).group) ?? '',
        kind: str(obj(f).kind) ?? '',
        namespace: str(obj(f).namespace) ?? '',
      })),
      to: arr(spec.to).map((t) => {
        const name = str(obj(t).name);
        return { group: str(obj(t).group) ?? '', kind: str(obj(t).kind) ?? '', ...(name ? { name } : {}) };
      }),
    };
    const list = grants.get(md.namespace);
    if (list) list.push(grant);
    else grants.set(md.namespace, [grant]);
  }
  return {
    services: byKey(s.services),
    slices,
    secrets: byKey(s.secrets),
    configMaps: byKey(arr(s.configMaps)),
    namespaceLabels,
    grants,
  };
}

export interface RefFrom {
  readonly kind: string;
  readonly namespace: string;
}
export interface RefTo {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** Same-namespace references are always allowed; others need a ReferenceGrant in the target namespace. */
export function referenceAllowed(l: Lookup, from: RefFrom, to: RefTo): boolean {
  if (from.namespace === to.namespace) return true;
  for (const g of l.grants.get(to.namespace) ?? []) {
    const fromOk = g.from.some(
      (f) => f.group === GATEWAY_GROUP && f.kind === from.kind && f.namespace === from.namespace,
    );
    if (!fromOk) continue;
    if (g.to.some((t) => t.group === to.group && t.kind === to.kind && (!t.name || t.name === to.name)))
      return true;
  }
  return false;
}
