import { type ApiObjectMetadata } from 'cdk8s';
import { Construct } from 'constructs';
import * as gwapi from './imports/gateway.networking.k8s.io.ts';
import { enumValue } from './enum.ts';
import { invalid } from './errors.ts';
import { checkFilterKeys, checkKeys, KEYS } from './keys.ts';
import { type HeaderModifier, type HttpValueMatch, toHeaderModifier } from './http-route.ts';
import { AttachedRoute, type BackendRef, toBackendRef, type RouteParent } from './route-refs.ts';
import { checkHostname, checkRegex, checkSectionName } from './validate.ts';

/** Which gRPC calls a match selects: `/<service>/<method>`. */
export interface GrpcMethodMatch {
  /** Fully qualified service name, e.g. `helloworld.Greeter`. @default any service */
  readonly service?: string;
  /** Method name, e.g. `SayHello`. @default any method */
  readonly method?: string;
  /** @default "Exact" */
  readonly type?: 'Exact' | 'RegularExpression';
}

/** One match: every given condition must hold. */
export interface GrpcRouteMatch {
  /** @default any call */
  readonly method?: GrpcMethodMatch;
  /** Request metadata (header) matches. @default none */
  readonly headers?: HttpValueMatch[];
}

export type GrpcRouteFilter =
  | ({ readonly type: 'RequestHeaderModifier' } & HeaderModifier)
  | ({ readonly type: 'ResponseHeaderModifier' } & HeaderModifier);

export interface GrpcRouteRule {
  /** Rule name (a DNS label). @default none */
  readonly name?: string;
  /** Any one match selects the rule. @default every call */
  readonly matches?: GrpcRouteMatch[];
  /** @default none */
  readonly filters?: GrpcRouteFilter[];
  /** Backends with weights; Portico speaks HTTP/2 (h2c) to them. */
  readonly backendRefs: BackendRef[];
}

export interface GrpcRouteProps {
  /** @default a name unique in the chart */
  readonly metadata?: ApiObjectMetadata;
  /** Gateways (or their HTTP/HTTPS listeners) to attach to. @default none; use `attachTo` */
  readonly parentRefs?: RouteParent[];
  /** Host names (gRPC authorities) the route serves. @default every host the listener accepts */
  readonly hostnames?: string[];
  /** Rules; more can be added with `addRule`. @default none */
  readonly rules?: GrpcRouteRule[];
}

// The CRD's patterns for exact names.
const SERVICE = /^(?:\.?[a-z_][a-z_0-9]*)(?:\.[a-z_][a-z_0-9]*)*$/i;
const METHOD = /^[A-Za-z_][A-Za-z_0-9]*$/;

/** A GRPCRoute (gateway.networking.k8s.io/v1): routes gRPC calls by service, method and metadata. */
export class GrpcRoute extends AttachedRoute {
  readonly apiObject: gwapi.GrpcRoute;
  private readonly wireRules: gwapi.GrpcRouteSpecRules[] = [];

  constructor(scope: Construct, id: string, props: GrpcRouteProps = {}) {
    super(scope, id, 'GRPCRoute', 'GrpcRoute');
    checkKeys(this, '', props, KEYS.grpcRoute);
    const hostnames = props.hostnames ?? [];
    hostnames.forEach((h, i) => checkHostname(this, `hostnames[${i}]`, h));
    this.apiObject = new gwapi.GrpcRoute(this, 'Resource', {
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
  addRule(rule: GrpcRouteRule): void {
    const at = `rules[${this.wireRules.length}]`;
    const ns = this.apiObject.metadata.namespace;
    checkKeys(this, at, rule, KEYS.grpcRule);
    if (rule.name !== undefined) checkSectionName(this, `${at}.name`, rule.name);
    if (rule.backendRefs.length === 0)
      invalid(this, `${at}.backendRefs`, 'must list at least one backend Service');
    const matches = (rule.matches ?? []).map((m, i) => this.match(`${at}.matches[${i}]`, m));
    const T = gwapi.GrpcRouteSpecRulesFiltersType;
    const filters = (rule.filters ?? []).map((f, i): gwapi.GrpcRouteSpecRulesFilters => {
      const fat = `${at}.filters[${i}]`;
      checkFilterKeys(this, fat, f);
      if (f.type === 'RequestHeaderModifier')
        return { type: T.REQUEST_HEADER_MODIFIER, requestHeaderModifier: toHeaderModifier(this, fat, f) };
      if (f.type === 'ResponseHeaderModifier')
        return { type: T.RESPONSE_HEADER_MODIFIER, responseHeaderModifier: toHeaderModifier(this, fat, f) };
      return invalid(
        this,
        `${fat}.type`,
        `must be RequestHeaderModifier or ResponseHeaderModifier, got "${(f as { type: string }).type}"`,
      );
    });
    this.wireRules.push({
      name: rule.name,
      matches: matches.length > 0 ? matches : undefined,
      filters: filters.length > 0 ? filters : undefined,
      backendRefs: rule.backendRefs.map((b, i) => toBackendRef(this, `${at}.backendRefs[${i}]`, b, ns)),
    });
  }

  private match(at: string, m: GrpcRouteMatch): gwapi.GrpcRouteSpecRulesMatches {
    let method: gwapi.GrpcRouteSpecRulesMatchesMethod | undefined;
    checkKeys(this, at, m, KEYS.grpcMatch);
    checkKeys(this, `${at}.method`, m.method, KEYS.grpcMethod);
    if (m.method) {
      const { service, method: name } = m.method;
      const type = m.method.type ?? 'Exact';
      if (!service && !name) invalid(this, `${at}.method`, 'must name a service, a method or both');
      for (const [field, value, pattern] of [
        ['service', service, SERVICE],
        ['method', name, METHOD],
      ] as const) {
        if (!value) continue;
        if (type === 'RegularExpression') checkRegex(this, `${at}.method.${field}`, value);
        else if (!pattern.test(value))
          invalid(this, `${at}.method.${field}`, `is not a valid gRPC ${field} name, got "${value}"`);
      }
      method = {
        service: service || undefined,
        method: name || undefined,
        type: enumValue<gwapi.GrpcRouteSpecRulesMatchesMethodType>(type),
      };
    }
    const headers = m.headers?.map((h, i) => {
      checkKeys(this, `${at}.headers[${i}]`, h, KEYS.valueMatch);
      const type = h.type ?? 'Exact';
      if (h.name.length === 0) invalid(this, `${at}.headers[${i}].name`, 'must not be empty');
      if (type === 'RegularExpression') checkRegex(this, `${at}.headers[${i}].value`, h.value);
      return {
        name: h.name,
        value: h.value,
        type: enumValue<gwapi.GrpcRouteSpecRulesMatchesHeadersType>(type),
      };
    });
    return { method, headers };
  }
}
