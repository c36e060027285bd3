// Route -> Gateway listener attachment (parentRefs, sectionName, port, allowedRoutes, hostname
// intersection) and the route's status.parents entries for Portico's Gateways.
import type { Condition, RouteParentStatus } from '../api/index.ts';
import { GATEWAY_GROUP } from '../api/index.ts';
import { carryTransitionTimes, condition, readConditions, statusEqual } from './conditions.ts';
import { attachable } from './gateways.ts';
import type { GatewayModel, ListenerModel } from './gateways.ts';
import { intersectHostnames } from './hostnames.ts';
import type { Lookup } from './lookup.ts';
import { arr, int, key, obj, str } from './read.ts';
import type { RouteModel } from './routes.ts';
import { labelSelectorMatches } from './selector.ts';
import { CONTROLLER_NAME } from './types.ts';

export interface Attachment {
  readonly gateway: GatewayModel;
  readonly listener: ListenerModel;
  readonly route: RouteModel;
  /** Hostnames the route serves on this listener (`*` for any). */
  readonly hostnames: readonly string[];
}

type ParentRef = RouteParentStatus['parentRef'];

/** A parentRef target: a Gateway's own listeners, or one admitted ListenerSet's. */
export interface Parent {
  readonly gateway: GatewayModel;
  readonly listeners: readonly ListenerModel[];
  /** Why this ListenerSet serves nothing (its Gateway does not admit it). */
  readonly refusal?: string;
}

function namespaceAllowed(l: Lookup, li: ListenerModel, gwNs: string, routeNs: string): boolean {
  if (li.from === 'All') return true;
  // A ListenerSet listener's `Same` is the set's namespace.
  if (li.from === 'Same') return (li.owner?.namespace ?? gwNs) === routeNs;
  if (li.from === 'Selector') {
    const labels = l.namespaceLabels.get(routeNs) ?? { 'kubernetes.io/metadata.name': routeNs };
    return labelSelectorMatches(li.selector, labels);
  }
  return false;
}

function echoParentRef(raw: Readonly<Record<string, unknown>>, name: string): ParentRef {
  const out: ParentRef = { name };
  const group = str(raw.group);
  const kind = str(raw.kind);
  const namespace = str(raw.namespace);
  const sectionName = str(raw.sectionName);
  const port = int(raw.port);
  if (group !== undefined) out.group = group;
  if (kind !== undefined) out.kind = kind;
  if (namespace !== undefined) out.namespace = namespace;
  if (sectionName !== undefined) out.sectionName = sectionName;
  if (port !== undefined) out.port = port;
  return out;
}

function decide(
  l: Lookup,
  route: RouteModel,
  { gateway: gw, listeners, refusal }: Parent,
  sectionName: string | undefined,
  port: number | undefined,
  out: Attachment[],
): { accepted: boolean; reason: string; message: string } {
  if (refusal) return { accepted: false, reason: 'NoMatchingParent', message: refusal };
  const candidates = listeners.filter(
    (li) =>
      (sectionName === undefined || li.name === sectionName) && (port === undefined || li.port === port),
  );
  if (candidates.length === 0)
    return { accepted: false, reason: 'NoMatchingParent', message: 'no listener matches sectionName/port' };
  const usable = candidates.filter(attachable);
  if (usable.length === 0)
    return { accepted: false, reason: 'NoMatchingParent', message: 'the matching listeners are not valid' };
  const allowed = usable.filter(
    (li) => li.kinds.includes(route.kind) && namespaceAllowed(l, li, gw.meta.namespace, route.meta.namespace),
  );
  if (allowed.length === 0)
    return {
      accepted: false,
      reason: 'NotAllowedByListeners',
      message: `no listener allows ${route.kind} from namespace ${route.meta.namespace}`,
    };
  const matched: Attachment[] = [];
  for (const li of allowed) {
    const hostnames = intersectHostnames(li.hostname, route.hostnames);
    if (hostnames.length > 0) matched.push({ gateway: gw, listener: li, route, hostnames });
  }
  if (matched.length === 0)
    return {
      accepted: false,
      reason: 'NoMatchingListenerHostname',
      message: 'no listener hostname intersects the route hostnames',
    };
  if (route.unsupported !== undefined)
    return { accepted: false, reason: 'UnsupportedValue', message: route.unsupported };
  for (const m of matched) out.push(m);
  return { accepted: true, reason: 'Accepted', message: 'Route is accepted' };
}

/**
 * Attaches one route to Portico's Gateways and their ListenerSets (`sets`, by `namespace/name`). A
 * Gateway parentRef reaches only the Gateway's own listeners. Returns its status.parents entries for Portico's
 * Gateways only (parentRefs to other implementations' Gateways get none) and appends the
 * successful attachments to `out`.
 */
export function attachRoute(
  l: Lookup,
  route: RouteModel,
  gateways: ReadonlyMap<string, GatewayModel>,
  now: string,
  out: Attachment[],
  sets: ReadonlyMap<string, Parent> = new Map(),
): RouteParentStatus[] {
  const parents: RouteParentStatus[] = [];
  const seen = new Set<string>();
  const existing = arr(obj(obj(route.raw).status).parents);
  const gen = route.meta.generation;
  for (const pr of arr(obj(obj(route.raw).spec).parentRefs)) {
    const p = obj(pr);
    const kind = str(p.kind) ?? 'Gateway';
    if ((str(p.group) ?? GATEWAY_GROUP) !== GATEWAY_GROUP || (kind !== 'Gateway' && kind !== 'ListenerSet'))
      continue;
    const name = str(p.name) ?? '';
    const ns = str(p.namespace) ?? route.meta.namespace;
    const gw = kind === 'Gateway' ? gateways.get(key(ns, name)) : undefined;
    const parent =
      kind === 'Gateway' ? gw && { gateway: gw, listeners: gw.listeners } : sets.get(key(ns, name));
    if (!parent) continue;
    const sectionName = str(p.sectionName);
    const port = int(p.port);
    const dedupe = JSON.stringify([kind, ns, name, sectionName ?? null, port ?? null]);
    if (seen.has(dedupe)) continue;
    seen.add(dedupe);
    const d = decide(l, route, parent, sectionName, port, out);
    const conditions: Condition[] = [
      condition('Accepted', d.accepted, d.reason, d.message, gen, now),
      route.unresolved
        ? condition('ResolvedRefs', false, route.unresolved.reason, route.unresolved.message, gen, now)
        : condition('ResolvedRefs', true, 'ResolvedRefs', 'All references are resolved', gen, now),
    ];
    const parentRef = echoParentRef(p, name);
    const old = existing.find(
      (e) => obj(e).controllerName === CONTROLLER_NAME && statusEqual(obj(e).parentRef, parentRef),
    );
    parents.push({
      parentRef,
      controllerName: CONTROLLER_NAME,
      conditions: old ? carryTransitionTimes(readConditions(obj(old).conditions), conditions) : conditions,
    });
  }
  return parents;
}
