// The kinds Portico watches, and how their REST paths are built.

export interface ResourceType {
  readonly apiVersion: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

/** Minimal shape of any object the API server returns. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
  };
}

const gw = (kind: string, plural: string, namespaced = true): ResourceType => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind,
  plural,
  namespaced,
});

export const RESOURCES = {
  gatewayClasses: gw('GatewayClass', 'gatewayclasses', false),
  gateways: gw('Gateway', 'gateways'),
  httpRoutes: gw('HTTPRoute', 'httproutes'),
  grpcRoutes: gw('GRPCRoute', 'grpcroutes'),
  tlsRoutes: gw('TLSRoute', 'tlsroutes'),
  tcpRoutes: gw('TCPRoute', 'tcproutes'),
  udpRoutes: gw('UDPRoute', 'udproutes'),
  // Installed with the bundle but not implemented: watched only to refuse them with a status.
  listenerSets: gw('ListenerSet', 'listenersets'),
  backendTlsPolicies: gw('BackendTLSPolicy', 'backendtlspolicies'),
  referenceGrants: gw('ReferenceGrant', 'referencegrants'),
  services: { apiVersion: 'v1', kind: 'Service', plural: 'services', namespaced: true },
  endpointSlices: {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    plural: 'endpointslices',
    namespaced: true,
  },
  secrets: { apiVersion: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true },
  namespaces: { apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false },
  ipPools: {
    apiVersion: 'portico.dev/v1alpha1',
    kind: 'LoadBalancerIPPool',
    plural: 'loadbalancerippools',
    namespaced: false,
  },
} as const satisfies Record<string, ResourceType>;

export type ResourceKey = keyof typeof RESOURCES;

export const LEASES: ResourceType = {
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  plural: 'leases',
  namespaced: true,
};

/** Watched one by one, only those Gateways name as CA bundles (kube/object-watches.ts). */
export const CONFIG_MAPS: ResourceType = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  plural: 'configmaps',
  namespaced: true,
};

export const EVENTS: ResourceType = { apiVersion: 'v1', kind: 'Event', plural: 'events', namespaced: true };

/** `/api/v1/...` or `/apis/<group>/<version>/...`, for a collection (no name) or one object. */
export function resourcePath(
  t: ResourceType,
  namespace?: string,
  name?: string,
  subresource?: string,
): string {
  const base = t.apiVersion.includes('/') ? `/apis/${t.apiVersion}` : `/api/${t.apiVersion}`;
  let p = base;
  if (t.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${t.plural}`;
  if (name) p += `/${encodeURIComponent(name)}`;
  if (subresource) p += `/${subresource}`;
  return p;
}

export function objectKey(o: KubeObject): string {
  const m = o.metadata ?? {};
  return m.namespace ? `${m.namespace}/${m.name ?? ''}` : (m.name ?? '');
}
