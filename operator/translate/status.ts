// GatewayClass and Gateway statuses, and the owned per-Gateway Service descriptions.
import type { Condition, GatewayStatus, ListenerStatus } from '../api/index.ts';
import { GATEWAY_API_VERSION } from '../api/index.ts';
import { carryTransitionTimes, condition, readConditions } from './conditions.ts';
import { allListeners, transport } from './gateways.ts';
import type { GatewayModel, ListenerModel, Problem } from './gateways.ts';
import { arr, key, meta, obj } from './read.ts';
import { SUPPORTED_FEATURES } from './support.ts';
import {
  CONTROLLER_NAME,
  GATEWAY_NAME_LABEL,
  SERVICE_PROXY_NAME_LABEL,
  gatewayServiceName,
} from './types.ts';
import type { GatewayClassStatusResult, OwnedService, Snapshot } from './types.ts';

export function gatewayClassStatuses(s: Snapshot, now: string): GatewayClassStatusResult[] {
  const out: GatewayClassStatusResult[] = [];
  for (const c of arr(s.gatewayClasses)) {
    if (obj(obj(c).spec).controllerName !== CONTROLLER_NAME) continue;
    const md = meta(c);
    if (!md.name) continue;
    const conditions = [
      condition('Accepted', true, 'Accepted', 'Portico accepts this class', md.generation, now),
    ];
    out.push({
      name: md.name,
      status: {
        conditions: carryTransitionTimes(readConditions(obj(obj(c).status).conditions), conditions),
        supportedFeatures: SUPPORTED_FEATURES.map((name) => ({ name })),
      },
    });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export type Programmed = { ok: boolean; reason: string; message: string };

export function listenerProblem(li: ListenerModel): Problem | undefined {
  return li.notAccepted ?? li.conflicted ?? li.unresolved;
}

/** `listener https: InvalidCertificateRef: Secret default/x not found; listener ...` */
function describeListeners(listeners: readonly ListenerModel[]): string {
  return listeners
    .map((li) => {
      const p = listenerProblem(li);
      return p ? `listener ${li.name || '(unnamed)'}: ${p.reason}: ${p.message}` : '';
    })
    .filter(Boolean)
    .join('; ');
}

function gatewayProgrammed(s: Snapshot, gw: GatewayModel, accepted: Condition): Programmed {
  if (accepted.status !== 'True')
    return { ok: false, reason: 'Invalid', message: `Gateway is not accepted: ${accepted.message}` };
  // A Gateway none of whose listeners can serve would wait for Envoy forever: say why now.
  if (gw.listeners.length > 0 && gw.listeners.every((li) => listenerProblem(li)))
    return {
      ok: false,
      reason: 'Invalid',
      message: `no listener is valid: ${describeListeners(gw.listeners)}`,
    };
  if (gw.unusableAddress) return { ok: false, reason: 'AddressNotUsable', message: gw.unusableAddress };
  if (!gw.addresses.some((a) => a.type === 'IPAddress'))
    return { ok: false, reason: 'AddressNotAssigned', message: 'waiting for a LoadBalancer address' };
  if (!s.programmed) return { ok: true, reason: 'Programmed', message: 'Gateway is programmed' };
  const k = key(gw.meta.namespace, gw.meta.name);
  if (s.programmed.envoys === 0)
    return { ok: false, reason: 'Pending', message: 'no Envoy is connected to Portico yet' };
  const nack = obj(s.programmed.rejected)[k];
  if (typeof nack === 'string') return { ok: false, reason: 'Invalid', message: `Envoy rejected: ${nack}` };
  if (arr(s.programmed.acked).includes(k))
    return { ok: true, reason: 'Programmed', message: 'Envoy acknowledged the configuration' };
  return { ok: false, reason: 'Pending', message: 'waiting for Envoy to acknowledge the configuration' };
}

function listenerStatus(
  li: ListenerModel,
  attachedRoutes: number,
  gwProgrammed: Programmed,
  gen: number,
  now: string,
): ListenerStatus {
  const c: Condition[] = [
    li.notAccepted
      ? condition('Accepted', false, li.notAccepted.reason, li.notAccepted.message, gen, now)
      : condition('Accepted', true, 'Accepted', 'Listener is accepted', gen, now),
    li.conflicted
      ? condition('Conflicted', true, li.conflicted.reason, li.conflicted.message, gen, now)
      : condition('Conflicted', false, 'NoConflicts', 'No conflicts', gen, now),
    li.unresolved
      ? condition('ResolvedRefs', false, li.unresolved.reason, li.unresolved.message, gen, now)
      : condition('ResolvedRefs', true, 'ResolvedRefs', 'All references are resolved', gen, now),
  ];
  const problem = listenerProblem(li);
  // A ListenerSet listener that lost a conflict says which (the ListenerSet conformance tests' reason).
  const unprogrammed = li.owner && li.conflicted ? li.conflicted.reason : 'Invalid';
  if (problem)
    c.push(condition('Programmed', false, unprogrammed, `${problem.reason}: ${problem.message}`, gen, now));
  else if (li.passthrough && attachedRoutes === 0)
    // Envoy takes no TLS listener without a filter chain: nothing would answer on this port.
    c.push(
      condition(
        'Programmed',
        false,
        'Invalid',
        `no TLSRoute is attached: Envoy has nothing to forward to, so connections to port ${li.port} are refused`,
        gen,
        now,
      ),
    );
  else if (gwProgrammed.ok)
    c.push(condition('Programmed', true, 'Programmed', 'Listener is programmed', gen, now));
  else
    c.push(
      condition(
        'Programmed',
        false,
        gwProgrammed.reason === 'Invalid' ? 'Invalid' : 'Pending',
        gwProgrammed.message,
        gen,
        now,
      ),
    );
  return {
    name: li.name,
    supportedKinds: [...li.supportedKinds],
    attachedRoutes,
    conditions: c,
  };
}

/** status.listeners of a Gateway or ListenerSet, transition times carried over from `previous`. */
export function listenerStatuses(
  all: readonly ListenerModel[],
  attached: ReadonlyMap<ListenerModel, number>,
  programmed: Programmed,
  gen: number,
  now: string,
  previous: unknown,
): ListenerStatus[] {
  const names = new Set<string>();
  const out: ListenerStatus[] = [];
  for (const li of all) {
    if (names.has(li.name)) continue; // status.listeners is a map keyed by name
    names.add(li.name);
    const ls = listenerStatus(li, attached.get(li) ?? 0, programmed, gen, now);
    const old = arr(previous).find((x) => obj(x).name === li.name);
    out.push({ ...ls, conditions: carryTransitionTimes(readConditions(obj(old).conditions), ls.conditions) });
  }
  return out;
}

export function gatewayStatus(
  s: Snapshot,
  gw: GatewayModel,
  attached: ReadonlyMap<ListenerModel, number>,
  now: string,
  /** The live Gateway, whose status carries transition times (the model may hold an older one). */
  live: unknown = gw.raw,
): GatewayStatus {
  const gen = gw.meta.generation;
  const rejected = gw.listeners.filter((li) => li.notAccepted || li.conflicted);
  const invalid = rejected.length;
  let accepted: Condition;
  if (gw.unsupportedAddress)
    accepted = condition('Accepted', false, 'UnsupportedAddress', gw.unsupportedAddress, gen, now);
  else if (gw.infrastructure.invalidParameters)
    accepted = condition(
      'Accepted',
      false,
      'InvalidParameters',
      gw.infrastructure.invalidParameters,
      gen,
      now,
    );
  else if (invalid > 0 && invalid === gw.listeners.length)
    accepted = condition(
      'Accepted',
      false,
      'ListenersNotValid',
      `no listener is valid: ${describeListeners(rejected)}`,
      gen,
      now,
    );
  else if (invalid > 0)
    accepted = condition(
      'Accepted',
      true,
      'ListenersNotValid',
      `${invalid} of ${gw.listeners.length} listener(s) are not valid: ${describeListeners(rejected)}`,
      gen,
      now,
    );
  else accepted = condition('Accepted', true, 'Accepted', 'Gateway is accepted', gen, now);
  const p = gatewayProgrammed(s, gw, accepted);
  const conditions = [accepted, condition('Programmed', p.ok, p.reason, p.message, gen, now)];
  // Gateway-level references (spec.tls.backend) get their own ResolvedRefs condition.
  const backend = gw.backendClientCertificate;
  if (backend)
    conditions.push(
      backend.problem
        ? condition('ResolvedRefs', false, backend.problem.reason, backend.problem.message, gen, now)
        : condition('ResolvedRefs', true, 'ResolvedRefs', 'All references are resolved', gen, now),
    );
  if (gw.insecureFrontend)
    conditions.push(
      condition(
        'InsecureFrontendValidationMode',
        true,
        'ConfigurationChanged',
        gw.insecureFrontend,
        gen,
        now,
      ),
    );
  const prev = obj(obj(live).status);
  const listeners = listenerStatuses(gw.listeners, attached, p, gen, now, prev.listeners);
  return {
    addresses: gw.addresses.map((a) => ({ type: a.type, value: a.value })),
    conditions: carryTransitionTimes(readConditions(prev.conditions), conditions),
    listeners,
  };
}

export function ownedService(gw: GatewayModel): OwnedService | undefined {
  const valid = allListeners(gw).filter((li) => !li.notAccepted);
  const portsOf = (udp: boolean) =>
    [...new Set(valid.filter((li) => (transport(li.protocol) === 'UDP') === udp).map((li) => li.port))].sort(
      (a, b) => a - b,
    );
  const tcp = portsOf(false).map((port) => ({ name: `port-${port}`, port, protocol: 'TCP' as const }));
  const udp = portsOf(true).map((port) => ({ name: `udp-${port}`, port, protocol: 'UDP' as const }));
  if (tcp.length + udp.length === 0 || !gw.meta.uid) return undefined;
  return {
    name: gatewayServiceName(gw.meta.name),
    namespace: gw.meta.namespace,
    ports: [...tcp, ...udp],
    labels: { [SERVICE_PROXY_NAME_LABEL]: 'portico', [GATEWAY_NAME_LABEL]: gw.meta.name },
    owner: { apiVersion: GATEWAY_API_VERSION, kind: 'Gateway', name: gw.meta.name, uid: gw.meta.uid },
    ...(gw.requestedIPs.length > 0 ? { loadBalancerIPs: [...gw.requestedIPs] } : {}),
    ...(gw.infrastructure.labels || gw.infrastructure.annotations
      ? {
          infrastructure: {
            ...(gw.infrastructure.labels ? { labels: gw.infrastructure.labels } : {}),
            ...(gw.infrastructure.annotations ? { annotations: gw.infrastructure.annotations } : {}),
          },
        }
      : {}),
  };
}
