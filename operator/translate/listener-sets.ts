// ListenerSets (GEP-1713): extra listeners a Gateway admits through spec.allowedListeners. They are
// built by the Gateway listener code, merged after the Gateway's own (oldest set first, then by
// namespace/name), and lose any conflict with a listener that comes before them.
import { GATEWAY_GROUP } from '../api/index.ts';
import type { Parent } from './attach.ts';
import type { GatewayModel, ListenerModel } from './gateways.ts';
import type { Lookup } from './lookup.ts';
import { arr, byString, key, meta, obj, str } from './read.ts';
import type { Meta } from './read.ts';
import { labelSelectorMatches } from './selector.ts';

export interface ListenerSetModel {
  readonly meta: Meta;
  readonly raw: unknown;
  /** `namespace/name` of the parent Gateway. */
  readonly gateway: string;
  /** In spec order; each carries `owner` = this set. */
  readonly listeners: ListenerModel[];
}

// As gateways.ts's transport(): TCP and UDP on one port are two sockets (inlined: no import cycle).
const portKey = (li: ListenerModel) => `${li.port}/${li.protocol === 'UDP' ? 'UDP' : 'TCP'}`;

/** A ListenerSet's parent Gateway `namespace/name`, or undefined when its parentRef is not a Gateway. */
export function parentOf(raw: unknown): string | undefined {
  const md = meta(raw);
  const p = obj(obj(obj(raw).spec).parentRef);
  if ((str(p.group) ?? GATEWAY_GROUP) !== GATEWAY_GROUP || (str(p.kind) ?? 'Gateway') !== 'Gateway')
    return undefined;
  const name = str(p.name);
  return md.name && name ? key(str(p.namespace) ?? md.namespace, name) : undefined;
}

/** Does the Gateway's spec.allowedListeners admit ListenerSets from `ns`? (The default admits none.) */
export function listenersAllowed(l: Lookup, gateway: unknown, ns: string): boolean {
  const namespaces = obj(obj(obj(obj(gateway).spec).allowedListeners).namespaces);
  const from = str(namespaces.from) ?? 'None';
  if (from === 'All') return true;
  if (from === 'Same') return ns === meta(gateway).namespace;
  if (from !== 'Selector') return false;
  const labels = l.namespaceLabels.get(ns) ?? { 'kubernetes.io/metadata.name': ns };
  return labelSelectorMatches(namespaces.selector, labels);
}

/** The spec's listener precedence among sets: oldest first, then `namespace/name`. */
export function bySetPrecedence(a: unknown, b: unknown): number {
  const ma = meta(a);
  const mb = meta(b);
  return (
    byString(ma.creationTimestamp, mb.creationTimestamp) ||
    byString(key(ma.namespace, ma.name), key(mb.namespace, mb.name))
  );
}

/**
 * Marks each set listener that conflicts with a listener before it (the Gateway's, or an earlier
 * set's): another protocol (or TLS mode) on its port is ProtocolConflict, a hostname already served
 * there is HostnameConflict. A set listener that conflicts is not accepted; the earlier one keeps
 * serving, so a ListenerSet can never take a port or hostname from its Gateway.
 */
export function markSetConflicts(
  gatewayListeners: readonly ListenerModel[],
  sets: readonly ListenerSetModel[],
) {
  const ports = new Map<string, { protocol: string; passthrough: boolean; hosts: Set<string> }>();
  const claim = (li: ListenerModel) => {
    const k = portKey(li);
    const p = ports.get(k) ?? { protocol: li.protocol, passthrough: li.passthrough, hosts: new Set() };
    ports.set(k, p);
    p.hosts.add(li.hostname ?? '');
  };
  for (const li of gatewayListeners) if (!li.notAccepted) claim(li);
  for (const set of sets) {
    const names = new Set<string>();
    for (const li of set.listeners) {
      if (li.notAccepted) continue;
      const p = ports.get(portKey(li));
      if (names.has(li.name))
        li.conflicted = { reason: 'HostnameConflict', message: `duplicate listener name ${li.name}` };
      else if (p && (p.protocol !== li.protocol || p.passthrough !== li.passthrough))
        li.conflicted = {
          reason: 'ProtocolConflict',
          message: `port ${li.port} already serves ${p.protocol}${p.protocol === 'TLS' ? (p.passthrough ? ' Passthrough' : ' Terminate') : ''}`,
        };
      else if (p?.hosts.has(li.hostname ?? ''))
        li.conflicted = {
          reason: 'HostnameConflict',
          message: `hostname ${li.hostname ?? '(any)'} already used on port ${li.port}`,
        };
      names.add(li.name);
      if (li.conflicted) li.notAccepted = li.conflicted;
      else claim(li);
    }
  }
}

/** Unique among all listeners of a Gateway: a set listener's name may repeat the Gateway's. */
export function listenerKey(li: ListenerModel): string {
  return li.owner ? `${li.owner.namespace}/${li.owner.name}/${li.name}` : li.name;
}

export type BuildListener = (from: { kind: 'ListenerSet'; namespace: string }, raw: unknown) => ListenerModel;

/** ListenerSets by parent Gateway `namespace/name`, each list in precedence order. */
export function setsByParent(raws: readonly unknown[]): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  const seen = new Set<string>();
  for (const raw of arr(raws)) {
    const md = meta(raw);
    const parent = parentOf(raw);
    if (!parent || seen.has(key(md.namespace, md.name))) continue;
    seen.add(key(md.namespace, md.name));
    const list = out.get(parent);
    if (list) list.push(raw);
    else out.set(parent, [raw]);
  }
  for (const list of out.values()) list.sort(bySetPrecedence);
  return out;
}

/** The sets a Gateway admits, their listeners built and checked against the Gateway's. */
export function admittedSets(
  l: Lookup,
  gateway: unknown,
  gatewayListeners: readonly ListenerModel[],
  candidates: readonly unknown[],
  build: BuildListener,
): ListenerSetModel[] {
  const gw = meta(gateway);
  const sets: ListenerSetModel[] = [];
  for (const raw of candidates) {
    const md = meta(raw);
    if (!listenersAllowed(l, gateway, md.namespace)) continue;
    const owner = { namespace: md.namespace, name: md.name };
    const listeners = arr(obj(obj(raw).spec).listeners).map((li) => ({
      ...build({ kind: 'ListenerSet', namespace: md.namespace }, li),
      owner,
    }));
    sets.push({ meta: md, raw, gateway: key(gw.namespace, gw.name), listeners });
  }
  markSetConflicts(gatewayListeners, sets);
  return sets;
}

/**
 * ListenerSet parentRef targets by `namespace/name`: each admitted set's listeners; a set on a
 * Portico Gateway that does not admit it has none, and says why.
 */
export function setParents(
  gateways: ReadonlyMap<string, GatewayModel>,
  raws: readonly unknown[],
): Map<string, Parent> {
  const out = new Map<string, Parent>();
  for (const gateway of gateways.values())
    for (const set of gateway.listenerSets ?? [])
      out.set(key(set.meta.namespace, set.meta.name), { gateway, listeners: set.listeners });
  for (const raw of arr(raws)) {
    const md = meta(raw);
    const parent = parentOf(raw);
    const gateway = parent === undefined ? undefined : gateways.get(parent);
    if (!gateway || out.has(key(md.namespace, md.name))) continue;
    const refusal = `ListenerSet ${key(md.namespace, md.name)} is not attached: ${notAllowed(parent ?? '', md.namespace)}`;
    out.set(key(md.namespace, md.name), { gateway, listeners: [], refusal });
  }
  return out;
}

export const notAllowed = (gateway: string, ns: string) =>
  `Gateway ${gateway} does not allow ListenerSets from namespace ${ns} (spec.allowedListeners)`;
