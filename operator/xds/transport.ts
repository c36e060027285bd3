// The two ADS transports, State of the World and Delta: how a request is read into one shape, and
// how a response is written. Everything else about a stream is the same for both (stream.ts).
import type { DiscoveryRequest__Output } from '../envoy/generated/envoy/service/discovery/v3/DiscoveryRequest.ts';
import type { DeltaDiscoveryRequest__Output } from '../envoy/generated/envoy/service/discovery/v3/DeltaDiscoveryRequest.ts';
import type { Status__Output } from '../envoy/generated/google/rpc/Status.ts';
import type { KindState } from './kind-state.ts';
import { NAMED_KINDS, TYPE_URL, type EncodedResource, type ResourceKind } from './snapshot.ts';
import type { AdsWire } from './types.ts';

/** What either transport's request says, once decoded. */
export interface Request {
  typeUrl: string;
  nodeId?: string;
  nonce: string;
  error: Status__Output | null;
  /** Apply the request's subscription to the type's state. */
  subscribe(st: KindState, kind: ResourceKind): void;
}

function common(req: DiscoveryRequest__Output | DeltaDiscoveryRequest__Output): Omit<Request, 'subscribe'> {
  return { typeUrl: req.type_url, nodeId: req.node?.id, nonce: req.response_nonce, error: req.error_detail };
}

/** SotW: every request names the whole subscription. */
export function sotwRequest(req: DiscoveryRequest__Output): Request {
  return {
    ...common(req),
    subscribe: (st) => {
      st.names = new Set(req.resource_names);
    },
  };
}

/** Delta: requests subscribe and unsubscribe names; the first one says what Envoy already has. */
export function deltaRequest(req: DeltaDiscoveryRequest__Output): Request {
  return {
    ...common(req),
    subscribe: (st, kind) => {
      const first = !st.requested;
      for (const n of req.resource_names_subscribe) st.names.add(n);
      for (const n of req.resource_names_unsubscribe) st.names.delete(n);
      // For CDS/LDS an empty first subscription is the legacy wildcard; "*" the explicit one.
      const legacy = first && req.resource_names_subscribe.length === 0 && !NAMED_KINDS.has(kind);
      if (legacy || st.names.has('*')) st.wildcard = true;
      if (req.resource_names_unsubscribe.includes('*')) st.wildcard = false;
      st.names.delete('*');
      // What Envoy already has (e.g. from another operator replica): digests are replica-independent.
      if (first) for (const [n, v] of Object.entries(req.initial_resource_versions)) st.sent.set(n, v);
    },
  };
}

/** Writes one response; Delta names removals, SotW removal follows Envoy's unsubscription. */
export function writeResponse(
  wire: AdsWire,
  kind: ResourceKind,
  version: string,
  nonce: string,
  resources: [string, EncodedResource][],
  removed: string[],
): void {
  const type_url = TYPE_URL[kind];
  if (wire.delta) {
    wire.call.write({
      system_version_info: version,
      type_url,
      nonce,
      resources: resources.map(([name, r]) => ({ name, version: r.hash, resource: r.any })),
      removed_resources: removed,
    });
  } else {
    wire.call.write({ version_info: version, type_url, nonce, resources: resources.map(([, r]) => r.any) });
  }
}
