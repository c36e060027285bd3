// Friendly names over the generated Gateway API types (operator/api/gateway-api.generated.ts),
// with metadata typed as the API server returns it (JSON: timestamps are strings).
import type {
  GatewayClassV1,
  GatewayV1,
  GRPCRouteV1,
  HTTPRouteV1,
  ReferenceGrantV1,
  TLSRouteV1,
  TCPRouteV1,
  UDPRouteV1,
} from './gateway-api.generated.ts';

export type * from './gateway-api.generated.ts';

export const GATEWAY_GROUP = 'gateway.networking.k8s.io';
export const GATEWAY_API_VERSION = 'gateway.networking.k8s.io/v1';

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** The subset of ObjectMeta Portico reads, in its JSON form. */
export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

type WithMeta<T> = Omit<T, 'metadata'> & { metadata: ObjectMeta };

export type GatewayClass = WithMeta<GatewayClassV1>;
export type Gateway = WithMeta<Omit<GatewayV1, 'status'>> & { status?: GatewayStatus };
export type HTTPRoute = WithMeta<HTTPRouteV1>;
export type GRPCRoute = WithMeta<GRPCRouteV1>;
export type TLSRoute = WithMeta<TLSRouteV1>;
export type TCPRoute = WithMeta<TCPRouteV1>;
export type UDPRoute = WithMeta<UDPRouteV1>;
export type ReferenceGrant = WithMeta<ReferenceGrantV1>;

export type GatewaySpec = GatewayV1['spec'];
export type Listener = GatewaySpec['listeners'][number];
/** The generated addresses type is mangled by the schema's oneOf; this is its JSON shape. */
export interface GatewayStatusAddress {
  type?: string;
  value: string;
}
export type GatewayStatus = Omit<NonNullable<GatewayV1['status']>, 'addresses'> & {
  addresses?: GatewayStatusAddress[];
};
export type ListenerStatus = NonNullable<GatewayStatus['listeners']>[number];
export type GatewayClassStatus = NonNullable<GatewayClassV1['status']>;
export type HTTPRouteSpec = HTTPRouteV1['spec'];
export type HTTPRouteRule = NonNullable<HTTPRouteSpec['rules']>[number];
export type HTTPRouteMatch = NonNullable<HTTPRouteRule['matches']>[number];
export type HTTPRouteFilter = NonNullable<HTTPRouteRule['filters']>[number];
export type HTTPBackendRef = NonNullable<HTTPRouteRule['backendRefs']>[number];
export type TLSRouteSpec = TLSRouteV1['spec'];
export type ParentReference = NonNullable<HTTPRouteSpec['parentRefs']>[number];
export type RouteStatus = NonNullable<HTTPRouteV1['status']>;
export type RouteParentStatus = RouteStatus['parents'][number];

/** A metav1.Condition in its JSON form. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}
