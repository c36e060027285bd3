// One reflector per watched kind, and a consistent-enough snapshot of all of them for translate().
import type { V1ConfigMap, V1EndpointSlice, V1Namespace, V1Secret, V1Service } from '@kubernetes/client-node';
import type {
  Gateway,
  GatewayClass,
  GRPCRoute,
  HTTPRoute,
  ReferenceGrant,
  TCPRoute,
  TLSRoute,
  UDPRoute,
} from '../api/index.ts';
import { omit, Reflector, type EventType, type ReflectorOptions, type Stored } from './reflector.ts';
import { RESOURCES, type KubeObject, type ResourceKey } from './resources.ts';
import type { KubeClient } from './rest.ts';

/** A LoadBalancerIPPool as stored (spec/status typed by the IPAM module that reads them). */
export interface IpPoolObject extends KubeObject {
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

export interface ClusterSnapshot {
  readonly gatewayClasses: GatewayClass[];
  readonly gateways: Gateway[];
  readonly httpRoutes: HTTPRoute[];
  readonly grpcRoutes: GRPCRoute[];
  readonly tlsRoutes: TLSRoute[];
  readonly tcpRoutes: TCPRoute[];
  readonly udpRoutes: UDPRoute[];
  readonly listenerSets: KubeObject[];
  readonly backendTlsPolicies: KubeObject[];
  readonly referenceGrants: ReferenceGrant[];
  readonly services: V1Service[];
  readonly endpointSlices: V1EndpointSlice[];
  readonly secrets: V1Secret[];
  readonly configMaps: V1ConfigMap[];
  readonly namespaces: V1Namespace[];
  readonly ipPools: IpPoolObject[];
}

/** What each watched kind decodes to (Reflector.decode is where the JSON becomes these). */
export interface WatchedKinds {
  gatewayClasses: GatewayClass;
  gateways: Gateway;
  httpRoutes: HTTPRoute;
  grpcRoutes: GRPCRoute;
  tlsRoutes: TLSRoute;
  tcpRoutes: TCPRoute;
  udpRoutes: UDPRoute;
  listenerSets: KubeObject;
  backendTlsPolicies: KubeObject;
  referenceGrants: ReferenceGrant;
  services: V1Service;
  endpointSlices: V1EndpointSlice;
  secrets: V1Secret;
  configMaps: V1ConfigMap;
  namespaces: V1Namespace;
  ipPools: IpPoolObject;
}

/** The one ConfigMap key Portico reads (CA bundles): other keys, and binaryData, are never stored. */
export function caBundleOnly(o: Stored): Stored {
  const ca = (o as { data?: Record<string, unknown> }).data?.['ca.crt'];
  const slim = omit(o, ['data', 'binaryData']);
  return typeof ca === 'string' ? ({ ...slim, data: { 'ca.crt': ca } } as Stored) : slim;
}

/**
 * The two Secret keys Portico reads (a listener's certificate): other keys (service account
 * tokens, Helm's release records of hundreds of KiB each) are never stored.
 */
export function tlsKeysOnly(o: Stored): Stored {
  const data = (o as { data?: Record<string, unknown> }).data;
  const kept = omit(o, ['data', 'stringData']);
  const tls: Record<string, unknown> = {};
  for (const k of ['tls.crt', 'tls.key']) if (typeof data?.[k] === 'string') tls[k] = data[k];
  return Object.keys(tls).length > 0 ? ({ ...kept, data: tls } as Stored) : kept;
}

export type ChangeHandler = (key: ResourceKey, type: EventType, obj: Stored) => void;

type Reflectors = { readonly [K in ResourceKey]: Reflector<WatchedKinds[K]> };

export class ClusterCache {
  readonly reflectors: Reflectors;

  constructor(client: KubeClient, opts: ReflectorOptions) {
    const r = <K extends ResourceKey>(key: K) => new Reflector<WatchedKinds[K]>(client, RESOURCES[key], opts);
    this.reflectors = {
      gatewayClasses: r('gatewayClasses'),
      gateways: r('gateways'),
      httpRoutes: r('httpRoutes'),
      grpcRoutes: r('grpcRoutes'),
      tlsRoutes: r('tlsRoutes'),
      tcpRoutes: r('tcpRoutes'),
      udpRoutes: r('udpRoutes'),
      listenerSets: r('listenerSets'),
      backendTlsPolicies: r('backendTlsPolicies'),
      referenceGrants: r('referenceGrants'),
      services: r('services'),
      endpointSlices: r('endpointSlices'),
      secrets: new Reflector<V1Secret>(client, RESOURCES.secrets, { ...opts, slim: tlsKeysOnly }),
      configMaps: new Reflector<V1ConfigMap>(client, RESOURCES.configMaps, { ...opts, slim: caBundleOnly }),
      namespaces: r('namespaces'),
      ipPools: r('ipPools'),
    };
  }

  onChange(handler: ChangeHandler): void {
    const forward = <K extends ResourceKey>(key: K) =>
      this.reflectors[key].on((type, obj) => handler(key, type, obj));
    for (const key of Object.keys(this.reflectors) as ResourceKey[]) forward(key);
  }

  private all(): Pick<Reflector, 'start' | 'stop' | 'synced' | 'waitForSync'>[] {
    return Object.values(this.reflectors);
  }

  start(): void {
    for (const r of this.all()) r.start();
  }

  stop(): void {
    for (const r of this.all()) r.stop();
  }

  get synced(): boolean {
    return this.all().every((r) => r.synced);
  }

  async waitForSync(): Promise<void> {
    await Promise.all(this.all().map((r) => r.waitForSync()));
  }

  /** Plain objects as the API server returned them; callers must not mutate them. */
  snapshot(): ClusterSnapshot {
    const r = this.reflectors;
    return {
      gatewayClasses: r.gatewayClasses.items(),
      gateways: r.gateways.items(),
      httpRoutes: r.httpRoutes.items(),
      grpcRoutes: r.grpcRoutes.items(),
      tlsRoutes: r.tlsRoutes.items(),
      tcpRoutes: r.tcpRoutes.items(),
      udpRoutes: r.udpRoutes.items(),
      listenerSets: r.listenerSets.items(),
      backendTlsPolicies: r.backendTlsPolicies.items(),
      referenceGrants: r.referenceGrants.items(),
      services: r.services.items(),
      endpointSlices: r.endpointSlices.items(),
      secrets: r.secrets.items(),
      configMaps: r.configMaps.items(),
      namespaces: r.namespaces.items(),
      ipPools: r.ipPools.items(),
    };
  }
}
