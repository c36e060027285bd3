import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { DiscoveryRequest__Output } from '../envoy/generated/envoy/service/discovery/v3/DiscoveryRequest.ts';
import type { DiscoveryResponse } from '../envoy/generated/envoy/service/discovery/v3/DiscoveryResponse.ts';
import type { DeltaDiscoveryRequest__Output } from '../envoy/generated/envoy/service/discovery/v3/DeltaDiscoveryRequest.ts';
import type { DeltaDiscoveryResponse } from '../envoy/generated/envoy/service/discovery/v3/DeltaDiscoveryResponse.ts';
import type { ResourceKind } from './snapshot.ts';

export type AdsCall = ServerDuplexStream<DiscoveryRequest__Output, DiscoveryResponse>;
export type DeltaAdsCall = ServerDuplexStream<DeltaDiscoveryRequest__Output, DeltaDiscoveryResponse>;

/** The two xDS transports: State of the World, and incremental (Delta). */
export type AdsWire = { delta: false; call: AdsCall } | { delta: true; call: DeltaAdsCall };

export interface NackEvent {
  nodeId: string;
  kind: ResourceKind;
  typeUrl: string;
  /** Snapshot being applied when Envoy rejected it. */
  snapshotVersion: string;
  /** version_info (SotW) or system_version_info (Delta) of the rejected response. */
  responseVersion: string;
  /** Resources the rejected response added or changed: the suspects, to map to their Gateways. */
  resources: string[];
  code: number;
  message: string;
}

/** A resource this Envoy rejected and that the current target still contains. */
export interface RejectedResource {
  kind: ResourceKind;
  name: string;
}
