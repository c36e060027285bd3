// Unknown keys in props: JavaScript has no type checker to catch `protocl`, and a silently
// dropped field is a Gateway that does something else than its author wrote. Each key list is
// checked against its props interface by `satisfies`, so the two cannot drift apart.
import type { IConstruct } from 'constructs';
import { invalid } from './errors.ts';
import type { FrontendTls, FrontendTlsPort, FrontendValidation } from './frontend-tls.ts';
import type { AllowedListeners, AllowedRoutes, GatewayProps, ListenerProps } from './gateway.ts';
import type { ListenerSetProps } from './listener-set.ts';
import type { HttpRouteRetry } from './http-retry.ts';
import type { GrpcMethodMatch, GrpcRouteMatch, GrpcRouteProps, GrpcRouteRule } from './grpc-route.ts';
import type {
  HeaderModifier,
  HttpCors,
  HttpPathMatch,
  HttpRouteMatch,
  HttpRouteProps,
  HttpRouteFilter,
  HttpRouteRule,
  HttpValueMatch,
  PathModifier,
} from './http-route.ts';
import type { BackendRef, ParentRef, StreamRouteProps } from './route-refs.ts';
import type { TlsRouteProps } from './tls-route.ts';
import type { GatewayClassProps } from './gateway-class.ts';
import type { L2AnnouncementPolicyProps } from './l2-announcement-policy.ts';
import type { LoadBalancerIpPoolProps } from './lb-ip-pool.ts';
import type { ReferenceGrantFrom, ReferenceGrantProps, ReferenceGrantTo } from './reference-grant.ts';
import type { BackendTlsPolicyProps, BackendTlsTarget } from './backend-tls-policy.ts';

type FilterFields<T extends HttpRouteFilter['type']> = Omit<Extract<HttpRouteFilter, { type: T }>, 'type'>;
type Keys<T> = { readonly [K in keyof Required<T>]: true };
const keys = <T>(k: Keys<T>): readonly string[] => Object.keys(k);

export const KEYS = {
  gateway: keys<GatewayProps>({
    metadata: true,
    gatewayClass: true,
    listeners: true,
    addresses: true,
    allowedListeners: true,
    infrastructure: true,
    backendClientCertificate: true,
    frontendTls: true,
  }),
  frontendTls: keys<FrontendTls>({ default: true, perPort: true }),
  frontendTlsPort: keys<FrontendTlsPort>({ port: true, validation: true }),
  frontendValidation: keys<FrontendValidation>({ caCertificateRefs: true, mode: true }),
  allowedListeners: keys<AllowedListeners>({ from: true, selector: true }),
  listenerSet: keys<ListenerSetProps>({ metadata: true, gateway: true, listeners: true }),
  listenerSetParent: keys<{ name: string; namespace?: string }>({ name: true, namespace: true }),
  listener: keys<ListenerProps>({
    name: true,
    protocol: true,
    port: true,
    hostname: true,
    tlsMode: true,
    certificateRefs: true,
    allowedRoutes: true,
  }),
  allowedRoutes: keys<AllowedRoutes>({ from: true, selector: true, kinds: true }),
  httpRoute: keys<HttpRouteProps>({ metadata: true, parentRefs: true, hostnames: true, rules: true }),
  httpRule: keys<HttpRouteRule>({
    name: true,
    matches: true,
    filters: true,
    backendRefs: true,
    timeouts: true,
    retry: true,
  }),
  httpRetry: keys<HttpRouteRetry>({ codes: true, attempts: true, backoff: true }),
  httpMatch: keys<HttpRouteMatch>({ path: true, headers: true, queryParams: true, method: true }),
  pathMatch: keys<HttpPathMatch>({ type: true, value: true }),
  valueMatch: keys<HttpValueMatch>({ name: true, value: true, type: true }),
  pathModifier: keys<PathModifier>({ type: true, value: true }),
  grpcRoute: keys<GrpcRouteProps>({ metadata: true, parentRefs: true, hostnames: true, rules: true }),
  grpcRule: keys<GrpcRouteRule>({ name: true, matches: true, filters: true, backendRefs: true }),
  grpcMatch: keys<GrpcRouteMatch>({ method: true, headers: true }),
  grpcMethod: keys<GrpcMethodMatch>({ service: true, method: true, type: true }),
  streamRoute: keys<StreamRouteProps>({ metadata: true, parentRefs: true, backendRefs: true }),
  tlsRoute: keys<TlsRouteProps>({ metadata: true, parentRefs: true, hostnames: true, backendRefs: true }),
  gatewayClass: keys<GatewayClassProps>({ metadata: true, controllerName: true, description: true }),
  ipPool: keys<LoadBalancerIpPoolProps>({
    metadata: true,
    blocks: true,
    serviceSelector: true,
    allowFirstLastIPs: true,
    disabled: true,
  }),
  l2Policy: keys<L2AnnouncementPolicyProps>({
    metadata: true,
    serviceSelector: true,
    nodeSelector: true,
    interfaces: true,
    loadBalancerIPs: true,
    externalIPs: true,
  }),
  referenceGrant: keys<ReferenceGrantProps>({ metadata: true, from: true, to: true }),
  referenceGrantFrom: keys<ReferenceGrantFrom>({ kind: true, namespace: true }),
  referenceGrantTo: keys<ReferenceGrantTo>({ kind: true, name: true }),
  backendTlsPolicy: keys<BackendTlsPolicyProps>({
    metadata: true,
    targets: true,
    hostname: true,
    caCertificateConfigMaps: true,
    subjectAltNames: true,
  }),
  backendTlsTarget: keys<BackendTlsTarget>({ service: true, sectionName: true }),
  parentRef: keys<ParentRef>({ gateway: true, kind: true, namespace: true, sectionName: true, port: true }),
  backendRef: keys<BackendRef>({ service: true, port: true, namespace: true, weight: true }),
};

/** The fields of each filter type, beside `type` (Portico's filters are flat, see FILTER_FIELD). */
export const FILTER_KEYS: Record<string, readonly string[]> = {
  RequestHeaderModifier: keys<HeaderModifier>({ set: true, add: true, remove: true }),
  ResponseHeaderModifier: keys<HeaderModifier>({ set: true, add: true, remove: true }),
  RequestRedirect: keys<FilterFields<'RequestRedirect'>>({
    scheme: true,
    hostname: true,
    port: true,
    path: true,
    statusCode: true,
  }),
  URLRewrite: keys<FilterFields<'URLRewrite'>>({ hostname: true, path: true }),
  RequestMirror: keys<FilterFields<'RequestMirror'>>({ backend: true, percent: true }),
  CORS: keys<HttpCors>({
    allowOrigins: true,
    allowMethods: true,
    allowHeaders: true,
    exposeHeaders: true,
    allowCredentials: true,
    maxAge: true,
  }),
};

/** Gateway API's YAML nests a filter's fields under a key named after its type. */
const FILTER_FIELD: Record<string, string> = {
  requestHeaderModifier: 'RequestHeaderModifier',
  responseHeaderModifier: 'ResponseHeaderModifier',
  requestRedirect: 'RequestRedirect',
  urlRewrite: 'URLRewrite',
  requestMirror: 'RequestMirror',
  cors: 'CORS',
};

/** Throws for the first key of `value` not in `allowed`, suggesting the closest known one. */
export function checkKeys(
  scope: IConstruct,
  field: string,
  value: unknown,
  allowed: readonly string[],
): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    if (value === undefined) return;
    invalid(scope, field || 'props', `must be an object, got ${JSON.stringify(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (allowed.includes(key)) continue;
    const near = allowed.find((k) => distance(k.toLowerCase(), key.toLowerCase()) <= 2);
    invalid(
      scope,
      field ? `${field}.${key}` : key,
      `is not a known field${near ? `; did you mean "${near}"?` : ''} (known: ${allowed.join(', ')})`,
    );
  }
}

/** A route filter's keys: its type's fields beside `type`; Gateway API's nested shape gets the flat one shown. */
export function checkFilterKeys(scope: IConstruct, field: string, filter: object): void {
  const f = filter as Record<string, unknown>;
  for (const [key, type] of Object.entries(FILTER_FIELD)) {
    if (!(key in f)) continue;
    const flat = { type, ...(f[key] as object) };
    invalid(
      scope,
      `${field}.${key}`,
      `is Gateway API's YAML shape; here a filter's fields sit beside its type: ${js(flat)}`,
    );
  }
  const allowed = FILTER_KEYS[String(f.type)];
  if (allowed) checkKeys(scope, field, filter, ['type', ...allowed]);
}

/** A value as JavaScript source: `{ type: 'RequestRedirect', statusCode: 301 }`. */
function js(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (Array.isArray(v)) return `[${v.map(js).join(', ')}]`;
  if (v && typeof v === 'object')
    return `{ ${Object.entries(v)
      .map(([k, x]) => `${k}: ${js(x)}`)
      .join(', ')} }`;
  return String(v);
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}
