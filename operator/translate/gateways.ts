// Gateways and their listeners: which are Portico's, which listeners are valid, which conflict,
// and which certificates they serve.
import type { ClientValidation, TlsCertificate } from '../ir/types.ts';
import { IPAM_CONDITION } from '../../constructs/names.ts';
import { frontendValidation, insecureFallback } from './ca-bundles.ts';
import { resolveCertificates } from './certificates.ts';
import { resolveBackendClientCertificate } from './backend-tls.ts';
import type { BackendClientCertificate } from './backend-tls.ts';
import { isValidHostname } from './hostnames.ts';
import { admittedSets, setsByParent } from './listener-sets.ts';
import type { ListenerSetModel } from './listener-sets.ts';
import type { Lookup } from './lookup.ts';
import { arr, int, key, meta, obj, show, str } from './read.ts';
import { notSupported } from './support.ts';
import type { Meta } from './read.ts';
import { CONTROLLER_NAME, gatewayServiceName } from './types.ts';
import type { Snapshot } from './types.ts';

export type RouteKind = 'HTTPRoute' | 'GRPCRoute' | 'TLSRoute' | 'TCPRoute' | 'UDPRoute';
export type Problem = { readonly reason: string; readonly message: string };

export interface ListenerModel {
  readonly name: string;
  readonly port: number;
  readonly protocol: string;
  /** Lower-cased; undefined means any hostname. */
  readonly hostname: string | undefined;
  readonly passthrough: boolean;
  /** Route kinds this listener admits (supported and allowed). */
  readonly kinds: readonly RouteKind[];
  /** Empty for TLS listeners whose port mixes modes: they can serve no kind. */
  supportedKinds: readonly { group: string; kind: RouteKind }[];
  readonly from: 'Same' | 'All' | 'Selector' | 'Invalid';
  readonly selector: unknown;
  readonly certificates: readonly TlsCertificate[];
  /** Accepted=False reason, if any. */
  notAccepted?: Problem;
  /** ResolvedRefs=False reason, if any. */
  unresolved?: Problem;
  conflicted?: Problem;
  /** The ListenerSet this listener comes from; undefined for the Gateway's own. */
  readonly owner?: { readonly namespace: string; readonly name: string };
  /** HTTPS: client certificate validation (Gateway tls.frontend), if any. */
  clientValidation?: ClientValidation;
}

export interface GatewayModel {
  readonly meta: Meta;
  readonly raw: unknown;
  /** The Gateway's own listeners (spec.listeners). */
  readonly listeners: ListenerModel[];
  /** ListenerSets the Gateway admits, in precedence order; absent means none. */
  readonly listenerSets?: readonly ListenerSetModel[];
  /** From the owned Service's status.loadBalancer.ingress. */
  readonly addresses: readonly { type: 'IPAddress' | 'Hostname'; value: string }[];
  readonly requestedIPs: readonly string[];
  readonly unsupportedAddress?: string;
  /** Why a requested static address cannot be assigned (from the IPAM condition of the Service). */
  readonly unusableAddress?: string;
  /** spec.tls.backend.clientCertificateRef, when set: the certificate, or why not. */
  readonly backendClientCertificate?: BackendClientCertificate;
  /** spec.infrastructure: metadata for what Portico creates, and a parametersRef it cannot use. */
  readonly infrastructure: {
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly invalidParameters?: string;
  };
  /** InsecureFrontendValidationMode: why the Gateway lets clients through without a valid certificate. */
  readonly insecureFrontend?: string;
}

/** Names of GatewayClasses whose controllerName is Portico's. */
export function ourClasses(s: Pick<Snapshot, 'gatewayClasses'>): Set<string> {
  const out = new Set<string>();
  for (const c of arr(s.gatewayClasses)) {
    if (obj(obj(c).spec).controllerName === CONTROLLER_NAME) out.add(meta(c).name);
  }
  return out;
}

const SUPPORTED: Record<string, RouteKind[]> = {
  HTTP: ['HTTPRoute', 'GRPCRoute'],
  HTTPS: ['HTTPRoute', 'GRPCRoute'],
  TLS: ['TLSRoute'],
  TCP: ['TCPRoute'],
  UDP: ['UDPRoute'],
};

/** Listeners share a socket only within one transport: TCP and UDP on one port are distinct. */
export function transport(protocol: string): 'TCP' | 'UDP' {
  return protocol === 'UDP' ? 'UDP' : 'TCP';
}

function listenerKinds(protocol: string, allowedKinds: unknown): { kinds: RouteKind[]; invalid: string[] } {
  const supported = SUPPORTED[protocol] ?? [];
  const requested = arr(allowedKinds);
  if (requested.length === 0) return { kinds: supported, invalid: [] };
  const kinds: RouteKind[] = [];
  const invalid: string[] = [];
  for (const k of requested) {
    const group = str(obj(k).group) ?? 'gateway.networking.k8s.io';
    const kind = str(obj(k).kind) ?? '';
    const match = supported.find((s) => s === kind);
    if (group === 'gateway.networking.k8s.io' && match) {
      if (!kinds.includes(match)) kinds.push(match);
    } else invalid.push(`${group}/${kind}`);
  }
  return { kinds, invalid };
}

/** Whose listener: certificate references are checked from it (ReferenceGrants are per kind). */
type ListenerHome = { readonly kind: 'Gateway' | 'ListenerSet'; readonly namespace: string };

function buildListener(l: Lookup, home: ListenerHome, raw: unknown): ListenerModel {
  const o = obj(raw);
  const name = str(o.name) ?? '';
  const port = int(o.port) ?? 0;
  const protocol = str(o.protocol) ?? '';
  // The spec: TCP and UDP listeners ignore hostname (no SNI or Host to match it against).
  const rawHost = protocol === 'TCP' || protocol === 'UDP' ? undefined : str(o.hostname);
  const hostname = rawHost === undefined || rawHost === '' ? undefined : rawHost.toLowerCase();
  const tls = obj(o.tls);
  const mode = str(tls.mode) ?? 'Terminate';
  const passthrough = protocol === 'TLS' && mode === 'Passthrough';
  const allowed = obj(o.allowedRoutes);
  const { kinds, invalid } = listenerKinds(protocol, allowed.kinds);
  const fromRaw = obj(allowed.namespaces).from ?? 'Same';
  const from = fromRaw === 'Same' || fromRaw === 'All' || fromRaw === 'Selector' ? fromRaw : 'Invalid';
  const base = {
    name,
    port,
    protocol,
    hostname,
    passthrough,
    kinds,
    supportedKinds: kinds.map((kind) => ({ group: 'gateway.networking.k8s.io', kind })),
    from,
    selector: obj(allowed.namespaces).selector,
    certificates: [] as TlsCertificate[],
  } as const;
  let notAccepted: Problem | undefined;
  if (!SUPPORTED[protocol])
    notAccepted = {
      reason: 'UnsupportedProtocol',
      message: notSupported(`protocol ${protocol}`, 'Gateway listener protocol'),
    };
  else if (protocol === 'TLS' && mode !== 'Passthrough' && mode !== 'Terminate')
    notAccepted = { reason: 'UnsupportedValue', message: `TLS mode ${mode} is not supported` };
  else if (protocol === 'HTTPS' && mode !== 'Terminate')
    notAccepted = { reason: 'UnsupportedValue', message: 'HTTPS listeners support only mode Terminate' };
  else if (port < 1 || port > 65535) notAccepted = { reason: 'PortUnavailable', message: `port ${port}` };
  else if (hostname !== undefined && !isValidHostname(hostname))
    notAccepted = { reason: 'UnsupportedValue', message: `invalid hostname ${hostname}` };
  else if (!name) notAccepted = { reason: 'UnsupportedValue', message: 'listener has no name' };
  else if (from === 'Invalid')
    notAccepted = { reason: 'UnsupportedValue', message: 'allowedRoutes.namespaces.from is invalid' };
  if (notAccepted) return { ...base, notAccepted };
  // TLS in mode Terminate (TLSRouteModeTerminate) ends TLS like HTTPS, then forwards the bytes.
  const certs =
    protocol === 'HTTPS' || (protocol === 'TLS' && !passthrough)
      ? resolveCertificates(l, home, tls.certificateRefs, hostname ? [hostname] : [])
      : { certificates: [] };
  const unresolved: Problem | undefined =
    invalid.length > 0
      ? { reason: 'InvalidRouteKinds', message: `unsupported route kinds: ${invalid.join(', ')}` }
      : 'problem' in certs
        ? certs.problem
        : undefined;
  return { ...base, certificates: certs.certificates, ...(unresolved ? { unresolved } : {}) };
}

// First listener on a port sets its protocol; later ones with another protocol, or with a
// hostname already taken on that port, are Conflicted (deterministic: spec order wins).
function markConflicts(listeners: ListenerModel[]): void {
  const byPort = new Map<string, ListenerModel[]>();
  for (const li of listeners) {
    if (li.notAccepted) continue;
    const k = `${li.port}/${transport(li.protocol)}`;
    const list = byPort.get(k);
    if (list) list.push(li);
    else byPort.set(k, [li]);
  }
  for (const group of byPort.values()) {
    const first = group[0];
    if (!first) continue;
    // TLS Terminate and Passthrough on one port (TLSRouteModeMixed): each SNI chain has its own mode.
    const seen = new Set<string>();
    for (const li of group) {
      if (li.protocol !== first.protocol) {
        li.conflicted = {
          reason: 'ProtocolConflict',
          message: `port ${li.port} already serves ${first.protocol}`,
        };
        continue;
      }
      const h = li.hostname ?? '';
      if (li.conflicted) continue;
      if (seen.has(h)) {
        li.conflicted = {
          reason: 'HostnameConflict',
          message: `hostname ${h || '(any)'} already used on port ${li.port}`,
        };
      }
      seen.add(h);
    }
  }
}

export function buildGateways(s: Snapshot, l: Lookup, classes: ReadonlySet<string>): GatewayModel[] {
  const out: GatewayModel[] = [];
  const seen = new Set<string>();
  const sets = setsByParent(arr(s.listenerSets));
  for (const g of arr(s.gateways)) {
    const md = meta(g);
    const spec = obj(obj(g).spec);
    const className = str(spec.gatewayClassName);
    if (!md.name || className === undefined || !classes.has(className)) continue;
    const k = key(md.namespace, md.name);
    if (seen.has(k)) continue;
    seen.add(k);
    const home = { kind: 'Gateway', namespace: md.namespace } as const;
    const listeners = arr(spec.listeners).map((li) => buildListener(l, home, li));
    markConflicts(listeners);
    applyFrontendTls(l, md, spec, listeners);
    const seenNames = new Set<string>();
    for (const li of listeners) {
      if (seenNames.has(li.name) && !li.conflicted)
        li.conflicted = { reason: 'HostnameConflict', message: `duplicate listener name ${li.name}` };
      seenNames.add(li.name);
    }
    const listenerSets = admittedSets(l, g, listeners, sets.get(k) ?? [], (h, li) => buildListener(l, h, li));
    const svc = obj(l.services.get(key(md.namespace, gatewayServiceName(md.name))));
    const addresses: { type: 'IPAddress' | 'Hostname'; value: string }[] = [];
    for (const ing of arr(obj(obj(svc.status).loadBalancer).ingress)) {
      const ip = str(obj(ing).ip);
      const hn = str(obj(ing).hostname);
      if (ip) addresses.push({ type: 'IPAddress', value: ip });
      else if (hn) addresses.push({ type: 'Hostname', value: hn });
    }
    const requestedIPs: string[] = [];
    let unsupportedAddress: string | undefined;
    for (const a of arr(spec.addresses)) {
      const type = str(obj(a).type) ?? 'IPAddress';
      const value = str(obj(a).value) ?? '';
      // An IPAddress without a value asks for any address: the pool picks one (GatewayAddressEmpty).
      if (type === 'IPAddress') {
        if (value) requestedIPs.push(value);
      } else unsupportedAddress = `address type ${type} is not supported; supported: IPAddress`;
    }
    const unusableAddress = requestedIPs.length > 0 ? unusable(svc) : undefined;
    const infra = obj(spec.infrastructure);
    const strings = (v: unknown) => {
      const e = Object.entries(obj(v)).filter((x): x is [string, string] => typeof x[1] === 'string');
      return e.length > 0 ? Object.fromEntries(e) : undefined;
    };
    const labels = strings(infra.labels);
    const annotations = strings(infra.annotations);
    // Portico has no parameters kind: any parametersRef is one it cannot use.
    const ref = obj(infra.parametersRef);
    const invalidParameters =
      infra.parametersRef === undefined
        ? undefined
        : `parametersRef ${show(ref.group)}/${show(ref.kind)} ${show(ref.name)} is not supported: Portico takes no parameters`;
    const backendClientCertificate = resolveBackendClientCertificate(l, md.namespace, spec);
    const insecureFrontend = insecureFallback(spec);
    out.push({
      meta: md,
      raw: g,
      listeners,
      ...(backendClientCertificate ? { backendClientCertificate } : {}),
      ...(listenerSets.length > 0 ? { listenerSets } : {}),
      ...(insecureFrontend ? { insecureFrontend } : {}),
      addresses,
      requestedIPs,
      ...(unsupportedAddress ? { unsupportedAddress } : {}),
      ...(unusableAddress ? { unusableAddress } : {}),
      infrastructure: {
        ...(labels ? { labels } : {}),
        ...(annotations ? { annotations } : {}),
        ...(invalidParameters ? { invalidParameters } : {}),
      },
    });
  }
  return out;
}

/** Client certificate validation on every HTTPS listener the Gateway's tls.frontend covers. */
function applyFrontendTls(
  l: Lookup,
  md: Meta,
  spec: Readonly<Record<string, unknown>>,
  listeners: ListenerModel[],
) {
  for (const li of listeners) {
    if (li.protocol !== 'HTTPS' || li.notAccepted) continue;
    const f = frontendValidation(l, md, spec, li.port);
    if (!f) continue;
    if (f.validation) li.clientValidation = f.validation;
    if (!li.unresolved && f.unresolved) li.unresolved = f.unresolved;
    if (f.notAccepted) li.notAccepted = f.notAccepted;
  }
}

/** The IPAM's word on requested addresses it cannot assign (GatewayStaticAddresses). */
function unusable(svc: Readonly<Record<string, unknown>>): string | undefined {
  const c = arr(obj(svc.status).conditions)
    .map(obj)
    .find((x) => x.type === IPAM_CONDITION);
  if (c?.status !== 'False' || (c.reason !== 'RequestedIPUnavailable' && c.reason !== 'RequestedIPInvalid'))
    return undefined;
  return str(c.message) ?? String(c.reason);
}

/** The Gateway's listeners, then its ListenerSets' (the merged list the data plane serves). */
export function allListeners(gw: GatewayModel): ListenerModel[] {
  return gw.listenerSets ? [...gw.listeners, ...gw.listenerSets.flatMap((x) => x.listeners)] : gw.listeners;
}

/** Can routes attach to this listener at all? */
export function attachable(li: ListenerModel): boolean {
  return !li.notAccepted && !li.conflicted;
}
