// One reflector per watched kind, and a consistent-enough snapshot of all of them for translate().
import type { KubeConfig, V1EndpointSlice, V1Namespace, V1Secret, V1Service } from '@kubernetes/client-node';
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
import { Reflector, type EventType, type ReflectorOptions } from './reflector.ts';
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
  readonly namespaces: V1Namespace[];
  readonly ipPools: IpPoolObject[];
}

export type ChangeHandler = (key: ResourceKey, type: EventType, obj: KubeObject) => void;

export class ClusterCache {
  readonly reflectors: Record<ResourceKey, Reflector>;

  constructor(client: KubeClient, kc: KubeConfig, opts: ReflectorOptions) {
    const r = {} as Record<ResourceKey, Reflector>;
    for (const key of Object.keys(RESOURCES) as ResourceKey[]) {
      r[key] = new Reflector(client, kc, RESOURCES[key], opts);
    }
    this.reflectors = r;
  }

  onChange(handler: ChangeHandler): void {
    for (const key of Object.keys(this.reflectors) as ResourceKey[]) {
      this.reflectors[key].on((type, obj) => handler(key, type, obj));
    }
  }

  start(): void {
    for (const r of Object.values(this.reflectors)) r.start();
  }

  stop(): void {
    for (const r of Object.values(this.reflectors)) r.stop();
  }

  get synced(): boolean {
    return Object.values(this.reflectors).every((r) => r.synced);
  }

  async waitForSync(): Promise<void> {
    await Promise.all(Object.values(this.reflectors).map((r) => r.waitForSync()));
  }

  /** Plain objects as the API server returned them; callers must not mutate them. */
  snapshot(): ClusterSnapshot {
    const items = <T>(key: ResourceKey) => this.reflectors[key].items() as unknown as T[];
    return {
      gatewayClasses: items<GatewayClass>('gatewayClasses'),
      gateways: items<Gateway>('gateways'),
      httpRoutes: items<HTTPRoute>('httpRoutes'),
      grpcRoutes: items<GRPCRoute>('grpcRoutes'),
      tlsRoutes: items<TLSRoute>('tlsRoutes'),
      tcpRoutes: items<TCPRoute>('tcpRoutes'),
      udpRoutes: items<UDPRoute>('udpRoutes'),
      listenerSets: items<KubeObject>('listenerSets'),
      backendTlsPolicies: items<KubeObject>('backendTlsPolicies'),
      referenceGrants: items<ReferenceGrant>('referenceGrants'),
      services: items<V1Service>('services'),
      endpointSlices: items<V1EndpointSlice>('endpointSlices'),
      secrets: items<V1Secret>('secrets'),
      namespaces: items<V1Namespace>('namespaces'),
      ipPools: items<IpPoolObject>('ipPools'),
    };
  }
}
