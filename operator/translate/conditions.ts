// Conditions and status diffing: the operator writes a status only when these helpers say it
// changed, and a condition keeps its lastTransitionTime while its status does not flip.
import type { Condition, RouteParentStatus } from '../api/index.ts';
import { arr, int, obj, str } from './read.ts';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export function condition(
  type: string,
  status: boolean | ConditionStatus,
  reason: string,
  message: string,
  observedGeneration: number,
  now: string,
): Condition {
  const s: ConditionStatus = status === true ? 'True' : status === false ? 'False' : status;
  return { type, status: s, reason, message, observedGeneration, lastTransitionTime: now };
}

/** Reads existing conditions defensively (they come from the API server's status). */
export function readConditions(v: unknown): Condition[] {
  const out: Condition[] = [];
  for (const c of arr(v)) {
    const o = obj(c);
    const type = str(o.type);
    const status = str(o.status);
    if (!type || (status !== 'True' && status !== 'False' && status !== 'Unknown')) continue;
    const gen = int(o.observedGeneration);
    out.push({
      type,
      status,
      reason: str(o.reason) ?? '',
      message: str(o.message) ?? '',
      ...(gen !== undefined ? { observedGeneration: gen } : {}),
      lastTransitionTime: str(o.lastTransitionTime) ?? '',
    });
  }
  return out;
}

/** Keep the previous lastTransitionTime of every condition whose status did not change. */
export function carryTransitionTimes(previous: readonly Condition[], next: Condition[]): Condition[] {
  return next.map((c) => {
    const old = previous.find((p) => p.type === c.type);
    return old && old.status === c.status && old.lastTransitionTime
      ? { ...c, lastTransitionTime: old.lastTransitionTime }
      : c;
  });
}

function strip(c: Condition): string {
  return JSON.stringify([c.type, c.status, c.reason, c.message, c.observedGeneration ?? null]);
}

/** Same set of conditions, ignoring order and lastTransitionTime. */
export function conditionsEqual(a: readonly Condition[], b: readonly Condition[]): boolean {
  if (a.length !== b.length) return false;
  const sa = a.map(strip).sort();
  const sb = b.map(strip).sort();
  return sa.every((x, i) => x === sb[i]);
}

/** Deep equality of two status values, ignoring every `lastTransitionTime` field. */
export function statusEqual(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  return JSON.stringify(v, (k, val: unknown) => {
    if (k === 'lastTransitionTime') return undefined;
    if (val !== null && typeof val === 'object' && !Array.isArray(val)) {
      const sorted: Record<string, unknown> = {};
      for (const key of Object.keys(val).sort()) sorted[key] = (val as Record<string, unknown>)[key];
      return sorted;
    }
    return val;
  });
}

function parentKey(p: unknown): string {
  const r = obj(obj(p).parentRef);
  return JSON.stringify([
    str(r.group) ?? 'gateway.networking.k8s.io',
    str(r.kind) ?? 'Gateway',
    str(r.namespace) ?? '',
    str(r.name) ?? '',
    str(r.sectionName) ?? '',
    int(r.port) ?? 0,
  ]);
}

/**
 * The route's new `status.parents`: other controllers' entries untouched and in place, ours
 * replaced by `ours` (keeping lastTransitionTime of conditions that did not flip).
 */
export function mergeRouteParents(
  existing: readonly RouteParentStatus[] | undefined,
  ours: readonly RouteParentStatus[],
  controllerName: string,
): RouteParentStatus[] {
  const prev = arr(existing) as readonly RouteParentStatus[];
  const oldOurs = new Map<string, RouteParentStatus>();
  for (const p of prev) if (obj(p).controllerName === controllerName) oldOurs.set(parentKey(p), p);
  const merged: RouteParentStatus[] = prev.filter((p) => obj(p).controllerName !== controllerName);
  for (const p of ours) {
    const old = oldOurs.get(parentKey(p));
    merged.push(
      old ? { ...p, conditions: carryTransitionTimes(readConditions(old.conditions), p.conditions) } : p,
    );
  }
  return merged;
}
