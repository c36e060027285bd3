// IR HTTP routes -> Envoy RouteConfiguration (RDS). Pure.
import type {
  HttpsChain,
  HeaderModifier,
  HttpAction,
  HttpListener,
  HttpMatch,
  PathRewrite,
  Route,
  UrlRewrite,
} from '../ir/index.ts';
import type { HeaderValueOption } from '../envoy/generated/envoy/config/core/v3/HeaderValueOption.ts';
import type { RedirectAction } from '../envoy/generated/envoy/config/route/v3/RedirectAction.ts';
import type { Route as EnvoyRoute } from '../envoy/generated/envoy/config/route/v3/Route.ts';
import type { RouteAction } from '../envoy/generated/envoy/config/route/v3/RouteAction.ts';
import type { RouteConfiguration } from '../envoy/generated/envoy/config/route/v3/RouteConfiguration.ts';
import type { RouteMatch } from '../envoy/generated/envoy/config/route/v3/RouteMatch.ts';
import { withCors } from './cors.ts';
import { literalHeaderValue } from './header-value.ts';
import { durationOf, envoyRetryPolicy } from './retry.ts';
import type { StringMatcher } from '../envoy/generated/envoy/type/matcher/v3/StringMatcher.ts';

const REDIRECT_CODES: Record<number, RedirectAction['response_code']> = {
  301: 'MOVED_PERMANENTLY',
  302: 'FOUND',
  303: 'SEE_OTHER',
  307: 'TEMPORARY_REDIRECT',
  308: 'PERMANENT_REDIRECT',
};

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function stringMatch(type: 'Exact' | 'RegularExpression', value: string): StringMatcher {
  return type === 'Exact' ? { exact: value } : { safe_regex: { regex: value } };
}

/** Gateway API PathPrefix ignores a trailing slash and matches whole segments only. */
function prefixOf(value: string): string {
  return value.length > 1 ? value.replace(/\/+$/, '') || '/' : value;
}

export function routeMatch(m: HttpMatch): RouteMatch {
  const out: RouteMatch = {};
  if (m.path.type === 'Exact') out.path = m.path.value;
  else if (m.path.type === 'RegularExpression') out.safe_regex = { regex: m.path.value };
  else {
    const prefix = prefixOf(m.path.value);
    if (prefix === '/') out.prefix = '/';
    else out.path_separated_prefix = prefix;
  }
  const headers = m.headers.map((h) => ({ name: h.name, string_match: stringMatch(h.type, h.value) }));
  if (m.method) headers.push({ name: ':method', string_match: { exact: m.method } });
  if (headers.length) out.headers = headers;
  if (m.queryParams.length) {
    out.query_parameters = m.queryParams.map((q) => ({
      name: q.name,
      string_match: stringMatch(q.type, q.value),
    }));
  }
  return out;
}

function headerOptions(mod: HeaderModifier | undefined): HeaderValueOption[] {
  if (!mod) return [];
  return [
    ...mod.set.map((h): HeaderValueOption => ({
      header: { key: h.name, value: literalHeaderValue(h.value) },
      append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
    })),
    ...mod.add.map((h): HeaderValueOption => ({
      header: { key: h.name, value: literalHeaderValue(h.value) },
      append_action: 'APPEND_IF_EXISTS_OR_ADD',
    })),
  ];
}

/** Path rewrite fields shared by RouteAction and RedirectAction. */
function pathRewrite(
  p: PathRewrite,
  match: HttpMatch,
): Pick<RouteAction, 'prefix_rewrite' | 'regex_rewrite'> {
  if (p.type === 'ReplaceFullPath')
    return { regex_rewrite: { pattern: { regex: '^/.*$' }, substitution: p.value } };
  const prefix = match.path.type === 'PathPrefix' ? prefixOf(match.path.value) : '/';
  // Replacing "/foo" by "/" must not leave a double slash in "/foo/bar".
  if (p.value === '/' && prefix !== '/') {
    return { regex_rewrite: { pattern: { regex: `^${escapeRegex(prefix)}/*` }, substitution: '/' } };
  }
  return { prefix_rewrite: p.value };
}

function forward(action: Extract<HttpAction, { type: 'Forward' }>, r: Route): RouteAction {
  const perBackend = action.backends.some((b) => b.requestHeaders || b.responseHeaders);
  const out: RouteAction =
    action.backends.length === 1 && !perBackend
      ? { cluster: action.backends[0]!.cluster }
      : {
          weighted_clusters: {
            clusters: action.backends.map((b) => {
              const req = headerOptions(b.requestHeaders);
              const res = headerOptions(b.responseHeaders);
              return {
                name: b.cluster,
                weight: { value: b.weight },
                ...(req.length ? { request_headers_to_add: req } : {}),
                ...(b.requestHeaders?.remove.length
                  ? { request_headers_to_remove: [...b.requestHeaders.remove] }
                  : {}),
                ...(res.length ? { response_headers_to_add: res } : {}),
                ...(b.responseHeaders?.remove.length
                  ? { response_headers_to_remove: [...b.responseHeaders.remove] }
                  : {}),
              };
            }),
          },
        };
  // The Gateway API's default is no timeout; Envoy's would be 15 s.
  out.timeout = r.timeoutMs ? durationOf(r.timeoutMs) : { seconds: 0 };
  if (r.retry) out.retry_policy = envoyRetryPolicy(r.retry);
  if (r.mirrors?.length)
    out.request_mirror_policies = r.mirrors.map((m) => ({
      cluster: m.cluster,
      ...(m.perMillion < 1_000_000
        ? {
            runtime_fraction: { default_value: { numerator: m.perMillion, denominator: 'MILLION' as const } },
          }
        : {}),
    }));
  const rw: UrlRewrite | undefined = r.urlRewrite;
  if (rw?.hostname) out.host_rewrite_literal = rw.hostname;
  if (rw?.path) Object.assign(out, pathRewrite(rw.path, r.match));
  return out;
}

/** The listener a route is served on: a redirect without scheme or port keeps its port. */
export interface ServedOn {
  readonly port: number;
  readonly protocol: 'HTTP' | 'HTTPS';
}

function redirect(
  a: Extract<HttpAction, { type: 'Redirect' }>,
  match: HttpMatch,
  on: ServedOn | undefined,
): RedirectAction {
  const out: RedirectAction = { response_code: REDIRECT_CODES[a.statusCode] ?? 'FOUND' };
  if (a.scheme) out.scheme_redirect = a.scheme;
  if (a.hostname) out.host_redirect = a.hostname;
  if (a.port !== undefined) out.port_redirect = a.port;
  // The spec: with neither scheme nor port, the redirect goes to the listener's port (left out of
  // Location when it is the scheme's well-known one). Envoy alone would drop a port like 8080.
  else if (!a.scheme && on && on.port !== (on.protocol === 'HTTPS' ? 443 : 80)) out.port_redirect = on.port;
  if (a.path?.type === 'ReplaceFullPath') out.path_redirect = a.path.value;
  else if (a.path) Object.assign(out, pathRewrite(a.path, match));
  return out;
}

export function envoyRoute(r: Route, on?: ServedOn): EnvoyRoute {
  const out: EnvoyRoute = { name: r.name, match: routeMatch(r.match) };
  if (r.action.type === 'Forward') {
    // An empty backend list cannot be forwarded anywhere: the spec asks for a 500.
    if (r.action.backends.length === 0) out.direct_response = { status: 500 };
    else out.route = forward(r.action, r);
  } else if (r.action.type === 'DirectResponse') out.direct_response = { status: r.action.status };
  else out.redirect = redirect(r.action, r.match, on);
  const req = headerOptions(r.requestHeaders);
  if (req.length) out.request_headers_to_add = req;
  if (r.requestHeaders?.remove.length) out.request_headers_to_remove = [...r.requestHeaders.remove];
  const res = headerOptions(r.responseHeaders);
  if (res.length) out.response_headers_to_add = res;
  if (r.responseHeaders?.remove.length) out.response_headers_to_remove = [...r.responseHeaders.remove];
  return out;
}

/** The RouteConfiguration of an HTTPS listener's chain. */
export function chainRouteName(l: HttpListener, c: HttpsChain): string {
  return `${l.name}/${c.name}`;
}

/**
 * One RouteConfiguration per HTTP listener, and per chain of an HTTPS one, named after it.
 * Unmatched requests get Envoy's 404.
 */
export function routeConfiguration(l: HttpListener, chain?: HttpsChain): RouteConfiguration {
  return {
    name: chain ? chainRouteName(l, chain) : l.name,
    // Match Host without its port, but forward it unchanged (the backend sees what the client sent).
    ignore_port_in_host_matching: true,
    virtual_hosts: (chain ?? l).virtualHosts.map((vh) => ({
      name: vh.name,
      domains: [...vh.domains],
      routes: vh.routes.flatMap((r) => envoyRoutesOf(r, l)),
    })),
  };
}

// The IR keeps an unchanged route's object, so a table of 1,000 routes rebuilds (and, with the
// codec's cache, encodes) only the routes that changed. One entry per route, keyed by what
// `envoyRoute` reads of `on`: only a redirect reads it, so a route on both an HTTP and an HTTPS
// listener keeps one entry.
const built = new WeakMap<Route, { key: string; routes: readonly EnvoyRoute[] }>();

function envoyRoutesOf(r: Route, on: ServedOn): readonly EnvoyRoute[] {
  const key = r.action.type === 'Redirect' ? `${on.port}/${on.protocol}` : '';
  let entry = built.get(r);
  if (entry?.key !== key) {
    entry = { key, routes: r.cors ? withCors(envoyRoute(r, on), r.cors) : [envoyRoute(r, on)] };
    built.set(r, entry);
  }
  return entry.routes;
}
