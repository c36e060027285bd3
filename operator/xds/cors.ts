// The CORS filter as plain routes: preflights are answered here (with the CORS headers for allowed
// origins), a request from an allowed origin is forwarded with the CORS response headers, any other
// goes to the rule unchanged.
// Echoing the request's Origin, method and headers is what the spec allows for `*`, and what it
// requires when credentials are allowed.
import type { CorsPolicy } from '../ir/index.ts';
import type { HeaderValueOption } from '../envoy/generated/envoy/config/core/v3/HeaderValueOption.ts';
import type { HeaderMatcher } from '../envoy/generated/envoy/config/route/v3/HeaderMatcher.ts';
import type { Route as EnvoyRoute } from '../envoy/generated/envoy/config/route/v3/Route.ts';
import { literalHeaderValue } from './header-value.ts';

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `https://*.bar.com` matches any number of labels in front of `bar.com`; `*` matches any origin. */
export function originRegex(origins: readonly string[]): string {
  if (origins.includes('*')) return '.*';
  const alternatives = origins.map((o) => escapeRegex(o).replace('://\\*\\.', '://[^/:]+\\.'));
  return `(?:${alternatives.join('|')})`;
}

const set = (key: string, value: string): HeaderValueOption => ({
  header: { key, value },
  append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
});

/** `*` in a list: answer with what the request asked for (Envoy's %REQ(...)% formatter). */
function listOrEcho(list: readonly string[], requested: string): string | undefined {
  if (list.includes('*')) return `%REQ(${requested})%`;
  return list.length > 0 ? literalHeaderValue(list.join(', ')) : undefined;
}

function headers(c: CorsPolicy, preflight: boolean): HeaderValueOption[] {
  const out = [set('access-control-allow-origin', '%REQ(origin)%')];
  if (c.allowCredentials) out.push(set('access-control-allow-credentials', 'true'));
  if (c.exposeHeaders.length > 0)
    out.push(set('access-control-expose-headers', literalHeaderValue(c.exposeHeaders.join(', '))));
  if (!preflight) return out;
  const methods = listOrEcho(c.allowMethods, 'access-control-request-method');
  const allowHeaders = listOrEcho(c.allowHeaders, 'access-control-request-headers');
  if (methods) out.push(set('access-control-allow-methods', methods));
  if (allowHeaders) out.push(set('access-control-allow-headers', allowHeaders));
  out.push(set('access-control-max-age', String(c.maxAge)));
  return out;
}

/** The rule's match, for a preflight (OPTIONS asking for a method) whose Origin matches `origin`. */
function preflightMatch(plain: EnvoyRoute, origin: HeaderMatcher): EnvoyRoute['match'] {
  return {
    ...plain.match,
    headers: [
      ...(plain.match?.headers ?? []).filter((h) => h.name !== ':method'),
      origin,
      { name: ':method', string_match: { exact: 'OPTIONS' } },
      { name: 'access-control-request-method', present_match: true },
    ],
  };
}

/** The rule's route preceded by its preflight answers and its allowed-origin variant. */
export function withCors(plain: EnvoyRoute, c: CorsPolicy): EnvoyRoute[] {
  if (c.allowOrigins.length === 0) return [plain];
  const origin: HeaderMatcher = {
    name: 'origin',
    string_match: { safe_regex: { regex: originRegex(c.allowOrigins) } },
  };
  const preflight: EnvoyRoute = {
    name: `${plain.name}/cors-preflight`,
    match: preflightMatch(plain, origin),
    direct_response: { status: 200 },
    response_headers_to_add: headers(c, true),
  };
  // A preflight from any other origin is answered too, without CORS headers: the browser then
  // refuses the request, and the backend never sees it.
  const refused: EnvoyRoute = {
    name: `${plain.name}/cors-refused`,
    match: preflightMatch(plain, { name: 'origin', present_match: true }),
    direct_response: { status: 204 },
  };
  const allowed: EnvoyRoute = {
    ...plain,
    name: `${plain.name}/cors`,
    match: { ...plain.match, headers: [...(plain.match?.headers ?? []), origin] },
    response_headers_to_add: [...(plain.response_headers_to_add ?? []), ...headers(c, false)],
  };
  return [preflight, refused, allowed, plain];
}
