// Memos for the per-route work, so one route change does not redo 10,000 routes. Each memo is
// keyed by the identity of the objects its result depends on (informer caches keep unchanged
// objects identical), so results are the same with or without it; only the time differs.
import type { Attachment } from './attach.ts';
import type { GatewayModel, RouteKind } from './gateways.ts';
import { buildLookup } from './lookup.ts';
import type { Lookup } from './lookup.ts';
import { keptAcrossPasses } from './pass-memos.ts';
import { arr, key, obj, objectKey, str } from './read.ts';
import { buildRoute } from './routes.ts';
import type { RouteModel } from './routes.ts';
import { gatewayServiceName, type RouteStatusResult, type Snapshot } from './types.ts';

/** The same objects in the same order. */
export function sameElements(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// Routes read only a Service's existence and ports, so a status write (an LB address) must not
// invalidate every route model: the Services part of the key is their names and ports.
function servicesSignature(services: readonly unknown[]): string {
  const parts: string[] = [];
  for (const svc of services) parts.push(`${objectKey(svc)}:${portsText(obj(obj(svc).spec).ports)}`);
  return parts.join('\n');
}

let unserializable = 0;

function portsText(ports: unknown): string {
  try {
    return JSON.stringify(ports) ?? '';
  } catch {
    return `unserializable-${++unserializable}`; // never from the API server; never matches
  }
}

let lastRefs:
  { list: readonly unknown[]; services: string; grants: readonly unknown[]; token: object } | undefined;

/** A token that stays the same object while Service ports and ReferenceGrants are unchanged. */
export function refsToken(s: Snapshot): object {
  const list = arr(s.services);
  // The same Service objects have the same ports: no signature to build.
  const services =
    lastRefs && sameElements(lastRefs.list, list) ? lastRefs.services : servicesSignature(list);
  const grants = arr(s.referenceGrants);
  if (lastRefs && lastRefs.services === services && sameElements(lastRefs.grants, grants)) {
    lastRefs = { ...lastRefs, list: [...list] };
    return lastRefs.token;
  }
  lastRefs = { list: [...list], services, grants: [...grants], token: {} };
  return lastRefs.token;
}

let lastLookup: { inputs: (readonly unknown[])[]; lookup: Lookup } | undefined;
keptAcrossPasses(() => {
  lastRefs = undefined;
  lastLookup = undefined;
  lastGateways = undefined;
});

/** buildLookup, reused (the same object) while every list it indexes holds the same objects. */
export function cachedLookup(s: Snapshot): Lookup {
  const inputs = [s.services, s.endpointSlices, s.secrets, s.configMaps, s.namespaces, s.referenceGrants].map(
    (x) => [...arr(x)],
  );
  const last = lastLookup;
  if (last && inputs.every((x, i) => sameElements(x, last.inputs[i] ?? []))) return last.lookup;
  lastLookup = { inputs, lookup: buildLookup(s) };
  return lastLookup.lookup;
}

/**
 * What a route model read of the Lookup: the keys it looked up, and a signature of what it found
 * (a Service's ports, a namespace's grants). Undefined when it read more than single keys.
 */
interface RouteRefs {
  readonly keys: readonly string[];
  readonly signature: string;
}

interface RouteMemo {
  token: object;
  readonly kind: RouteKind;
  readonly model: RouteModel;
  readonly refs: RouteRefs | undefined;
}

const routes = new WeakMap<object, RouteMemo>();

// A route reads Services for their existence and ports, grants whole; anything else it reads
// counts as opaque (such a model is rebuilt on every change of references, as before).
const SIGNED: Partial<Record<keyof Lookup, (v: unknown) => string>> = {
  services: (v) => (v === undefined ? '-' : portsText(obj(obj(v).spec).ports)),
  grants: (v) => (v === undefined ? '-' : JSON.stringify(v)),
};

function signatureOf(l: Lookup, keys: readonly string[]): string {
  return keys
    .map((k) => {
      const at = k.indexOf(':');
      const map = k.slice(0, at) as keyof Lookup;
      return SIGNED[map]!((l[map] as ReadonlyMap<string, unknown>).get(k.slice(at + 1)));
    })
    .join('\n');
}

/** `l`, recording into `keys` each single-key read of a signed map; `opaque()` on any other read. */
function recording(l: Lookup, keys: string[], opaque: () => void): Lookup {
  const wrap = (name: keyof Lookup) =>
    new Proxy(l[name] as ReadonlyMap<string, unknown>, {
      get: (m, p) => {
        if (SIGNED[name] && (p === 'get' || p === 'has'))
          return (k: string) => {
            keys.push(`${name}:${k}`);
            return p === 'get' ? m.get(k) : m.has(k);
          };
        opaque();
        const v = Reflect.get(m, p, m);
        return typeof v === 'function' ? v.bind(m) : v;
      },
    });
  return Object.fromEntries(Object.keys(l).map((n) => [n, wrap(n as keyof Lookup)])) as unknown as Lookup;
}

/** A route memo still right under Lookup `l` (references token `token`): its token moves on. */
function stillValid(hit: RouteMemo, l: Lookup, token: object): boolean {
  if (hit.token === token) return true;
  if (!hit.refs || signatureOf(l, hit.refs.keys) !== hit.refs.signature) return false;
  hit.token = token;
  return true;
}

/**
 * The route's model, reused while the route object is the same and what it read of Services and
 * grants is the same: a new Service re-models only the routes that name it, not all 10,000.
 */
export function cachedRoute(l: Lookup, token: object, kind: RouteKind, raw: unknown): RouteModel {
  if (raw === null || typeof raw !== 'object') return buildRoute(l, kind, raw);
  const hit = routes.get(raw);
  if (hit && hit.kind === kind && stillValid(hit, l, token)) return hit.model;
  translationCounts.routeModels++;
  const keys: string[] = [];
  let opaque = false;
  const model = buildRoute(
    recording(l, keys, () => (opaque = true)),
    kind,
    raw,
  );
  const refs = opaque ? undefined : { keys, signature: signatureOf(l, keys) };
  routes.set(raw, { token, kind, model, refs });
  return model;
}

/**
 * When `after` differs from `before` only in status and bookkeeping (our own status write, come
 * back), `after` gets `before`'s model and attachment: true. The model's `raw` moves to `after`:
 * the older version is not kept alive (at 10,000 routes, tens of MiB), and what the attachment
 * reads of it (status, for transition times) is the live one, as a cold translation reads it.
 */
export function carryRoute(
  l: Lookup,
  token: object,
  kind: RouteKind,
  before: unknown,
  after: unknown,
): boolean {
  if (before === null || typeof before !== 'object' || after === null || typeof after !== 'object')
    return false;
  const hit = routes.get(before);
  if (!hit || hit.kind !== kind || !stillValid(hit, l, token)) return false;
  // A spec change moves the generation: no need to serialize both to see it.
  const gen = (o: object) => obj(obj(o).metadata).generation;
  if (gen(before) !== gen(after)) return false;
  // Not kept: at 10,000 routes the texts would outweigh what one comparison costs.
  if (content(before, false) !== content(after, false)) return false;
  routes.set(after, hit);
  (hit.model as { raw: unknown }).raw = after;
  return true;
}

/** How often each memoized step really ran: lets tests count what one change re-translates. */
export const translationCounts = {
  gatewayModels: 0,
  routeModels: 0,
  routeAttachments: 0,
  portGroups: 0,
  routeStageRebuilds: 0,
};

const GATEWAYS = 1;
const LISTENER_SETS = 2;
let lastGateways: { inputs: (readonly unknown[])[]; models: GatewayModel[] } | undefined;

const contents = new WeakMap<object, string>();

/**
 * An object without its status and the server's bookkeeping: all a Gateway or route model reads.
 * Our own status write hands back a new object; comparing this keeps the model (and with it every
 * attachment) instead of rebuilding it for a status echo.
 */
function content(g: unknown, keep = true): unknown {
  if (g === null || typeof g !== 'object') return g;
  let text = contents.get(g);
  if (text === undefined) {
    const rest: Record<string, unknown> = { ...(g as Record<string, unknown>) };
    const m = { ...obj(rest.metadata) };
    delete rest.status;
    delete m.resourceVersion;
    delete m.managedFields;
    try {
      text = JSON.stringify({ ...rest, metadata: m }) ?? '';
    } catch {
      text = `unserializable-${++unserializable}`; // never from the API server; never matches
    }
    if (keep) contents.set(g, text);
  }
  return text;
}

function sameGateways(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && content(a[i]) !== content(b[i])) return false;
  return true;
}

/** The Gateways' own Services (their addresses): the only Services a Gateway model reads. */
function gatewayServices(s: Snapshot): unknown[] {
  const names = new Set(
    arr(s.gateways).map((g) => {
      const m = obj(obj(g).metadata);
      return key(str(m.namespace) ?? '', gatewayServiceName(str(m.name) ?? ''));
    }),
  );
  return arr(s.services).filter((svc) => names.has(objectKey(svc)));
}

/** ReferenceGrants that may admit something other than a Service: what a Gateway model can read. */
function gatewayGrants(s: Snapshot): unknown[] {
  return arr(s.referenceGrants).filter((g) => {
    const to = arr(obj(obj(g).spec).to);
    return (
      to.length === 0 ||
      to.some((t) => {
        const group = str(obj(t).group) ?? '';
        return (group !== '' && group !== 'core') || str(obj(t).kind) !== 'Service';
      })
    );
  });
}

/**
 * Gateway models depend on classes, Gateways, ListenerSets, their own Services (addresses), Secrets
 * (certificates), ConfigMaps (CA bundles), Namespaces (selectors) and ReferenceGrants to other
 * kinds than Services; while those are the same objects (Gateways: the same apart from status),
 * the models are reused (same identity), which lets the attachment memo below hit. A backend
 * Service's change, or a grant to Services, leaves them be. When they change, each Gateway whose
 * model comes out the same keeps its old one.
 * A model's `raw` may then be an older version of its Gateway: read live status elsewhere.
 */
export function cachedGateways(s: Snapshot, build: () => GatewayModel[]): GatewayModel[] {
  // In this order: GATEWAYS and LISTENER_SETS index it.
  const inputs = [
    s.gatewayClasses,
    s.gateways,
    s.listenerSets,
    gatewayServices(s),
    s.secrets,
    s.configMaps,
    s.namespaces,
    gatewayGrants(s),
  ].map((x) => [...arr(x)]);
  const last = lastGateways;
  if (
    last &&
    inputs.every((x, i) => (i === GATEWAYS ? sameGateways : sameElements)(x, last.inputs[i] ?? []))
  ) {
    return last.models;
  }
  translationCounts.gatewayModels++;
  // A Gateway whose model came out the same keeps the old one (its identity), so only the routes
  // that name a changed Gateway attach again (attachDeps).
  const before = new Map(last?.models.map((m) => [key(m.meta.namespace, m.meta.name), m]));
  const models = build().map((m) => {
    const old = before.get(key(m.meta.namespace, m.meta.name));
    return old && sameModel(old, m) ? old : m;
  });
  // A ListenerSet no Gateway admits is in no model, but routes that name it read it (setParents).
  const unchanged =
    last &&
    sameElements(models, last.models) &&
    sameElements(inputs[LISTENER_SETS]!, last.inputs[LISTENER_SETS] ?? []);
  lastGateways = { inputs, models: unchanged ? last.models : models };
  return lastGateways.models;
}

/**
 * Two models of one Gateway hold the same data: `raw` (the Gateway, a ListenerSet) compared
 * without status and bookkeeping, everything else deeply. A model is plain data (no cycles).
 */
function sameModel(a: unknown, b: unknown, field?: string): boolean {
  if (a === b) return true;
  if (field === 'raw') return content(a) === content(b);
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  return ka.every((k) => Object.hasOwn(y, k) && sameModel(x[k], y[k], k));
}

let lastNamespaces: { list: unknown[]; token: object } | undefined;
keptAcrossPasses(() => (lastNamespaces = undefined));

/** The same object while the Namespaces are the same objects (their labels feed allowedRoutes selectors). */
export function namespacesToken(s: Snapshot): object {
  const list = arr(s.namespaces);
  if (lastNamespaces && sameElements(lastNamespaces.list, list)) return lastNamespaces.token;
  lastNamespaces = { list: [...list], token: {} };
  return lastNamespaces.token;
}

interface AttachMemo {
  readonly deps: readonly unknown[];
  readonly status: RouteStatusResult | undefined;
  readonly attachments: readonly Attachment[];
}

const attachMemo = new WeakMap<RouteModel, AttachMemo>();

/**
 * attachRoute(), reused while the route model and `deps` (what it reads besides the route: the
 * Gateway models its parentRefs name, see attachDeps) are the same. The same result object while
 * it holds, so a caller can tell an unchanged attachment by identity. `now` is deliberately not
 * part of the key: a condition first computed at t keeps t as its transition time until the route
 * or a Gateway changes (writing the status changes the route object).
 */
export function cachedAttach(
  route: RouteModel,
  deps: readonly unknown[],
  compute: (out: Attachment[]) => RouteStatusResult | undefined,
): AttachMemo {
  const hit = attachMemo.get(route);
  if (hit && sameElements(hit.deps, deps)) return hit;
  translationCounts.routeAttachments++;
  const attachments: Attachment[] = [];
  const status = compute(attachments);
  const entry = { deps, status, attachments };
  attachMemo.set(route, entry);
  return entry;
}
