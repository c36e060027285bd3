// Which routes a status pass must look at. Informer caches keep unchanged objects identical and the
// translator hands back the same status result while a route is unchanged, so at 10,000 routes a
// pass looks only at the routes whose object or desired status changed, and those whose write
// failed, instead of indexing and comparing every route by name.
import type { RouteParentStatus } from '../api/index.ts';
import type { WithStatus } from '../kube/status.ts';
import { changes } from '../translate/list-changes.ts';
import type { RouteStatusResult } from '../translate/types.ts';

type RouteKind = RouteStatusResult['kind'];

/** One route to look at: its live object and the parents the translation wants (ours). */
export interface RouteToCheck {
  readonly key: string;
  readonly kind: RouteKind;
  readonly live: WithStatus;
  readonly ours: RouteParentStatus[] | undefined;
}

/** Beyond this many changed objects, indexing everything again is as cheap. */
const MAX_CHANGES = 512;

const liveKey = (kind: string, o: WithStatus): string =>
  `${kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
const desiredKey = (r: RouteStatusResult): string => `${r.kind}/${r.namespace}/${r.name}`;

export class RouteStatusPlan {
  private live = new Map<string, { kind: RouteKind; live: WithStatus }>();
  private desired = new Map<string, RouteStatusResult>();
  private items: readonly (readonly WithStatus[])[] | undefined;
  private statuses: readonly RouteStatusResult[] = [];
  /** Looked at, but not settled: looked at again next pass. */
  private retry = new Set<string>();
  /** False after a rebuild met one name twice: the next pass rebuilds too. */
  private incremental = false;

  /** The routes to look at, per kind in `kinds` order (cache order within a kind after a rebuild). */
  next(
    kinds: readonly RouteKind[],
    items: readonly (readonly WithStatus[])[],
    statuses: readonly RouteStatusResult[],
  ): RouteToCheck[] {
    const keys = this.update(kinds, items, statuses) ?? this.rebuild(kinds, items, statuses);
    for (const k of this.retry) keys.add(k);
    this.retry = new Set();
    const out: RouteToCheck[] = [];
    for (const key of keys) {
      const l = this.live.get(key);
      if (l) out.push({ key, kind: l.kind, live: l.live, ours: this.desired.get(key)?.parents });
    }
    return out;
  }

  /** A route looked at whose status could not be made current: look at it again next pass. */
  unsettled(key: string): void {
    this.retry.add(key);
  }

  private rebuild(
    kinds: readonly RouteKind[],
    items: readonly (readonly WithStatus[])[],
    statuses: readonly RouteStatusResult[],
  ): Set<string> {
    this.live = new Map();
    let count = 0;
    kinds.forEach((kind, k) => {
      for (const o of items[k] ?? []) {
        this.live.set(liveKey(kind, o), { kind, live: o });
        count++;
      }
    });
    this.desired = new Map(statuses.map((r) => [desiredKey(r), r]));
    this.incremental = this.live.size === count && this.desired.size === statuses.length;
    this.items = items.map((x) => [...x]);
    this.statuses = [...statuses];
    return new Set(this.live.keys());
  }

  /** The keys whose live object or desired status changed, or undefined when a rebuild is needed. */
  private update(
    kinds: readonly RouteKind[],
    items: readonly (readonly WithStatus[])[],
    statuses: readonly RouteStatusResult[],
  ): Set<string> | undefined {
    const before = this.items;
    if (!before || !this.incremental || before.length !== items.length) return undefined;
    // Edited in place: a pass that gives up here rebuilds them anyway.
    const { live, desired } = this;
    const keys = new Set<string>();
    for (let k = 0; k < kinds.length; k++) {
      const kind = kinds[k] as RouteKind;
      const c = changes(before[k] ?? [], items[k] ?? []);
      if (c.gone.length + c.come.length > MAX_CHANGES) return undefined;
      for (const o of c.gone) {
        const key = liveKey(kind, o);
        live.delete(key);
        keys.add(key);
      }
      for (const o of c.come) {
        const key = liveKey(kind, o);
        // Two live objects under one name: only a rebuild orders them as the full index does.
        if (live.has(key)) return undefined;
        live.set(key, { kind, live: o });
        keys.add(key);
      }
    }
    const c = changes(this.statuses, statuses);
    if (c.gone.length + c.come.length > MAX_CHANGES) return undefined;
    for (const r of c.gone) {
      const key = desiredKey(r);
      desired.delete(key);
      keys.add(key);
    }
    for (const r of c.come) {
      const key = desiredKey(r);
      if (desired.has(key)) return undefined;
      desired.set(key, r);
      keys.add(key);
    }
    this.items = items.map((x) => [...x]);
    this.statuses = [...statuses];
    return keys;
  }
}
