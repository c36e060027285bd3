// Kinds the pinned CRD bundle installs that Portico does not implement yet (ListenerSet,
// BackendTLSPolicy): when one concerns a Portico Gateway, it gets a status that says so, with the
// spec's reasons, instead of sitting there with none.
import type { Condition } from '../api/index.ts';
import { GATEWAY_GROUP } from '../api/index.ts';
import type { Attachment } from './attach.ts';
import { carryTransitionTimes, condition, readConditions } from './conditions.ts';
import type { GatewayModel } from './gateways.ts';
import { arr, byString, key, meta, obj, str } from './read.ts';
import { CONTROLLER_NAME } from './types.ts';

export interface ListenerSetStatusResult {
  readonly namespace: string;
  readonly name: string;
  readonly status: { readonly conditions: Condition[] };
}

export interface PolicyAncestorStatus {
  readonly ancestorRef: { group: string; kind: 'Gateway'; namespace: string; name: string };
  readonly controllerName: string;
  readonly conditions: Condition[];
}

export interface PolicyStatusResult {
  readonly namespace: string;
  readonly name: string;
  /** Only Portico's entries; merge with mergeAncestors(). */
  readonly ancestors: PolicyAncestorStatus[];
}

/** Does the Gateway's spec.allowedListeners admit ListenerSets from this namespace? (The default admits none.) */
function listenersAllowed(gw: GatewayModel, ns: string): boolean {
  const from = str(obj(obj(obj(obj(gw.raw).spec).allowedListeners).namespaces).from) ?? 'None';
  return from === 'All' || from === 'Selector' || (from === 'Same' && ns === gw.meta.namespace);
}

/** Accepted=False and Programmed=False for every ListenerSet whose parent is a Portico Gateway. */
export function listenerSetStatuses(
  listenerSets: readonly unknown[],
  gateways: ReadonlyMap<string, GatewayModel>,
  now: string,
): ListenerSetStatusResult[] {
  const out: ListenerSetStatusResult[] = [];
  for (const raw of listenerSets) {
    const md = meta(raw);
    const p = obj(obj(obj(raw).spec).parentRef);
    if ((str(p.group) ?? GATEWAY_GROUP) !== GATEWAY_GROUP || (str(p.kind) ?? 'Gateway') !== 'Gateway')
      continue;
    const gw = gateways.get(key(str(p.namespace) ?? md.namespace, str(p.name) ?? ''));
    if (!md.name || !gw) continue;
    const gwName = key(gw.meta.namespace, gw.meta.name);
    const message = listenersAllowed(gw, md.namespace)
      ? `Portico does not support ListenerSets yet; add the listeners to Gateway ${gwName}`
      : `Gateway ${gwName} does not allow ListenerSets from namespace ${md.namespace} (spec.allowedListeners)`;
    const conditions = [
      condition('Accepted', false, 'NotAllowed', message, md.generation, now),
      condition('Programmed', false, 'NotAllowed', message, md.generation, now),
    ];
    const prev = readConditions(obj(obj(raw).status).conditions);
    out.push({
      namespace: md.namespace,
      name: md.name,
      status: { conditions: carryTransitionTimes(prev, conditions) },
    });
  }
  return out.sort((a, b) => byString(key(a.namespace, a.name), key(b.namespace, b.name)));
}

/**
 * A BackendTLSPolicy on a Service that routes on Portico Gateways use: Accepted=False on each of
 * those Gateways (its ancestors), since Portico would still speak plaintext to that Service.
 */
export function backendTlsPolicyStatuses(
  policies: readonly unknown[],
  attachments: readonly Attachment[],
  now: string,
): PolicyStatusResult[] {
  // Only Services some policy targets: walking every route's backends costs time at 10,000 routes.
  const targeted = new Set<string>();
  for (const raw of policies)
    for (const t of arr(obj(obj(raw).spec).targetRefs))
      targeted.add(key(meta(raw).namespace, str(obj(t).name) ?? ''));
  if (targeted.size === 0) return [];
  // Service `namespace/name` -> Gateways whose attached routes send to it.
  const users = new Map<string, Map<string, GatewayModel>>();
  for (const a of attachments)
    for (const svc of a.route.clusters.values()) {
      const k = key(svc.namespace, svc.name);
      if (!targeted.has(k)) continue;
      const m = users.get(k) ?? new Map<string, GatewayModel>();
      m.set(key(a.gateway.meta.namespace, a.gateway.meta.name), a.gateway);
      users.set(k, m);
    }
  const out: PolicyStatusResult[] = [];
  for (const raw of policies) {
    const md = meta(raw);
    if (!md.name) continue;
    const gws = new Map<string, GatewayModel>();
    for (const t of arr(obj(obj(raw).spec).targetRefs)) {
      const ref = obj(t);
      if ((str(ref.group) ?? '') !== '' || str(ref.kind) !== 'Service') continue;
      for (const [k, gw] of users.get(key(md.namespace, str(ref.name) ?? '')) ?? []) gws.set(k, gw);
    }
    if (gws.size === 0) continue;
    const prev = arr(obj(obj(raw).status).ancestors);
    const ancestors = [...gws.keys()].sort(byString).map((k) => {
      const gw = gws.get(k)!;
      const ancestorRef = {
        group: GATEWAY_GROUP,
        kind: 'Gateway' as const,
        namespace: gw.meta.namespace,
        name: gw.meta.name,
      };
      const message =
        'Portico does not support BackendTLSPolicy yet: it connects to this Service without TLS';
      const conditions = [condition('Accepted', false, 'Invalid', message, md.generation, now)];
      const old = prev.find(
        (x) => obj(x).controllerName === CONTROLLER_NAME && sameAncestor(obj(x).ancestorRef, ancestorRef),
      );
      return {
        ancestorRef,
        controllerName: CONTROLLER_NAME,
        conditions: carryTransitionTimes(readConditions(obj(old).conditions), conditions),
      };
    });
    out.push({ namespace: md.namespace, name: md.name, ancestors });
  }
  return out.sort((a, b) => byString(key(a.namespace, a.name), key(b.namespace, b.name)));
}

function sameAncestor(a: unknown, b: PolicyAncestorStatus['ancestorRef']): boolean {
  const o = obj(a);
  return (
    (str(o.group) ?? GATEWAY_GROUP) === b.group &&
    (str(o.kind) ?? 'Gateway') === b.kind &&
    str(o.namespace) === b.namespace &&
    str(o.name) === b.name
  );
}

/** The policy's new `status.ancestors`: other controllers' entries kept, Portico's replaced. */
export function mergeAncestors(existing: unknown, ours: readonly PolicyAncestorStatus[]): unknown[] {
  return [...arr(existing).filter((x) => obj(x).controllerName !== CONTROLLER_NAME), ...ours];
}
