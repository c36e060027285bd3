// HTTPRoute, GRPCRoute, TLSRoute, TCPRoute and UDPRoute objects -> a checked model: matches, actions, backends, and the
// route-wide UnsupportedValue / ResolvedRefs problems. Attachment is decided in attach.ts.
import type {
  CorsPolicy,
  HeaderMatch,
  HeaderModifier,
  HttpAction,
  HttpMatch,
  Mirror,
  PathRewrite,
  Route,
  QueryParamMatch,
  RetryPolicy,
  UrlRewrite,
  WeightedBackend,
} from '../ir/types.ts';
import { resolveBackendRef } from './backends.ts';
import type { ServicePort } from './backends.ts';
import { re2Error } from '../../constructs/regex.ts';
import type { Problem, RouteKind } from './gateways.ts';
import type { Lookup } from './lookup.ts';
import { arr, bool, byString, int, meta, obj, show, str } from './read.ts';
import type { Meta } from './read.ts';
import { ruleTiming } from './retry.ts';
import { notSupported, supported } from './support.ts';

/** What orders GRPCRoute matches (the spec: most service, then method characters, then headers). */
export interface GrpcKey {
  readonly service: number;
  readonly method: number;
}

export interface RuleModel {
  readonly index: number;
  readonly matches: readonly HttpMatch[];
  /** GRPCRoute only: one per match. */
  readonly grpc?: readonly GrpcKey[];
  readonly action: HttpAction;
  readonly requestHeaders?: HeaderModifier;
  readonly responseHeaders?: HeaderModifier;
  readonly urlRewrite?: UrlRewrite;
  readonly timeoutMs?: number;
  readonly retry?: RetryPolicy;
  readonly mirrors?: readonly Mirror[];
  readonly cors?: CorsPolicy;
}

/** One match of one rule, ready for the IR (built once per route object). */
export interface Entry {
  readonly route: RouteModel;
  readonly rule: RuleModel;
  readonly matchIndex: number;
  readonly ir: Route;
  readonly grpc?: GrpcKey;
}

export interface RouteModel {
  readonly kind: RouteKind;
  readonly meta: Meta;
  readonly raw: unknown;
  /** Lower-cased, as written in spec.hostnames. */
  readonly hostnames: readonly string[];
  readonly rules: readonly RuleModel[];
  readonly unsupported?: string;
  readonly unresolved?: Problem;
  /** `<kind>/<namespace>/<name>`: identity and output order. */
  readonly id: string;
  /** Tie-break order across routes: creationTimestamp, then namespace/name. */
  readonly order: string;
  /** Every rule match, in rule order, with its IR route. */
  readonly entries: readonly Entry[];
  /** Service ports used by Forward actions: cluster name -> service. */
  readonly clusters: ReadonlyMap<string, ServicePort>;
}

class Unsupported extends Error {}

const refuse = (message: string): never => {
  throw new Unsupported(message);
};

function valueMatch<T extends HeaderMatch | QueryParamMatch>(
  raw: unknown,
  what: string,
  lower: boolean,
): T[] {
  const out: T[] = [];
  const seen = new Set<string>();
  for (const m of arr(raw)) {
    const o = obj(m);
    const type = str(o.type) ?? 'Exact';
    const rawName = str(o.name);
    const value = str(o.value);
    if ((type !== 'Exact' && type !== 'RegularExpression') || !rawName || value === undefined)
      throw new Unsupported(`invalid ${what} match`);
    if (type === 'RegularExpression') checkRegex(value, `${what} ${rawName}`);
    const name = lower ? rawName.toLowerCase() : rawName;
    if (seen.has(name)) continue; // the spec: the first match on a name wins
    seen.add(name);
    out.push({ type, name, value } as T);
  }
  return out.sort((a, b) => byString(a.name, b.name));
}

function checkRegex(pattern: string, what: string): void {
  const why = re2Error(pattern);
  if (why !== undefined)
    throw new Unsupported(`${what} regular expression ${JSON.stringify(pattern)} is not valid RE2: ${why}`);
}

function parseMatch(raw: unknown): HttpMatch {
  const o = obj(raw);
  const p = obj(o.path);
  const type = str(p.type) ?? 'PathPrefix';
  let value = str(p.value) ?? '/';
  if (type !== 'Exact' && type !== 'PathPrefix' && type !== 'RegularExpression')
    throw new Unsupported(notSupported(`path match type ${type}`, 'HTTPRoute match', 'path '));
  if (type !== 'RegularExpression' && !value.startsWith('/'))
    throw new Unsupported(`path ${value} must start with /`);
  if (type === 'RegularExpression') checkRegex(value, 'path');
  // A trailing slash on a prefix is not significant: /abc/ matches /abc and /abc/def.
  if (type === 'PathPrefix' && value.length > 1 && value.endsWith('/'))
    value = value.replace(/\/+$/, '') || '/';
  const method = str(o.method);
  return {
    path: { type, value },
    headers: valueMatch<HeaderMatch>(o.headers, 'header', true),
    queryParams: valueMatch<QueryParamMatch>(o.queryParams, 'query param', false),
    ...(method ? { method: method.toUpperCase() } : {}),
  };
}

const GRPC_SERVICE = /^\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$/i;
const GRPC_METHOD = /^[A-Za-z_][A-Za-z_0-9]*$/;

/** gRPC calls are POSTs to `/<service>/<method>`: a GRPCRoute match is a path match. */
function parseGrpcMatch(raw: unknown): HttpMatch {
  const o = obj(raw);
  const headers = valueMatch<HeaderMatch>(o.headers, 'header', true);
  if (o.method === undefined) return { path: { type: 'PathPrefix', value: '/' }, headers, queryParams: [] };
  const m = obj(o.method);
  const type = str(m.type) ?? 'Exact';
  const service = str(m.service) || undefined;
  const method = str(m.method) || undefined;
  if (type !== 'Exact' && type !== 'RegularExpression') throw new Unsupported(`method match type ${type}`);
  if (!service && !method) throw new Unsupported('a method match needs a service or a method');
  let path: HttpMatch['path'];
  if (type === 'RegularExpression') {
    if (service) checkRegex(service, 'service');
    if (method) checkRegex(method, 'method');
    path = { type, value: `/(?:${service ?? '[^/]+'})/(?:${method ?? '[^/]+'})` };
  } else {
    // The CRD's own patterns; they also make the names safe inside a regex.
    if (service && !GRPC_SERVICE.test(service)) throw new Unsupported(`invalid service name ${service}`);
    if (method && !GRPC_METHOD.test(method)) throw new Unsupported(`invalid method name ${method}`);
    if (service && method) path = { type: 'Exact', value: `/${service}/${method}` };
    else if (service) path = { type: 'PathPrefix', value: `/${service}` };
    else path = { type: 'RegularExpression', value: `/[^/]+/${method ?? ''}` };
  }
  return { path, headers, queryParams: [] };
}

function grpcKey(raw: unknown): GrpcKey {
  const m = obj(obj(raw).method);
  return { service: (str(m.service) ?? '').length, method: (str(m.method) ?? '').length };
}

function headerModifier(raw: unknown): HeaderModifier {
  const o = obj(raw);
  const pairs = (v: unknown): { name: string; value: string }[] =>
    arr(v)
      .map((h) => ({ name: str(obj(h).name) ?? '', value: str(obj(h).value) ?? '' }))
      .filter((h) => h.name !== '')
      .sort((a, b) => byString(a.name.toLowerCase(), b.name.toLowerCase()));
  const remove = arr(o.remove)
    .filter((x): x is string => typeof x === 'string' && x !== '')
    .sort(byString);
  return { set: pairs(o.set), add: pairs(o.add), remove };
}

function touchesHost(m: HeaderModifier): boolean {
  const host = (n: string) => n.toLowerCase() === 'host';
  return [...m.set, ...m.add].some((h) => host(h.name)) || m.remove.some(host);
}

function pathRewrite(raw: unknown, what: string): PathRewrite | undefined {
  if (raw === undefined) return undefined;
  const o = obj(raw);
  const full = str(o.replaceFullPath);
  const prefix = str(o.replacePrefixMatch);
  if (o.type === 'ReplaceFullPath' && full !== undefined) return { type: 'ReplaceFullPath', value: full };
  if (o.type === 'ReplacePrefixMatch' && prefix !== undefined)
    return { type: 'ReplacePrefixMatch', value: prefix };
  throw new Unsupported(`invalid ${what} path`);
}

interface Filters {
  requestHeaders?: HeaderModifier;
  responseHeaders?: HeaderModifier;
  urlRewrite?: UrlRewrite;
  redirect?: HttpAction;
  /** RequestMirror filters, resolved with the rule's backends. */
  mirrors: { backendRef: unknown; perMillion: number }[];
  cors?: CorsPolicy;
}

function corsPolicy(raw: unknown): CorsPolicy {
  const o = obj(raw);
  const list = (v: unknown) => arr(v).filter((x): x is string => typeof x === 'string' && x !== '');
  const allowOrigins = list(o.allowOrigins);
  for (const origin of allowOrigins)
    if (origin !== '*' && !/^[a-z][a-z0-9+.-]*:\/\/(\*\.)?[a-z0-9.-]+(:[0-9]+)?$/i.test(origin))
      throw new Unsupported(`CORS origin ${JSON.stringify(origin)} is not scheme://host[:port]`);
  return {
    allowOrigins,
    allowMethods: list(o.allowMethods),
    allowHeaders: list(o.allowHeaders),
    exposeHeaders: list(o.exposeHeaders),
    allowCredentials: bool(o.allowCredentials) ?? false,
    maxAge: int(o.maxAge) ?? 5,
  };
}

/** requestMirror.percent (0-100) or .fraction (numerator / denominator, default 100), in millionths. */
function mirrorShare(m: Readonly<Record<string, unknown>>): number {
  const percent = int(m.percent);
  if (percent !== undefined) return Math.round(Math.max(0, Math.min(percent, 100)) * 10_000);
  if (m.fraction === undefined) return 1_000_000;
  const f = obj(m.fraction);
  const numerator = int(f.numerator) ?? 0;
  const denominator = int(f.denominator) ?? 100;
  if (denominator <= 0 || numerator < 0 || numerator > denominator)
    throw new Unsupported(`invalid RequestMirror fraction ${numerator}/${denominator}`);
  return Math.round((numerator / denominator) * 1_000_000);
}

function parseFilters(raw: unknown): Filters {
  const f: Filters = { mirrors: [] };
  for (const x of arr(raw)) {
    const o = obj(x);
    switch (o.type) {
      case 'RequestHeaderModifier':
        f.requestHeaders = headerModifier(o.requestHeaderModifier);
        // Envoy refuses a route that changes Host (a NACK): the field for it is URLRewrite hostname.
        if (touchesHost(f.requestHeaders))
          throw new Unsupported(
            'RequestHeaderModifier cannot set, add or remove the Host header; use a URLRewrite filter with hostname',
          );
        break;
      case 'ResponseHeaderModifier':
        f.responseHeaders = headerModifier(o.responseHeaderModifier);
        break;
      case 'URLRewrite': {
        const u = obj(o.urlRewrite);
        const hostname = str(u.hostname);
        const path = pathRewrite(u.path, 'URLRewrite');
        f.urlRewrite = { ...(hostname ? { hostname } : {}), ...(path ? { path } : {}) };
        break;
      }
      case 'RequestRedirect': {
        const r = obj(o.requestRedirect);
        const scheme = r.scheme === 'http' || r.scheme === 'https' ? r.scheme : undefined;
        const hostname = str(r.hostname);
        const port = int(r.port);
        const path = pathRewrite(r.path, 'RequestRedirect');
        const statusCode = int(r.statusCode) ?? 302;
        if (!supported('HTTPRoute redirect status').includes(String(statusCode)))
          throw new Unsupported(notSupported(`redirect status ${statusCode}`, 'HTTPRoute redirect status'));
        f.redirect = {
          type: 'Redirect',
          ...(scheme ? { scheme } : {}),
          ...(hostname ? { hostname } : {}),
          ...(port !== undefined && port > 0 && port < 65536 ? { port } : {}),
          ...(path ? { path } : {}),
          statusCode,
        };
        break;
      }
      case 'CORS':
        f.cors = corsPolicy(o.cors);
        break;
      case 'RequestMirror': {
        const m = obj(o.requestMirror);
        f.mirrors.push({ backendRef: m.backendRef, perMillion: mirrorShare(m) });
        break;
      }
      default:
        throw new Unsupported(notSupported(`filter type ${show(o.type)}`, 'HTTPRoute filter'));
    }
  }
  return f;
}

/** Mirrors to valid backends; an invalid one is a ResolvedRefs problem, and mirrors nothing. */
function mirrors(
  l: Lookup,
  kind: RouteKind,
  ns: string,
  list: Filters['mirrors'],
  clusters: Map<string, ServicePort>,
  problems: Problem[],
): Mirror[] {
  const out: Mirror[] = [];
  for (const m of list) {
    const r = resolveBackendRef(l, kind, ns, m.backendRef);
    if (!r.ok) {
      problems.push({ reason: r.reason, message: `RequestMirror: ${r.message}` });
      continue;
    }
    if (m.perMillion === 0) continue;
    clusters.set(r.cluster, kind === 'GRPCRoute' ? { ...r.service, http2: true } : r.service);
    out.push({ cluster: r.cluster, perMillion: m.perMillion });
  }
  return out;
}

/** backendRefs[].filters: header modifiers only (what Envoy can apply per weighted cluster). */
function backendFilters(raw: unknown): Pick<WeightedBackend, 'requestHeaders' | 'responseHeaders'> {
  const list = arr(raw);
  if (list.length === 0) return {};
  const f = parseFilters(list);
  if (f.redirect || f.urlRewrite || f.cors || f.mirrors.length > 0)
    throw new Unsupported(
      'backendRef filters other than RequestHeaderModifier and ResponseHeaderModifier are not supported',
    );
  return {
    ...(f.requestHeaders ? { requestHeaders: f.requestHeaders } : {}),
    ...(f.responseHeaders ? { responseHeaders: f.responseHeaders } : {}),
  };
}

function backends(
  l: Lookup,
  kind: RouteKind,
  ns: string,
  refs: unknown,
  clusters: Map<string, ServicePort>,
  problems: Problem[],
): { backends: WeightedBackend[]; invalidWeight: number } {
  // Refs to one Service port with the same filters are one backend with their summed weight.
  const merged = new Map<string, WeightedBackend>();
  let invalidWeight = 0;
  for (const ref of arr(refs)) {
    const filters = kind === 'TLSRoute' ? {} : backendFilters(obj(ref).filters);
    const r = resolveBackendRef(l, kind, ns, ref);
    if (!r.ok) {
      problems.push({ reason: r.reason, message: r.message });
      invalidWeight += r.weight;
      continue;
    }
    if (r.weight === 0) continue;
    clusters.set(r.cluster, kind === 'GRPCRoute' ? { ...r.service, http2: true } : r.service);
    const k = `${r.cluster}\u0000${JSON.stringify(filters)}`;
    merged.set(k, { cluster: r.cluster, weight: (merged.get(k)?.weight ?? 0) + r.weight, ...filters });
  }
  const backends = [...merged.entries()].sort((a, b) => byString(a[0], b[0])).map(([, b]) => b);
  return { backends, invalidWeight };
}

function parseRules(
  l: Lookup,
  kind: RouteKind,
  ns: string,
  spec: Readonly<Record<string, unknown>>,
  clusters: Map<string, ServicePort>,
  problems: Problem[],
): RuleModel[] {
  return arr(spec.rules).map((ruleRaw, index) => {
    const rule = obj(ruleRaw);
    const list = arr(rule.matches);
    const parse = kind === 'HTTPRoute' ? parseMatch : kind === 'GRPCRoute' ? parseGrpcMatch : undefined;
    const matches = parse ? (list.length ? list : [{}]).map(parse) : [];
    const grpc = kind === 'GRPCRoute' ? (list.length ? list : [{}]).map(grpcKey) : undefined;
    const stream = isStreamKind(kind);
    const f: Filters = stream ? { mirrors: [] } : parseFilters(rule.filters);
    const { timeoutMs, retry } = kind === 'HTTPRoute' ? ruleTiming(rule.timeouts, rule.retry, refuse) : {};
    const { backends: forward, invalidWeight } = backends(l, kind, ns, rule.backendRefs, clusters, problems);
    let action: HttpAction;
    if (f.redirect) action = f.redirect;
    else if (forward.length > 0 || stream)
      action = {
        type: 'Forward',
        backends: forward,
        ...(invalidWeight > 0 && !stream ? { invalidWeight } : {}),
      };
    else action = { type: 'DirectResponse', status: 500 };
    const mirrored = action.type === 'Forward' ? mirrors(l, kind, ns, f.mirrors, clusters, problems) : [];
    return {
      index,
      matches,
      ...(grpc ? { grpc } : {}),
      action,
      ...(f.requestHeaders ? { requestHeaders: f.requestHeaders } : {}),
      ...(f.responseHeaders ? { responseHeaders: f.responseHeaders } : {}),
      ...(f.urlRewrite && action.type === 'Forward' ? { urlRewrite: f.urlRewrite } : {}),
      ...(timeoutMs !== undefined && action.type === 'Forward' ? { timeoutMs } : {}),
      ...(retry && action.type === 'Forward' ? { retry } : {}),
      ...(mirrored.length > 0 ? { mirrors: mirrored } : {}),
      ...(f.cors ? { cors: f.cors } : {}),
    };
  });
}

/** Routes that forward whole connections or datagrams: no matches, no filters. */
export function isStreamKind(kind: RouteKind): boolean {
  return kind === 'TLSRoute' || kind === 'TCPRoute' || kind === 'UDPRoute';
}

const PROBLEM_ORDER = ['InvalidKind', 'RefNotPermitted', 'BackendNotFound'];

export function buildRoute(l: Lookup, kind: RouteKind, raw: unknown): RouteModel {
  const md = meta(raw);
  const spec = obj(obj(raw).spec);
  const hostnames = arr(spec.hostnames)
    .filter((h): h is string => typeof h === 'string' && h !== '')
    .map((h) => h.toLowerCase());
  const clusters = new Map<string, ServicePort>();
  const problems: Problem[] = [];
  let rules: RuleModel[] = [];
  let unsupported: string | undefined;
  try {
    rules = parseRules(l, kind, md.namespace, spec, clusters, problems);
  } catch (e) {
    if (!(e instanceof Unsupported)) throw e;
    unsupported = e.message;
    clusters.clear();
  }
  problems.sort((a, b) => PROBLEM_ORDER.indexOf(a.reason) - PROBLEM_ORDER.indexOf(b.reason));
  const first = problems[0];
  const unresolved = first
    ? { reason: first.reason, message: [...new Set(problems.map((p) => p.message))].join('; ') }
    : undefined;
  // Only clusters a Forward action sends to (a redirect rule's backends are never used).
  const used = new Map<string, ServicePort>();
  for (const r of rules)
    if (r.action.type === 'Forward')
      for (const b of [...r.action.backends, ...(r.mirrors ?? [])]) {
        const svc = clusters.get(b.cluster);
        if (svc) used.set(b.cluster, svc);
      }
  const entries: Entry[] = [];
  const model: RouteModel = {
    kind,
    meta: md,
    raw,
    id: `${kind}/${md.namespace}/${md.name}`,
    order: `${md.creationTimestamp}\u0000${md.namespace}/${md.name}`,
    hostnames: [...new Set(hostnames)],
    rules,
    entries,
    clusters: used,
    ...(unsupported !== undefined ? { unsupported } : {}),
    ...(unresolved ? { unresolved } : {}),
  };
  for (const rule of rules)
    for (let i = 0; i < rule.matches.length; i++) {
      const match = rule.matches[i];
      if (!match) continue;
      const ir: Route = {
        name: `${md.namespace}/${md.name}/rule/${rule.index}/match/${i}`,
        match,
        action: rule.action,
        ...(rule.requestHeaders ? { requestHeaders: rule.requestHeaders } : {}),
        ...(rule.responseHeaders ? { responseHeaders: rule.responseHeaders } : {}),
        ...(rule.urlRewrite ? { urlRewrite: rule.urlRewrite } : {}),
        ...(rule.timeoutMs !== undefined ? { timeoutMs: rule.timeoutMs } : {}),
        ...(rule.retry ? { retry: rule.retry } : {}),
        ...(rule.mirrors ? { mirrors: rule.mirrors } : {}),
        ...(rule.cors ? { cors: rule.cors } : {}),
      };
      const grpc = rule.grpc?.[i];
      entries.push({ route: model, rule, matchIndex: i, ir, ...(grpc ? { grpc } : {}) });
    }
  return model;
}
