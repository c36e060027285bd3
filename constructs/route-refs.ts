import { type ApiObject, type ApiObjectMetadata, Chart } from 'cdk8s';
import type * as plus from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { invalid, validationMessage } from './errors.ts';
import { Gateway, LISTENER_KINDS, type ListenerProtocol, type RouteKind } from './gateway.ts';
import { ListenerSet } from './listener-set.ts';
import { checkKeys, KEYS } from './keys.ts';
import { checkName, checkPort, checkSectionName, checkWeight } from './validate.ts';

/** Where a route attaches: a Gateway or ListenerSet (construct or name), optionally narrowed to one listener. */
export interface ParentRef {
  /** The Gateway or ListenerSet construct, or a name (of the kind `kind` says). */
  readonly gateway: Gateway | ListenerSet | string;
  /** The kind named by a string `gateway`. A Gateway parent reaches only its own listeners, not its ListenerSets'. @default "Gateway" */
  readonly kind?: 'Gateway' | 'ListenerSet';
  /** The parent's namespace when it differs from the route's. @default the route's namespace */
  readonly namespace?: string;
  /** Attach to the listener of this name only. @default every listener that accepts the route */
  readonly sectionName?: string;
  /** Attach to listeners on this port only. @default any port */
  readonly port?: number;
}

/** A backend Service: its name (with `port`), or a cdk8s-plus Service (port defaults to its only port). */
export interface BackendRef {
  readonly service: string | plus.Service;
  /** Service port. @default the Service's port when it has exactly one; required with a name */
  readonly port?: number;
  /** Namespace of the Service; another namespace needs a ReferenceGrant there. @default the route's namespace */
  readonly namespace?: string;
  /** Proportion of traffic relative to the rule's other backends (0 to 1000000). @default 1 */
  readonly weight?: number;
}

/** A route's parent: a ParentRef, or a Gateway or ListenerSet construct (every listener that accepts the route). */
export type RouteParent = ParentRef | Gateway | ListenerSet;

export interface WireParentRef {
  readonly group?: string;
  readonly kind?: string;
  readonly name: string;
  readonly namespace?: string;
  readonly sectionName?: string;
  readonly port?: number;
}

export interface WireBackendRef {
  readonly name: string;
  readonly namespace?: string;
  readonly port: number;
  readonly weight?: number;
}

export function toParentRef(
  scope: Construct,
  field: string,
  ref: RouteParent,
  ownNs?: string,
): WireParentRef {
  const r = parentRef(scope, field, ref);
  const gw = r.gateway;
  const name = typeof gw === 'string' ? gw : gw.name;
  checkName(scope, `${field}.name`, name);
  if (r.sectionName !== undefined) checkSectionName(scope, `${field}.sectionName`, r.sectionName);
  if (r.port !== undefined) checkPort(scope, `${field}.port`, r.port);
  const ns = r.namespace ?? (typeof gw === 'string' ? undefined : gw.namespace);
  const set = gw instanceof ListenerSet || (typeof gw === 'string' && r.kind === 'ListenerSet');
  if (gw instanceof Gateway && r.kind === 'ListenerSet')
    invalid(scope, `${field}.kind`, `is "ListenerSet" but the parent is Gateway "${gw.name}"; drop kind`);
  if (gw instanceof ListenerSet && r.kind === 'Gateway')
    invalid(scope, `${field}.kind`, `is "Gateway" but the parent is ListenerSet "${gw.name}"; drop kind`);
  return {
    ...(set ? { group: 'gateway.networking.k8s.io', kind: 'ListenerSet' } : {}),
    name,
    namespace: ns !== undefined && ns !== ownNs ? ns : undefined,
    sectionName: r.sectionName,
    port: r.port,
  };
}

function parentRef(scope: Construct, field: string, ref: RouteParent): ParentRef {
  if (ref instanceof Gateway || ref instanceof ListenerSet) return { gateway: ref };
  checkKeys(scope, field, ref, KEYS.parentRef);
  return ref;
}

export function toBackendRef(
  scope: Construct,
  field: string,
  ref: BackendRef,
  ownNs?: string,
): WireBackendRef {
  checkKeys(scope, field, ref, KEYS.backendRef);
  let name: string;
  let port = ref.port;
  let ns = ref.namespace;
  if (typeof ref.service === 'string') {
    name = ref.service;
    if (port === undefined)
      invalid(scope, `${field}.port`, `is required for Service "${name}"; set the Service port`);
  } else {
    name = ref.service.name;
    ns = ns ?? ref.service.metadata.namespace;
    const ports = ref.service.ports.map((p) => p.port);
    if (port === undefined) {
      if (ports.length !== 1) {
        invalid(
          scope,
          `${field}.port`,
          `is required: Service "${name}" has ${ports.length} ports (${ports.join(', ')}); choose one`,
        );
      }
      port = ports[0];
    } else if (!ports.includes(port)) {
      invalid(
        scope,
        `${field}.port`,
        `${port} is not a port of Service "${name}" (it has ${ports.join(', ') || 'none'})`,
      );
    }
  }
  checkName(scope, `${field}.name`, name);
  checkPort(scope, `${field}.port`, port as number);
  if (ref.weight !== undefined) checkWeight(scope, `${field}.weight`, ref.weight);
  return {
    name,
    port: port as number,
    namespace: ns !== undefined && ns !== ownNs ? ns : undefined,
    weight: ref.weight,
  };
}

/** Which listeners a route kind needs, for error messages. */
function hint(kind: RouteKind): string {
  const protocols = (Object.keys(LISTENER_KINDS) as ListenerProtocol[]).filter((p) =>
    LISTENER_KINDS[p].includes(kind),
  );
  return `a ${kind} needs a ${protocols.join(' or ')} listener`;
}

/**
 * Synth-time check that each parent Gateway construct has a listener this route kind can attach to
 * (for example an HTTPRoute cannot attach to a TLS Passthrough listener).
 */
export function attachmentErrors(
  kind: RouteKind,
  scopeName: string,
  parents: readonly RouteParent[],
): string[] {
  const errors: string[] = [];
  parents.forEach((p, i) => {
    const r: ParentRef = p instanceof Gateway || p instanceof ListenerSet ? { gateway: p } : p;
    if (typeof r.gateway === 'string') return;
    const gw = r.gateway;
    const what = `${gw instanceof Gateway ? 'Gateway' : 'ListenerSet'} "${gw.name}"`;
    const candidates = gw.listeners.filter(
      (l) =>
        (r.sectionName === undefined || l.name === r.sectionName) &&
        (r.port === undefined || l.port === r.port),
    );
    const field = `${scopeName}: parentRefs[${i}]`;
    if (r.sectionName !== undefined && candidates.length === 0) {
      errors.push(
        `${field}.sectionName "${r.sectionName}" is not a listener of ${what} (listeners: ${gw.listeners.map((l) => l.name).join(', ') || 'none'})`,
      );
      return;
    }
    if (candidates.length > 0 && !candidates.some((l) => l.kinds.includes(kind))) {
      const names = candidates
        .map((l) => `${l.name} (${l.protocol}${l.tlsMode ? ' ' + l.tlsMode : ''})`)
        .join(', ');
      errors.push(
        `${field}: a ${kind} cannot attach to listener ${names} of ${what}; ${hint(kind)} or pick another sectionName`,
      );
    }
  });
  return errors;
}

/** What every route construct shares: its parentRefs, `attachTo` and their synth-time checks. */
export abstract class AttachedRoute extends Construct {
  private readonly parents: RouteParent[] = [];
  /** The spec's parentRefs; the subclass puts this very array in its API object. */
  protected readonly wireParents: WireParentRef[] = [];

  protected constructor(scope: Construct, id: string, kind: RouteKind, className: string) {
    super(scope, id);
    this.node.addValidation({
      validate: () => [
        ...attachmentErrors(kind, className, this.parents),
        ...(this.wireParents.length === 0
          ? [validationMessage(this, 'parentRefs', 'must not be empty; call attachTo(gateway)')]
          : []),
      ],
    });
  }

  /** The route object itself. */
  abstract readonly apiObject: ApiObject;

  /** The route's name (generated unless metadata.name is given). */
  get name(): string {
    return this.apiObject.name;
  }

  /** Attaches the route to a Gateway or ListenerSet (or one of its listeners). */
  attachTo(parent: RouteParent): void {
    this.wireParents.push(
      toParentRef(this, `parentRefs[${this.wireParents.length}]`, parent, this.apiObject.metadata.namespace),
    );
    this.parents.push(parent);
  }
}

/** What a TCPRoute or UDPRoute construct takes: parents and weighted backends, no matches. */
export interface StreamRouteProps {
  /** @default a name unique in the chart */
  readonly metadata?: ApiObjectMetadata;
  /** Gateways (or their listeners) to attach to. @default none; use `attachTo` */
  readonly parentRefs?: RouteParent[];
  /** Backends that receive every connection or datagram, split by weight (at least one). */
  readonly backendRefs: BackendRef[];
}

/** The one rule of a TCPRoute or UDPRoute, checked: `[{ backendRefs }]`. */
export function streamRules(scope: Construct, props: StreamRouteProps): { backendRefs: WireBackendRef[] }[] {
  checkKeys(scope, '', props, KEYS.streamRoute);
  if (props.backendRefs.length === 0) invalid(scope, 'backendRefs', 'must list at least one backend Service');
  const ns = props.metadata?.namespace ?? Chart.of(scope).namespace;
  return [{ backendRefs: props.backendRefs.map((b, i) => toBackendRef(scope, `backendRefs[${i}]`, b, ns)) }];
}
