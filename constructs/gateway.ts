import { type ApiObjectMetadata } from 'cdk8s';
import type * as plus from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import * as gwapi from './imports/gateway.networking.k8s.io.ts';
import { enumValue } from './enum.ts';
import { frontendTlsPortErrors, frontendTlsSpec, type FrontendTls } from './frontend-tls.ts';
import { invalid } from './errors.ts';
import { GatewayClass } from './gateway-class.ts';
import { parseIp } from './ip.ts';
import { checkKeys, KEYS } from './keys.ts';
import { checkHostname, checkName, checkPort, checkSectionName } from './validate.ts';

export type ListenerProtocol = 'HTTP' | 'HTTPS' | 'TLS' | 'TCP' | 'UDP';
export type TlsMode = 'Terminate' | 'Passthrough';
export type RouteKind = 'HTTPRoute' | 'GRPCRoute' | 'TLSRoute' | 'TCPRoute' | 'UDPRoute';

/** The route kinds each listener protocol admits. */
export const LISTENER_KINDS: Readonly<Record<ListenerProtocol, readonly RouteKind[]>> = {
  HTTP: ['HTTPRoute', 'GRPCRoute'],
  HTTPS: ['HTTPRoute', 'GRPCRoute'],
  TLS: ['TLSRoute'],
  TCP: ['TCPRoute'],
  UDP: ['UDPRoute'],
};

/** A TLS certificate Secret: its name (and namespace), or a cdk8s-plus Secret. */
export type CertificateRef = { readonly name: string; readonly namespace?: string } | plus.Secret;

export interface AllowedRoutes {
  /** Which namespaces may attach routes: the Gateway's own, all, or those matching `selector`. @default "Same" */
  readonly from?: 'Same' | 'All' | 'Selector';
  /** Namespace labels that must all match; required with `from: "Selector"`. @default none */
  readonly selector?: { readonly [label: string]: string };
  /** Route kinds allowed. @default the kinds the protocol supports */
  readonly kinds?: RouteKind[];
}

export interface ListenerProps {
  /** Unique listener name, used by routes as `sectionName`. */
  readonly name: string;
  readonly protocol: ListenerProtocol;
  /** @default 80 for HTTP, 443 for HTTPS and TLS; required for TCP and UDP */
  readonly port?: number;
  /** Only requests (or SNI) for this host name match the listener; not for TCP and UDP. @default any host */
  readonly hostname?: string;
  /** TLS handling for HTTPS and TLS listeners. @default "Terminate" (the Gateway API default) */
  readonly tlsMode?: TlsMode;
  /** Certificate Secrets; required when TLS is terminated. @default none */
  readonly certificateRefs?: CertificateRef[];
  /** @default routes from the Gateway's namespace */
  readonly allowedRoutes?: AllowedRoutes;
}

export interface AllowedListeners {
  /** Which namespaces' ListenerSets may add listeners: none, the Gateway's own, all, or those matching `selector`. @default "None" */
  readonly from?: 'None' | 'Same' | 'All' | 'Selector';
  /** Namespace labels that must all match; required with `from: "Selector"`. @default none */
  readonly selector?: { readonly [label: string]: string };
}

export interface GatewayProps {
  /** Object metadata. @default a name unique in the chart */
  readonly metadata?: ApiObjectMetadata;
  /** The GatewayClass, by name or construct. @default "portico" */
  readonly gatewayClass?: string | GatewayClass;
  /** Listeners; more can be added with `addListener`. @default none */
  readonly listeners?: ListenerProps[];
  /** Requested IP addresses (Portico's LB IPAM honours them when a pool holds them). @default assigned from a pool */
  readonly addresses?: string[];
  /** ListenerSets this Gateway admits. @default none */
  readonly allowedListeners?: AllowedListeners;
  /** Labels and annotations for what Portico creates for this Gateway (its Service). @default none */
  readonly infrastructure?: {
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
  };
  /** Client certificate Secret presented to backends reached over TLS (BackendTLSPolicy). @default none */
  readonly backendClientCertificate?: CertificateRef;
  /** spec.tls.frontend: client certificate validation (mutual TLS) for HTTPS listeners. @default none */
  readonly frontendTls?: FrontendTls;
}

/** A resolved listener as Portico understands it (used by routes to check attachment). */
export interface ListenerInfo {
  readonly name: string;
  readonly protocol: ListenerProtocol;
  readonly port: number;
  readonly tlsMode?: TlsMode;
  readonly kinds: RouteKind[];
}

function isSecret(ref: CertificateRef): ref is plus.Secret {
  return typeof (ref as plus.Secret).apiVersion === 'string';
}

/** A Gateway (gateway.networking.k8s.io/v1): listeners on ports, with a LoadBalancer address from Portico. */
export class Gateway extends Construct implements ListenerOwner {
  readonly apiObject: gwapi.Gateway;
  readonly name: string;
  readonly namespace: string | undefined;
  /** @internal */
  readonly listenerEntries: gwapi.GatewaySpecListeners[] = [];
  /** @internal */
  readonly listenerInfos: ListenerInfo[] = [];
  private readonly allowed: AllowedListeners | undefined;

  constructor(scope: Construct, id: string, props: GatewayProps = {}) {
    super(scope, id);
    checkKeys(this, '', props, KEYS.gateway);
    const className =
      props.gatewayClass instanceof GatewayClass
        ? props.gatewayClass.name
        : (props.gatewayClass ?? 'portico');
    checkName(this, 'gatewayClassName', className);
    const addresses = (props.addresses ?? []).map((value, i) => {
      if (parseIp(value) === undefined)
        invalid(this, `addresses[${i}]`, `must be an IPv4 or IPv6 address, got "${value}"`);
      return { type: 'IPAddress', value };
    });
    const client = props.backendClientCertificate;
    if (client && !isSecret(client)) {
      checkName(this, 'backendClientCertificate.name', client.name);
      if (client.namespace !== undefined)
        checkName(this, 'backendClientCertificate.namespace', client.namespace);
    }
    this.allowed = props.allowedListeners;
    checkKeys(this, 'allowedListeners', props.allowedListeners, KEYS.allowedListeners);
    const lf = props.allowedListeners?.from ?? 'None';
    if ((lf === 'Selector') !== (props.allowedListeners?.selector !== undefined))
      invalid(this, 'allowedListeners.selector', 'is required with from "Selector" and only used with it');
    // tls.frontend is filled once the Gateway's namespace is known (refs to it are written without one).
    const tls: { frontend?: gwapi.GatewaySpecTlsFrontend; backend?: gwapi.GatewaySpecTlsBackend } = {};
    if (client)
      tls.backend = {
        clientCertificateRef: isSecret(client)
          ? {
              group: '',
              kind: 'Secret',
              name: client.name,
              namespace: namespaceIfOther(client.metadata.namespace, props.metadata?.namespace),
            }
          : { group: '', kind: 'Secret', name: client.name, namespace: client.namespace },
      };
    this.apiObject = new gwapi.Gateway(this, 'Resource', {
      metadata: props.metadata,
      spec: {
        gatewayClassName: className,
        listeners: this.listenerEntries,
        addresses: addresses.length > 0 ? addresses : undefined,
        allowedListeners: props.allowedListeners && {
          namespaces: {
            from: enumValue<gwapi.GatewaySpecAllowedListenersNamespacesFrom>(lf),
            selector: props.allowedListeners.selector && {
              matchLabels: { ...props.allowedListeners.selector },
            },
          },
        },
        infrastructure: props.infrastructure && {
          labels: props.infrastructure.labels && { ...props.infrastructure.labels },
          annotations: props.infrastructure.annotations && { ...props.infrastructure.annotations },
        },
        tls: client || props.frontendTls ? tls : undefined,
      },
    });
    this.name = this.apiObject.name;
    this.namespace = this.apiObject.metadata.namespace;
    if (props.frontendTls) tls.frontend = frontendTlsSpec(this, props.frontendTls, this.namespace);
    for (const l of props.listeners ?? []) this.addListener(l);
    this.node.addValidation({
      validate: () =>
        this.listenerInfos.length === 0
          ? ['Gateway: listeners must not be empty; call addListener()']
          : frontendTlsPortErrors(this, props.frontendTls, this.listenerInfos),
    });
  }

  /** The listeners added so far. */
  get listeners(): readonly ListenerInfo[] {
    return this.listenerInfos;
  }

  /** Why a ListenerSet in `namespace` would not be admitted, or undefined (a selector is checked at run time). */
  listenerSetRefusal(namespace: string | undefined): string | undefined {
    const from = this.allowed?.from ?? 'None';
    if (from === 'None')
      return `Gateway "${this.name}" admits no ListenerSets; set allowedListeners on it (from "Same", "All" or "Selector")`;
    if (from === 'Same' && namespace !== this.namespace)
      return `Gateway "${this.name}" admits ListenerSets from its own namespace only (allowedListeners.from "Same"); create the ListenerSet in namespace ${this.namespace ?? '(default)'}`;
    return undefined;
  }

  /** Adds a listener; throws if it is invalid or its name is taken. */
  addListener(listener: ListenerProps): void {
    addListenerTo(this, listener);
  }
}

/** What holds listeners: a Gateway, or a ListenerSet (its entries have the Gateway listener's shape). */
export interface ListenerOwner extends Construct {
  readonly namespace: string | undefined;
  readonly listenerInfos: ListenerInfo[];
  readonly listenerEntries: gwapi.GatewaySpecListeners[];
}

/** Checks a listener against the spec and the owner's other listeners, then appends it. */
export function addListenerTo(owner: ListenerOwner, listener: ListenerProps): void {
  const at = `listeners[${owner.listenerInfos.length}]`;
  checkKeys(owner, at, listener, KEYS.listener);
  checkKeys(owner, `${at}.allowedRoutes`, listener.allowedRoutes, KEYS.allowedRoutes);
  checkSectionName(owner, `${at}.name`, listener.name);
  if (owner.listenerInfos.some((l) => l.name === listener.name)) {
    invalid(
      owner,
      `${at}.name`,
      `"${listener.name}" is already used by another listener; listener names must be unique`,
    );
  }
  if (!Object.keys(LISTENER_KINDS).includes(listener.protocol)) {
    invalid(owner, `${at}.protocol`, `must be HTTP, HTTPS, TLS, TCP or UDP, got "${listener.protocol}"`);
  }
  const l4 = listener.protocol === 'TCP' || listener.protocol === 'UDP';
  if (l4 && listener.port === undefined)
    invalid(owner, `${at}.port`, `is required for a ${listener.protocol} listener`);
  const port = listener.port ?? (listener.protocol === 'HTTP' ? 80 : 443);
  checkPort(owner, `${at}.port`, port);
  if (l4 && listener.hostname !== undefined)
    invalid(
      owner,
      `${at}.hostname`,
      `is ignored by ${listener.protocol} listeners (no SNI or Host); remove it`,
    );
  if (listener.hostname !== undefined) checkHostname(owner, `${at}.hostname`, listener.hostname);

  let tls: gwapi.GatewaySpecListenersTls | undefined;
  let mode: TlsMode | undefined;
  const certs = listener.certificateRefs ?? [];
  if (listener.protocol === 'HTTP' || l4) {
    if (listener.tlsMode !== undefined || certs.length > 0) {
      invalid(
        owner,
        `${at}.tlsMode`,
        `and certificateRefs are only for HTTPS and TLS listeners; ${l4 ? 'a TLS Passthrough listener routes TLS by SNI' : 'use protocol "HTTPS"'}`,
      );
    }
  } else {
    mode = listener.tlsMode ?? 'Terminate';
    if (listener.protocol === 'HTTPS' && mode === 'Passthrough') {
      invalid(
        owner,
        `${at}.tlsMode`,
        'cannot be "Passthrough" on an HTTPS listener; use protocol "TLS" for passthrough',
      );
    }
    if (mode === 'Terminate' && certs.length === 0) {
      invalid(
        owner,
        `${at}.certificateRefs`,
        `must name at least one TLS Secret when the ${listener.protocol} listener terminates TLS (or set tlsMode: "Passthrough" on a TLS listener)`,
      );
    }
    if (mode === 'Passthrough' && certs.length > 0) {
      invalid(
        owner,
        `${at}.certificateRefs`,
        'must be empty in Passthrough mode: the backend presents its own certificate',
      );
    }
    tls = {
      mode: enumValue<gwapi.GatewaySpecListenersTlsMode>(mode),
      certificateRefs:
        certs.length > 0
          ? certs.map((c) =>
              isSecret(c)
                ? {
                    kind: 'Secret',
                    name: c.name,
                    namespace: namespaceIfOther(c.metadata.namespace, owner.namespace),
                  }
                : { kind: 'Secret', name: c.name, namespace: c.namespace },
            )
          : undefined,
    };
  }

  const allowed = listener.allowedRoutes ?? {};
  const from = allowed.from ?? 'Same';
  if (from === 'Selector' && Object.keys(allowed.selector ?? {}).length === 0) {
    invalid(
      owner,
      `${at}.allowedRoutes.selector`,
      'must list namespace labels when allowedRoutes.from is "Selector"',
    );
  }
  if (from !== 'Selector' && allowed.selector !== undefined) {
    invalid(
      owner,
      `${at}.allowedRoutes.selector`,
      'is only used with allowedRoutes.from "Selector"; set from: "Selector"',
    );
  }
  const supported: RouteKind[] = [...LISTENER_KINDS[listener.protocol]];
  for (const [i, k] of (allowed.kinds ?? []).entries()) {
    if (!supported.includes(k)) {
      invalid(
        owner,
        `${at}.allowedRoutes.kinds[${i}]`,
        `"${k}" cannot attach to a ${listener.protocol} listener; use ${supported.join(' or ')}`,
      );
    }
  }
  const kinds = allowed.kinds ?? supported;
  owner.listenerEntries.push({
    name: listener.name,
    protocol: listener.protocol,
    port,
    hostname: listener.hostname,
    tls,
    allowedRoutes: {
      namespaces: {
        from: enumValue<gwapi.GatewaySpecListenersAllowedRoutesNamespacesFrom>(from),
        selector: allowed.selector ? { matchLabels: { ...allowed.selector } } : undefined,
      },
      kinds: allowed.kinds
        ? allowed.kinds.map((kind) => ({ group: 'gateway.networking.k8s.io', kind }))
        : undefined,
    },
  });
  owner.listenerInfos.push({ name: listener.name, protocol: listener.protocol, port, tlsMode: mode, kinds });
}

function namespaceIfOther(ns: string | undefined, own: string | undefined): string | undefined {
  return ns !== undefined && ns !== own ? ns : undefined;
}
