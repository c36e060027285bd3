// ListenerSet statuses (Accepted, Programmed, one entry per listener) and the parent Gateway's
// status.attachedListenerSets. Listener entries come from the Gateway listener code (listenerStatus).
import type { Condition, ListenerStatus } from '../api/index.ts';
import { carryTransitionTimes, condition, readConditions } from './conditions.ts';
import type { GatewayModel, ListenerModel } from './gateways.ts';
import { notAllowed, parentOf } from './listener-sets.ts';
import { arr, byString, key, meta, obj } from './read.ts';
import { listenerProblem, listenerStatuses } from './status.ts';
import type { Programmed } from './status.ts';
import type { GatewayStatusResult } from './types.ts';

export interface ListenerSetStatusResult {
  readonly namespace: string;
  readonly name: string;
  readonly status: { readonly conditions: Condition[]; readonly listeners?: ListenerStatus[] };
}

function conditionOf(gw: GatewayStatusResult | undefined, type: string): Programmed {
  const c = arr(gw?.status.conditions)
    .map(obj)
    .find((x) => x.type === type);
  return {
    ok: c?.status === 'True',
    reason: String(c?.reason ?? 'Pending'),
    message: String(c?.message ?? ''),
  };
}

/**
 * A status for every ListenerSet whose parentRef names a Portico Gateway, and how many of them
 * each Gateway counts as attached (admitted and Accepted).
 */
export function listenerSetStatuses(
  listenerSets: readonly unknown[],
  gateways: ReadonlyMap<string, GatewayModel>,
  gatewayStatuses: readonly GatewayStatusResult[],
  attached: ReadonlyMap<ListenerModel, number>,
  now: string,
): { statuses: ListenerSetStatusResult[]; attachedSets: Map<string, number> } {
  const statuses: ListenerSetStatusResult[] = [];
  const attachedSets = new Map<string, number>();
  const gwStatus = new Map(gatewayStatuses.map((g) => [key(g.namespace, g.name), g]));
  const done = new Set<string>();
  for (const raw of listenerSets) {
    const md = meta(raw);
    const parent = parentOf(raw);
    const gw = parent === undefined ? undefined : gateways.get(parent);
    if (!gw || !parent || done.has(key(md.namespace, md.name))) continue;
    done.add(key(md.namespace, md.name));
    const gen = md.generation;
    const prev = obj(obj(raw).status);
    const model = gw.listenerSets?.find((x) => x.meta.namespace === md.namespace && x.meta.name === md.name);
    const set = (ok: boolean, reason: string, message: string, programmed = { ok, reason, message }) => [
      condition('Accepted', ok, reason, message, gen, now),
      condition('Programmed', programmed.ok, programmed.reason, programmed.message, gen, now),
    ];
    let conditions: Condition[];
    const listeners: ListenerStatus[] = [];
    const accepted = conditionOf(gwStatus.get(parent), 'Accepted');
    const programmed = conditionOf(gwStatus.get(parent), 'Programmed');
    if (!model) {
      conditions = set(false, 'NotAllowed', notAllowed(parent, md.namespace));
    } else if (!accepted.ok) {
      conditions = set(false, 'ParentNotAccepted', `Gateway ${parent} is not accepted: ${accepted.message}`);
    } else {
      listeners.push(...listenerStatuses(model.listeners, attached, programmed, gen, now, prev.listeners));
      const invalid = model.listeners.filter((li) => listenerProblem(li));
      const problems = invalid.map((li) => `listener ${li.name}: ${listenerProblem(li)?.reason}`).join('; ');
      if (invalid.length === model.listeners.length)
        conditions = set(false, 'ListenersNotValid', `no listener is valid: ${problems || 'none defined'}`);
      else {
        const why = programmed.ok
          ? { ok: true, reason: 'Programmed', message: 'ListenerSet is programmed' }
          : {
              ok: false,
              reason: programmed.reason === 'Pending' ? 'Pending' : 'ParentNotProgrammed',
              message: `Gateway ${parent} is not programmed: ${programmed.message}`,
            };
        conditions =
          invalid.length > 0
            ? set(true, 'ListenersNotValid', `${invalid.length} listener(s) are not valid: ${problems}`, why)
            : set(true, 'Accepted', `ListenerSet is attached to Gateway ${parent}`, why);
        attachedSets.set(parent, (attachedSets.get(parent) ?? 0) + 1);
      }
    }
    statuses.push({
      namespace: md.namespace,
      name: md.name,
      status: {
        conditions: carryTransitionTimes(readConditions(prev.conditions), conditions),
        ...(listeners.length > 0 ? { listeners } : {}),
      },
    });
  }
  statuses.sort((a, b) => byString(key(a.namespace, a.name), key(b.namespace, b.name)));
  return { statuses, attachedSets };
}

/** Does the Gateway take ListenerSets at all? Only then does its status carry attachedListenerSets. */
export function takesListenerSets(gw: GatewayModel): boolean {
  const from = obj(obj(obj(obj(gw.raw).spec).allowedListeners).namespaces).from;
  return from === 'All' || from === 'Same' || from === 'Selector';
}
