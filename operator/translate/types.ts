// What flows into and out of translate(): plain objects as the API server returns them in,
// plain data out. The static types document the happy shape; the code never trusts them.
import type { V1ConfigMap, V1EndpointSlice, V1Namespace, V1Secret, V1Service } from '@kubernetes/client-node';
import type {
  Condition,
  Gateway,
  GatewayClass,
  GatewayStatus,
  GRPCRoute,
  HTTPRoute,
  ReferenceGrant,
  RouteParentStatus,
  TCPRoute,
  TLSRoute,
  UDPRoute,
} from '../api/index.ts';
import type { IR } from '../ir/types.ts';
import type { RouteKind } from './gateways.ts';
import type { ListenerSetStatusResult } from './listener-set-status.ts';
import type { PolicyStatusResult } from './policy-ancestors.ts';

export {
  PORTICO_CONTROLLER_NAME as CONTROLLER_NAME,
  SERVICE_PROXY_NAME_LABEL,
  GATEWAY_NAME_LABEL,
  gatewayServiceName,
} from '../../constructs/names.ts';

export interface Snapshot {
  readonly gatewayClasses: readonly GatewayClass[];
  readonly gateways: readonly Gateway[];
  readonly httpRoutes: readonly HTTPRoute[];
  /** Absent means none. */
  readonly grpcRoutes?: readonly GRPCRoute[];
  readonly tlsRoutes: readonly TLSRoute[];
  /** Absent means none. */
  readonly tcpRoutes?: readonly TCPRoute[];
  /** Absent means none. */
  readonly udpRoutes?: readonly UDPRoute[];
  /** Absent means none. */
  readonly listenerSets?: readonly unknown[];
  /** Absent means none. */
  readonly backendTlsPolicies?: readonly unknown[];
  readonly referenceGrants: readonly ReferenceGrant[];
  readonly services: readonly V1Service[];
  readonly endpointSlices: readonly V1EndpointSlice[];
  readonly secrets: readonly V1Secret[];
  /** CA bundles (only their `ca.crt`) for BackendTLSPolicy and Gateway tls.frontend; absent means none. */
  readonly configMaps?: readonly V1ConfigMap[];
  readonly namespaces: readonly V1Namespace[];
  /**
   * What the Envoys have acknowledged. When absent, Programmed follows "accepted and has an
   * address" (useful before xDS runs); when present, a Gateway is Programmed only if listed.
   */
  readonly programmed?: {
    /** `namespace/name` of Gateways whose current config every connected Envoy ACKed. */
    readonly acked: readonly string[];
    /** `namespace/name` -> NACK message, for Gateways whose config an Envoy rejected. */
    readonly rejected?: Readonly<Record<string, string>>;
    /** How many Envoys are connected (to any replica); 0 means nothing serves any Gateway. */
    readonly envoys?: number;
  };
  /** RFC 3339 time stamped on new conditions (pure: no clock read). Default: the epoch. */
  readonly now?: string;
}

export interface GatewayClassStatusResult {
  readonly name: string;
  readonly status: {
    readonly conditions: Condition[];
    readonly supportedFeatures?: { name: string }[];
  };
}

export interface GatewayStatusResult {
  readonly namespace: string;
  readonly name: string;
  readonly status: GatewayStatus;
}

export interface RouteStatusResult {
  readonly kind: RouteKind;
  readonly namespace: string;
  readonly name: string;
  /** Only Portico's entries; merge into the live object with mergeRouteParents(). */
  readonly parents: RouteParentStatus[];
}

export interface OwnedServicePort {
  readonly name: string;
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP';
}

/** The desired per-Gateway LoadBalancer Service, as plain data. */
export interface OwnedService {
  readonly name: string;
  readonly namespace: string;
  readonly ports: readonly OwnedServicePort[];
  readonly labels: Readonly<Record<string, string>>;
  readonly owner: {
    readonly apiVersion: string;
    readonly kind: 'Gateway';
    readonly name: string;
    readonly uid: string;
  };
  /** IPs requested in the Gateway's spec.addresses (type IPAddress), if any. */
  readonly loadBalancerIPs?: readonly string[];
  /** The Gateway's spec.infrastructure labels and annotations (GatewayInfrastructure). */
  readonly infrastructure?: {
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
}

export interface TranslateResult {
  readonly gatewayClassStatuses: readonly GatewayClassStatusResult[];
  readonly gatewayStatuses: readonly GatewayStatusResult[];
  readonly routeStatuses: readonly RouteStatusResult[];
  /** ListenerSets whose parent is a Portico Gateway. */
  readonly listenerSetStatuses?: readonly ListenerSetStatusResult[];
  /** BackendTLSPolicies on Services that Portico Gateways route to. */
  readonly backendTlsPolicyStatuses?: readonly PolicyStatusResult[];
  readonly ownedServices: readonly OwnedService[];
  readonly ir: IR;
}
