import { type ApiObjectMetadata, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import * as gwapi from './imports/gateway.networking.k8s.io.ts';
import { invalid } from './errors.ts';
import { checkKeys, KEYS } from './keys.ts';
import { AttachedRoute, type BackendRef, toBackendRef, type RouteParent } from './route-refs.ts';
import { checkHostname } from './validate.ts';

export interface TlsRouteProps {
  /** @default a name unique in the chart */
  readonly metadata?: ApiObjectMetadata;
  /** Gateways (or their TLS listeners) to attach to. @default none; use `attachTo` */
  readonly parentRefs?: RouteParent[];
  /** SNI host names the route serves (at least one). */
  readonly hostnames: string[];
  /** Backends that receive the TLS stream untouched, with weights. */
  readonly backendRefs: BackendRef[];
}

/** A TLSRoute (gateway.networking.k8s.io/v1): routes TLS connections by SNI, typically in Passthrough mode. */
export class TlsRoute extends AttachedRoute {
  readonly apiObject: gwapi.TlsRoute;

  constructor(scope: Construct, id: string, props: TlsRouteProps) {
    super(scope, id, 'TLSRoute', 'TlsRoute');
    checkKeys(this, '', props, KEYS.tlsRoute);
    if (props.hostnames.length === 0) invalid(this, 'hostnames', 'must list at least one SNI host name');
    props.hostnames.forEach((h, i) => checkHostname(this, `hostnames[${i}]`, h));
    if (props.backendRefs.length === 0)
      invalid(this, 'backendRefs', 'must list at least one backend Service');
    const ns = props.metadata?.namespace ?? Chart.of(this).namespace;
    const backendRefs = props.backendRefs.map((b, i) => toBackendRef(this, `backendRefs[${i}]`, b, ns));
    this.apiObject = new gwapi.TlsRoute(this, 'Resource', {
      metadata: props.metadata,
      spec: { parentRefs: this.wireParents, hostnames: [...props.hostnames], rules: [{ backendRefs }] },
    });
    for (const p of props.parentRefs ?? []) this.attachTo(p);
  }
}
