import { type ApiObjectMetadata } from 'cdk8s';
import type * as plus from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import * as gwapi from './imports/gateway.networking.k8s.io.ts';
import { enumValue } from './enum.ts';
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

export interface GatewayProps {
  /** Object metadata. @default a name unique in the chart */
  readonly metadata?: ApiObjectMetadata;
  /** The GatewayClass, by name or construct. @default "portico" */
  readonly gatewayClass?: string | GatewayClass;
  /** Listeners; more can be added with `addListener`. @default none */
  readonly listeners?: ListenerProps[];
  /** Requested IP addresses (Portico's LB IPAM honours them when a pool holds them). @default assigned from a pool */
  readonly addresses?: string[];
  /** Labels and annotations for what Portico creates for this Gateway (its Service). @default none */
  readonly infrastructure?: {
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
  };
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
export class Gateway extends Construct {
  readonly apiObject: gwapi.Gateway;
  readonly name: string;
  readonly namespace: string | undefined;
  private readonly wireListeners: gwapi.GatewaySpecListeners[] = [];
  private readonly infos: ListenerInfo[] = [];

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
    this.apiObject = new gwapi.Gateway(this, 'Resource', {
      metadata: props.metadata,
      spec: {
        gatewayClassName: className,
        listeners: this.wireListeners,
        addresses: addresses.length > 0 ? addresses : undefined,
        infrastructure: props.infrastructure && {
          labels: props.infrastructure.labels && { ...props.infrastructure.labels },
          annotations: props.infrastructure.annotations && { ...props.infrastructure.annotations },
        },
      },
    });
    this.name = this.apiObject.name;
    this.namespace = this.apiObject.metadata.namespace;
    for (const l of props.listeners ?? []) this.addListener(l);
    this.node.addValidation({
      validate: () =>
        this.infos.length === 0 ? ['Gateway: listeners must not be empty; call addListener()'] : [],
    });
  }

  /** The listeners added so far. */
  get listeners(): readonly ListenerInfo[] {
    return this.infos;
  }

  /** Adds a listener; throws if it is invalid or its name is taken. */
  addListener(listener: ListenerProps): void {
    const at = `listeners[${this.infos.length}]`;
    checkKeys(this, at, listener, KEYS.listener);
    checkKeys(this, `${at}.allowedRoutes`, listener.allowedRoutes, KEYS.allowedRoutes);
    checkSectionName(this, `${at}.name`, listener.name);
    if (this.infos.some((l) => l.name === listener.name)) {
      invalid(
        this,
        `${at}.name`,
        `"${listener.name}" is already used by another listener; listener names must be unique`,
      );
    }
    if (!Object.keys(LISTENER_KINDS).includes(listener.protocol)) {
      invalid(this, `${at}.protocol`, `must be HTTP, HTTPS, TLS, TCP or UDP, got "${listener.protocol}"`);
    }
    const l4 = listener.protocol === 'TCP' || listener.protocol === 'UDP';
    if (l4 && listener.port === undefined)
      invalid(this, `${at}.port`, `is required for a ${listener.protocol} listener`);
    const port = listener.port ?? (listener.protocol === 'HTTP' ? 80 : 443);
    checkPort(this, `${at}.port`, port);
    if (l4 && listener.hostname !== undefined)
      invalid(
        this,
        `${at}.hostname`,
        `is ignored by ${listener.protocol} listeners (no SNI or Host); remove it`,
      );
    if (listener.hostname !== undefined) checkHostname(this, `${at}.hostname`, listener.hostname);

    let tls: gwapi.GatewaySpecListenersTls | undefined;
    let mode: TlsMode | undefined;
    const certs = listener.certificateRefs ?? [];
    if (listener.protocol === 'HTTP' || l4) {
      if (listener.tlsMode !== undefined || certs.length > 0) {
        invalid(
          this,
          `${at}.tlsMode`,
          `and certificateRefs are only for HTTPS and TLS listeners; ${l4 ? 'a TLS Passthrough listener routes TLS by SNI' : 'use protocol "HTTPS"'}`,
        );
      }
    } else {
      mode = listener.tlsMode ?? 'Terminate';
      if (listener.protocol === 'HTTPS' && mode === 'Passthrough') {
        invalid(
          this,
          `${at}.tlsMode`,
          'cannot be "Passthrough" on an HTTPS listener; use protocol "TLS" for passthrough',
        );
      }
      if (mode === 'Terminate' && certs.length === 0) {
        invalid(
          this,
          `${at}.certificateRefs`,
          `must name at least one TLS Secret when the ${listener.protocol} listener terminates TLS (or set tlsMode: "Passthrough" on a TLS listener)`,
        );
      }
      if (mode === 'Passthrough' && certs.length > 0) {
        invalid(
          this,
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
                      namespace: namespaceIfOther(c.metadata.namespace, this.namespace),
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
        this,
        `${at}.allowedRoutes.selector`,
        'must list namespace labels when allowedRoutes.from is "Selector"',
      );
    }
    if (from !== 'Selector' && allowed.selector !== undefined) {
      invalid(
        this,
        `${at}.allowedRoutes.selector`,
        'is only used with allowedRoutes.from "Selector"; set from: "Selector"',
      );
    }
    const supported: RouteKind[] = [...LISTENER_KINDS[listener.protocol]];
    for (const [i, k] of (allowed.kinds ?? []).entries()) {
      if (!supported.includes(k)) {
        invalid(
          this,
          `${at}.allowedRoutes.kinds[${i}]`,
          `"${k}" cannot attach to a ${listener.protocol} listener; use ${supported.join(' or ')}`,
        );
      }
    }
    const kinds = allowed.kinds ?? supported;
    this.wireListeners.push({
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
    this.infos.push({ name: listener.name, protocol: listener.protocol, port, tlsMode: mode, kinds });
  }
}

function namespaceIfOther(ns: string | undefined, own: string | undefined): string | undefined {
  return ns !== undefined && ns !== own ? ns : undefined;
}
