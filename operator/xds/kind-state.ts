// One resource type on one ADS stream: what Envoy subscribed to, what it was sent, and how its
// answers (ACK or NACK) move that state. A NACK of several resources at once is isolated by
// resending them one per response, so the resource Envoy refuses is named exactly.
import type { EncodedResource, EncodedSet } from './snapshot.ts';

export interface KindState {
  requested: boolean;
  /** Named kinds (and Delta CDS/LDS without wildcard): the subscribed names. */
  names: Set<string>;
  /** Delta: CDS/LDS subscribed with a wildcard. */
  wildcard: boolean;
  target: EncodedSet;
  /**
   * Whether the apply loop has set `target` on this stream. Until then an empty target means
   * "not decided", not "nothing": answering with it would remove what Envoy kept from another
   * replica (its initial_resource_versions) and drop its listeners on every reconnect.
   */
  targeted: boolean;
  pendingNonce?: string;
  sentVersion?: string;
  ackedVersion?: string;
  /** CDS/LDS: the full sets last sent and last ACKed, to name the suspects of a NACK. */
  sentSet: EncodedSet;
  ackedSet: EncodedSet;
  /** CDS/LDS: suspects of the last NACK, until an ACK. */
  suspects: string[];
  /** Per-resource kinds: resource digests Envoy was sent (ACKed or in flight), by name. */
  sent: Map<string, string>;
  /** Per-resource kinds: what the in-flight response carries. */
  inFlight: Map<string, string>;
  /** Per-resource kinds: digests Envoy rejected; not resent until they change. */
  rejected: Map<string, string>;
  /** Per-resource kinds: resources of a NACKed batch, resent one per response to find the bad one. */
  isolate: Set<string>;
}

export const EMPTY: EncodedSet = new Map();

export function newKindState(): KindState {
  return {
    requested: false,
    names: new Set(),
    wildcard: false,
    target: EMPTY,
    targeted: false,
    sentSet: EMPTY,
    ackedSet: EMPTY,
    suspects: [],
    sent: new Map(),
    inFlight: new Map(),
    rejected: new Map(),
    isolate: new Set(),
  };
}

/** What of the target Envoy should hold: all of it (wildcard) or what it subscribed to. */
export function desired(st: KindState): Map<string, EncodedResource> {
  if (st.wildcard) return new Map(st.target);
  return new Map([...st.names].flatMap((n) => (st.target.has(n) ? [[n, st.target.get(n)!] as const] : [])));
}

/** How Envoy answered the pending response. */
export type Answer =
  | { type: 'ack' }
  /** Several resources refused at once: they are being resent one by one. */
  | { type: 'isolating'; count: number }
  /** Refused: `suspects` are the resources that may be at fault. */
  | { type: 'nack'; suspects: string[] };

/**
 * Records Envoy's answer to the pending response. `perResource`: the type goes resource by
 * resource (Delta, or SotW EDS/RDS/SDS), else as whole sets (SotW CDS/LDS).
 */
export function recordAnswer(st: KindState, error: boolean, perResource: boolean): Answer {
  st.pendingNonce = undefined;
  const carried = st.inFlight;
  st.inFlight = new Map();
  for (const name of carried.keys()) st.isolate.delete(name);
  if (error && perResource && carried.size > 1) {
    // Envoy may have dropped good resources along with the bad one: resend one by one.
    for (const name of carried.keys()) {
      st.sent.delete(name);
      st.isolate.add(name);
    }
    return { type: 'isolating', count: carried.size };
  }
  if (error) {
    for (const [name, hash] of carried) st.rejected.set(name, hash);
    if (perResource) return { type: 'nack', suspects: [...carried.keys()] };
    st.suspects = [...st.sentSet].filter(([n, r]) => st.ackedSet.get(n)?.hash !== r.hash).map(([n]) => n);
    return { type: 'nack', suspects: st.suspects };
  }
  for (const name of carried.keys()) st.rejected.delete(name);
  st.ackedVersion = st.sentVersion;
  st.ackedSet = st.sentSet;
  st.suspects = [];
  return { type: 'ack' };
}

/** The per-resource changes to send next: one at a time while a NACKed batch is being isolated. */
export function changes(
  st: KindState,
  want: Map<string, EncodedResource>,
  removals: boolean,
): { changed: [string, EncodedResource][]; removed: string[] } {
  let changed = [...want].filter(([name, r]) => st.sent.get(name) !== r.hash);
  if (st.isolate.size > 0) {
    const one = changed.find(([name]) => st.isolate.has(name));
    if (one) changed = [one];
    else st.isolate.clear();
  }
  const removed = removals ? [...st.sent.keys()].filter((n) => !want.has(n)) : [];
  return { changed, removed };
}

/** Resources Envoy refused that the target still holds (per-resource), or the NACK's suspects. */
export function stillRejected(st: KindState, perResource: boolean): string[] {
  if (!perResource) return st.sentVersion !== st.ackedVersion ? st.suspects : [];
  return [...desired(st)].filter(([name, r]) => st.rejected.get(name) === r.hash).map(([name]) => name);
}
