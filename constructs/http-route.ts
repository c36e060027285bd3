import { type ApiObjectMetadata } from 'cdk8s';
import { Construct } from 'constructs';
import * as gwapi from './imports/gateway.networking.k8s.io.ts';
import { enumValue } from './enum.ts';
import { invalid } from './errors.ts';
import { HttpRouteObject, type HttpRouteRetry, toRetry } from './http-retry.ts';
import { checkFilterKeys, checkKeys, KEYS } from './keys.ts';
import { AttachedRoute, type BackendRef, toBackendRef, type RouteParent } from './route-refs.ts';
import { checkDuration, checkHostname, checkPort, checkRegex, checkSectionName } from './validate.ts';

export type PathMatchType = 'Exact' | 'PathPrefix' | 'RegularExpression';
export type ValueMatchType = 'Exact' | 'RegularExpression';
export type HttpMethod = `${gwapi.HttpRouteSpecRulesMatchesMethod}`;

export interface HttpPathMatch {
  /** @default "PathPrefix" */
  readonly type?: PathMatchType;
  /** The path, starting with "/" (a pattern for RegularExpression). */
  readonly value: string;
}

export interface HttpValueMatch {
  readonly name: string;
  readonly value: string;
  /** @default "Exact" */
  readonly type?: ValueMatchType;
}

/** One match: every given condition must hold. */
export interface HttpRouteMatch {
  /** @default prefix "/" */
  readonly path?: HttpPathMatch;
  /** @default none */
  readonly headers?: HttpValueMatch[];
  /** @default none */
  readonly queryParams?: HttpValueMatch[];
  /** @default any method */
  readonly method?: HttpMethod;
}

export interface HttpHeader {
  readonly name: string;
  readonly value: string;
}

export interface HeaderModifier {
  /** @default none */
  readonly set?: HttpHeader[];
  /** @default none */
  readonly add?: HttpHeader[];
  /** Header names to remove. @default none */
  readonly remove?: string[];
}

export interface PathModifier {
  readonly type: 'ReplaceFullPath' | 'ReplacePrefixMatch';
  readonly value: string;
}

export type HttpRouteFilter =
  | ({ readonly type: 'RequestHeaderModifier' } & HeaderModifier)
  | ({ readonly type: 'ResponseHeaderModifier' } & HeaderModifier)
  | {
      readonly type: 'RequestRedirect';
      readonly scheme?: 'http' | 'https';
      readonly hostname?: string;
      readonly port?: number;
      readonly path?: PathModifier;
      /** @default 302 */
      readonly statusCode?: 301 | 302 | 303 | 307 | 308;
    }
  | { readonly type: 'URLRewrite'; readonly hostname?: string; readonly path?: PathModifier }
  | ({ readonly type: 'CORS' } & HttpCors)
  | {
      readonly type: 'RequestMirror';
      readonly backend: BackendRef;
      /** Share of requests mirrored, 0-100. @default 100 */
      readonly percent?: number;
    };

/** Gateway API durations such as "500ms" or "1m30s"; "0s" disables. */
export interface HttpRouteTimeouts {
  /** The whole exchange, from the request's arrival to the end of the response. @default no limit */
  readonly request?: string;
  /** One request to a backend; at most `request`. @default no limit */
  readonly backendRequest?: string;
}

/** Cross-origin resource sharing for the rule's requests. */
export interface HttpCors {
  /** Origins as `scheme://host[:port]`; the host may start with `*.`; `*` allows any. */
  readonly allowOrigins: string[];
  /** Methods a preflight allows, or `*`. @default none */
  readonly allowMethods?: (HttpMethod | '*')[];
  /** Request headers a preflight allows, or `*`. @default none */
  readonly allowHeaders?: string[];
  /** Response headers scripts may read. @default none */
  readonly exposeHeaders?: string[];
  /** @default false */
  readonly allowCredentials?: boolean;
  /** Seconds a preflight answer may be cached. @default 5 */
  readonly maxAge?: number;
}

/** A backendRef of an HTTPRoute rule, with filters applied only to requests sent to it. */
export interface HttpBackendRef extends BackendRef {
  /** @default none */
  readonly filters?: (
    | ({ readonly type: 'RequestHeaderModifier' } & HeaderModifier)
    | ({ readonly type: 'ResponseHeaderModifier' } & HeaderModifier)
  )[];
}

export interface HttpRouteRule {
  /** Rule name (a DNS label). @default none */
  readonly name?: string;
  /** Any one match selects the rule. @default prefix "/" */
  readonly matches?: HttpRouteMatch[];
  /** @default none */
  readonly filters?: HttpRouteFilter[];
  /** Backends with weights. @default none (requests get 500 unless a redirect filter answers) */
  readonly backendRefs?: HttpBackendRef[];
  /** @default no timeouts */
  readonly timeouts?: HttpRouteTimeouts;
  /** Experimental channel: retries of failed backend requests. @default none */
  readonly retry?: HttpRouteRetry;
}

export interface HttpRouteProps {
  /** @default a name unique in the chart */
  readonly metadata?: ApiObjectMetadata;
  /** Gateways (or their listeners) to attach to. @default none; use `attachTo` */
  readonly parentRefs?: RouteParent[];
  /** Host names the route serves. @default every host the listener accepts */
  readonly hostnames?: string[];
  /** Rules; more can be added with `addRule`. @default none */
  readonly rules?: HttpRouteRule[];
}

const statusCodes: Record<number, gwapi.HttpRouteSpecRulesFiltersRequestRedirectStatusCode> = {
  301: gwapi.HttpRouteSpecRulesFiltersRequestRedirectStatusCode.VALUE_301,
  302: gwapi.HttpRouteSpecRulesFiltersRequestRedirectStatusCode.VALUE_302,
  303: gwapi.HttpRouteSpecRulesFiltersRequestRedirectStatusCode.VALUE_303,
  307: gwapi.HttpRouteSpecRulesFiltersRequestRedirectStatusCode.VALUE_307,
  308: gwapi.HttpRouteSpecRulesFiltersRequestRedirectStatusCode.VALUE_308,
};

/** A header modifier on the wire; throws if a header is changed twice or has an invalid name. */
export function toHeaderModifier(scope: Construct, at: string, h: HeaderModifier) {
  const all = [...(h.set ?? []), ...(h.add ?? [])]
    .map((x) => x.name.toLowerCase())
    .concat((h.remove ?? []).map((x) => x.toLowerCase()));
  const dup = all.find((n, i) => all.indexOf(n) !== i);
  if (dup !== undefined) invalid(scope, at, `changes header "${dup}" more than once; list each header once`);
  all.forEach(
    (n) =>
      /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/.test(n) || invalid(scope, at, `has an invalid header name "${n}"`),
  );
  return {
    set: h.set?.map((x) => ({ ...x })),
    add: h.add?.map((x) => ({ ...x })),
    remove: h.remove ? [...h.remove] : undefined,
  };
}

/** An HTTPRoute (gateway.networking.k8s.io/v1). */
export class HttpRoute extends AttachedRoute {
  readonly apiObject: HttpRouteObject;
  private readonly wireRules: gwapi.HttpRouteSpecRules[] = [];

  constructor(scope: Construct, id: string, props: HttpRouteProps = {}) {
    super(scope, id, 'HTTPRoute', 'HttpRoute');
    checkKeys(this, '', props, KEYS.httpRoute);
    const hostnames = props.hostnames ?? [];
    hostnames.forEach((h, i) => checkHostname(this, `hostnames[${i}]`, h));
    this.apiObject = new HttpRouteObject(this, 'Resource', {
      metadata: props.metadata,
      spec: {
        parentRefs: this.wireParents,
        hostnames: hostnames.length > 0 ? [...hostnames] : undefined,
        rules: this.wireRules,
      },
    });
    for (const p of props.parentRefs ?? []) this.attachTo(p);
    for (const r of props.rules ?? []) this.addRule(r);
  }

  /** Adds a rule; throws if it is invalid. */
  addRule(rule: HttpRouteRule): void {
    const at = `rules[${this.wireRules.length}]`;
    const ns = this.apiObject.metadata.namespace;
    checkKeys(this, at, rule, KEYS.httpRule);
    if (rule.name !== undefined) checkSectionName(this, `${at}.name`, rule.name);
    const matches = (rule.matches ?? []).map((m, i) => this.match(`${at}.matches[${i}]`, m));
    const filters = (rule.filters ?? []).map((f, i) => this.filter(`${at}.filters[${i}]`, f, rule));
    const backendRefs = (rule.backendRefs ?? []).map((b, i) =>
      this.backendRef(`${at}.backendRefs[${i}]`, b, ns),
    );
    this.wireRules.push({
      name: rule.name,
      matches: matches.length > 0 ? matches : undefined,
      filters: filters.length > 0 ? filters : undefined,
      backendRefs: backendRefs.length > 0 ? backendRefs : undefined,
      timeouts: rule.timeouts && this.timeouts(`${at}.timeouts`, rule.timeouts),
    });
    if (rule.retry)
      this.apiObject.retries.set(this.wireRules.length - 1, toRetry(this, `${at}.retry`, rule.retry));
  }

  private cors(at: string, c: HttpCors): gwapi.HttpRouteSpecRulesFiltersCors {
    if (c.allowOrigins.length === 0)
      invalid(this, `${at}.allowOrigins`, 'must name at least one origin, or "*"');
    c.allowOrigins.forEach((o, i) => {
      if (o !== '*' && !/^[a-z][a-z0-9+.-]*:\/\/(\*\.)?[a-z0-9.-]+(:[0-9]+)?$/i.test(o))
        invalid(this, `${at}.allowOrigins[${i}]`, `must be scheme://host[:port] or "*", got "${o}"`);
    });
    const methods = Object.values(gwapi.HttpRouteSpecRulesFiltersCorsAllowMethods) as string[];
    (c.allowMethods ?? []).forEach((m, i) => {
      if (!methods.includes(m))
        invalid(this, `${at}.allowMethods[${i}]`, `must be one of ${methods.join(', ')}, got "${m}"`);
    });
    if (c.maxAge !== undefined && (!Number.isInteger(c.maxAge) || c.maxAge < 1))
      invalid(this, `${at}.maxAge`, `must be a whole number of seconds, at least 1, got ${c.maxAge}`);
    return {
      allowOrigins: [...c.allowOrigins],
      allowMethods: c.allowMethods?.map((m) => enumValue<gwapi.HttpRouteSpecRulesFiltersCorsAllowMethods>(m)),
      allowHeaders: c.allowHeaders && [...c.allowHeaders],
      exposeHeaders: c.exposeHeaders && [...c.exposeHeaders],
      allowCredentials: c.allowCredentials,
      maxAge: c.maxAge,
    };
  }

  private backendRef(
    at: string,
    b: HttpBackendRef,
    ns: string | undefined,
  ): gwapi.HttpRouteSpecRulesBackendRefs {
    const filters = (b.filters ?? []).map((f, i) => {
      const T = gwapi.HttpRouteSpecRulesBackendRefsFiltersType;
      if (f.type === 'RequestHeaderModifier')
        return {
          type: T.REQUEST_HEADER_MODIFIER,
          requestHeaderModifier: toHeaderModifier(this, `${at}.filters[${i}]`, f),
        };
      if (f.type === 'ResponseHeaderModifier')
        return {
          type: T.RESPONSE_HEADER_MODIFIER,
          responseHeaderModifier: toHeaderModifier(this, `${at}.filters[${i}]`, f),
        };
      return invalid(
        this,
        `${at}.filters[${i}].type`,
        `must be RequestHeaderModifier or ResponseHeaderModifier, got "${(f as { type: string }).type}"`,
      );
    });
    // Its filters are read above: the shared backendRef check knows only the common keys.
    const ref: HttpBackendRef = { ...b };
    delete (ref as { filters?: unknown }).filters;
    return { ...toBackendRef(this, at, ref, ns), filters: filters.length > 0 ? filters : undefined };
  }

  private timeouts(at: string, t: HttpRouteTimeouts): gwapi.HttpRouteSpecRulesTimeouts {
    const request = t.request === undefined ? undefined : checkDuration(this, `${at}.request`, t.request);
    const backend =
      t.backendRequest === undefined
        ? undefined
        : checkDuration(this, `${at}.backendRequest`, t.backendRequest);
    if (request && backend !== undefined && backend > request)
      invalid(
        this,
        `${at}.backendRequest`,
        `must be at most request (${t.request}), got "${t.backendRequest}"`,
      );
    return { request: t.request, backendRequest: t.backendRequest };
  }

  private match(at: string, m: HttpRouteMatch): gwapi.HttpRouteSpecRulesMatches {
    let path: gwapi.HttpRouteSpecRulesMatchesPath | undefined;
    checkKeys(this, at, m, KEYS.httpMatch);
    checkKeys(this, `${at}.path`, m.path, KEYS.pathMatch);
    if (m.path) {
      const type = m.path.type ?? 'PathPrefix';
      if (type === 'RegularExpression') checkRegex(this, `${at}.path.value`, m.path.value);
      else if (!m.path.value.startsWith('/')) {
        invalid(this, `${at}.path.value`, `must start with "/", got "${m.path.value}"`);
      }
      path = { type: enumValue<gwapi.HttpRouteSpecRulesMatchesPathType>(type), value: m.path.value };
    }
    const values = <T extends string>(kind: string, list: HttpValueMatch[] | undefined) =>
      list?.map((h, i) => {
        checkKeys(this, `${at}.${kind}[${i}]`, h, KEYS.valueMatch);
        const type = h.type ?? 'Exact';
        if (h.name.length === 0) invalid(this, `${at}.${kind}[${i}].name`, 'must not be empty');
        if (type === 'RegularExpression') checkRegex(this, `${at}.${kind}[${i}].value`, h.value);
        return { name: h.name, value: h.value, type: enumValue<T>(type as `${T}`) };
      });
    if (
      m.method !== undefined &&
      !Object.values(gwapi.HttpRouteSpecRulesMatchesMethod).includes(
        m.method as gwapi.HttpRouteSpecRulesMatchesMethod,
      )
    ) {
      invalid(
        this,
        `${at}.method`,
        `must be one of ${Object.values(gwapi.HttpRouteSpecRulesMatchesMethod).join(', ')}, got "${m.method}"`,
      );
    }
    return {
      path,
      headers: values<gwapi.HttpRouteSpecRulesMatchesHeadersType>('headers', m.headers),
      queryParams: values<gwapi.HttpRouteSpecRulesMatchesQueryParamsType>('queryParams', m.queryParams),
      method: m.method === undefined ? undefined : enumValue<gwapi.HttpRouteSpecRulesMatchesMethod>(m.method),
    };
  }

  private filter(at: string, f: HttpRouteFilter, rule: HttpRouteRule): gwapi.HttpRouteSpecRulesFilters {
    const T = gwapi.HttpRouteSpecRulesFiltersType;
    checkFilterKeys(this, at, f);
    switch (f.type) {
      case 'RequestHeaderModifier':
        return { type: T.REQUEST_HEADER_MODIFIER, requestHeaderModifier: toHeaderModifier(this, at, f) };
      case 'ResponseHeaderModifier':
        return { type: T.RESPONSE_HEADER_MODIFIER, responseHeaderModifier: toHeaderModifier(this, at, f) };
      case 'RequestRedirect': {
        if (f.hostname !== undefined) checkHostname(this, `${at}.hostname`, f.hostname);
        if (f.port !== undefined) checkPort(this, `${at}.port`, f.port);
        if (f.statusCode !== undefined && !(f.statusCode in statusCodes)) {
          invalid(this, `${at}.statusCode`, `must be 301, 302, 303, 307 or 308, got ${f.statusCode}`);
        }
        if ((rule.backendRefs ?? []).length > 0) {
          invalid(this, `${at}`, "RequestRedirect answers the request itself; remove the rule's backendRefs");
        }
        return {
          type: T.REQUEST_REDIRECT,
          requestRedirect: {
            scheme:
              f.scheme === undefined
                ? undefined
                : enumValue<gwapi.HttpRouteSpecRulesFiltersRequestRedirectScheme>(f.scheme),
            hostname: f.hostname,
            port: f.port,
            statusCode: f.statusCode === undefined ? undefined : statusCodes[f.statusCode],
            path: f.path && {
              ...this.pathModifier(`${at}.path`, f.path, rule),
              type: enumValue<gwapi.HttpRouteSpecRulesFiltersRequestRedirectPathType>(f.path.type),
            },
          },
        };
      }
      case 'URLRewrite':
        if (f.hostname !== undefined) checkHostname(this, `${at}.hostname`, f.hostname);
        return {
          type: T.URL_REWRITE,
          urlRewrite: {
            hostname: f.hostname,
            path: f.path && {
              ...this.pathModifier(`${at}.path`, f.path, rule),
              type: enumValue<gwapi.HttpRouteSpecRulesFiltersUrlRewritePathType>(f.path.type),
            },
          },
        };
      case 'CORS':
        return { type: T.CORS, cors: this.cors(at, f) };
      case 'RequestMirror': {
        const b = toBackendRef(this, `${at}.backend`, f.backend, this.apiObject.metadata.namespace);
        if (f.percent !== undefined && (!Number.isInteger(f.percent) || f.percent < 0 || f.percent > 100)) {
          invalid(this, `${at}.percent`, `must be an integer between 0 and 100, got ${f.percent}`);
        }
        return {
          type: T.REQUEST_MIRROR,
          requestMirror: {
            backendRef: { name: b.name, namespace: b.namespace, port: b.port },
            percent: f.percent,
          },
        };
      }
      default:
        return invalid(
          this,
          `${at}.type`,
          `must be RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect, URLRewrite, RequestMirror or CORS, got "${(f as { type: string }).type}"`,
        );
    }
  }

  private pathModifier(at: string, p: PathModifier, rule: HttpRouteRule) {
    checkKeys(this, at, p, KEYS.pathModifier);
    if (!p.value.startsWith('/')) invalid(this, `${at}.value`, `must start with "/", got "${p.value}"`);
    if (p.type === 'ReplacePrefixMatch') {
      const ok =
        (rule.matches ?? []).length > 0 &&
        (rule.matches ?? []).every(
          (m) => (m.path?.type ?? 'PathPrefix') === 'PathPrefix' && m.path !== undefined,
        );
      if (!ok)
        invalid(
          this,
          `${at}.type`,
          'ReplacePrefixMatch needs every match of the rule to have a PathPrefix path; use ReplaceFullPath or add path prefixes',
        );
    }
    return p.type === 'ReplaceFullPath' ? { replaceFullPath: p.value } : { replacePrefixMatch: p.value };
  }
}
