import type { Logger } from 'pino';
import type { DiscoveryRequest__Output } from '../envoy/generated/envoy/service/discovery/v3/DiscoveryRequest.ts';
import type { DeltaDiscoveryRequest__Output } from '../envoy/generated/envoy/service/discovery/v3/DeltaDiscoveryRequest.ts';
import type { Status__Output } from '../envoy/generated/google/rpc/Status.ts';
import {
  KIND_BY_TYPE_URL,
  NAMED_KINDS,
  setVersion,
  TYPE_URL,
  type EncodedResource,
  type EncodedSet,
  type EncodedSnapshot,
  type ResourceKind,
} from './snapshot.ts';
import type { AdsWire, NackEvent, RejectedResource } from './types.ts';

/** What either transport's request says, once decoded. */
interface Request {
  typeUrl: string;
  nodeId?: string;
  nonce: string;
  error: Status__Output | null;
  /** Apply the request's subscription to the type's state. */
  subscribe(st: KindState, kind: ResourceKind): void;
}

export interface StreamHooks {
  onAck(stream: AdsStream, snapshot: EncodedSnapshot): void;
  /** Every type of the snapshot was pushed and answered; `rejected` lists what Envoy refused. */
  onApplied(stream: AdsStream, snapshot: EncodedSnapshot, rejected: RejectedResource[]): void;
  onNack(event: NackEvent): void;
  /** The newest snapshot; undefined until the first setSnapshot. */
  current(): EncodedSnapshot | undefined;
}

interface KindState {
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

// Push order: clusters and endpoints before what uses them; secrets before listeners.
const PHASES: readonly (readonly ResourceKind[])[] = [
  ['clusters', 'endpoints'],
  ['secrets'],
  ['listeners', 'routes', 'secrets'],
];
const EMPTY: EncodedSet = new Map();

/**
 * One Envoy's ADS stream (State of the World or Delta): subscriptions, nonces, ACK/NACK per type,
 * and a loop that walks each new snapshot through the types in order, one pending response per type.
 */
export class AdsStream {
  nodeId = '';
  ackedSnapshot: EncodedSnapshot | undefined;
  /** Newest snapshot pushed through every type, accepted or not. */
  appliedSnapshot: EncodedSnapshot | undefined;
  closed = false;
  private readonly kinds: Record<ResourceKind, KindState>;
  private nonce = 0;
  private wake: (() => void)[] = [];
  private running = false;
  private applying: EncodedSnapshot | undefined;

  constructor(
    private readonly wire: AdsWire,
    private readonly hooks: StreamHooks,
    private readonly log: Logger,
  ) {
    const init = (): KindState => ({
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
    });
    this.kinds = { clusters: init(), endpoints: init(), listeners: init(), routes: init(), secrets: init() };
  }

  close(): void {
    this.closed = true;
    this.notify();
  }

  /** Closes and ends the gRPC call (server shutdown); Envoy reconnects to another replica. */
  terminate(): void {
    this.close();
    this.wire.call.end();
  }

  onRequest(req: DiscoveryRequest__Output): void {
    this.handle({
      typeUrl: req.type_url,
      nodeId: req.node?.id,
      nonce: req.response_nonce,
      error: req.error_detail,
      subscribe: (st) => {
        st.names = new Set(req.resource_names);
      },
    });
  }

  onDeltaRequest(req: DeltaDiscoveryRequest__Output): void {
    this.handle({
      typeUrl: req.type_url,
      nodeId: req.node?.id,
      nonce: req.response_nonce,
      error: req.error_detail,
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
    });
  }

  private handle(req: Request): void {
    if (!this.nodeId && req.nodeId) this.nodeId = req.nodeId;
    const kind = KIND_BY_TYPE_URL.get(req.typeUrl);
    if (!kind) {
      this.log.warn({ nodeId: this.nodeId, typeUrl: req.typeUrl }, 'xds request for unsupported type');
      return;
    }
    const st = this.kinds[kind];
    req.subscribe(st, kind);
    st.requested = true;
    if (this.perResource(kind) && !st.wildcard) {
      // Envoy forgets what it unsubscribed from: send it again if it comes back.
      for (const name of st.sent.keys()) if (!st.names.has(name)) st.sent.delete(name);
    }
    if (st.pendingNonce !== undefined && req.nonce === st.pendingNonce) {
      st.pendingNonce = undefined;
      const carried = st.inFlight;
      st.inFlight = new Map();
      for (const name of carried.keys()) st.isolate.delete(name);
      if (req.error && this.perResource(kind) && carried.size > 1) {
        // Envoy may have dropped good resources along with the bad one: resend one by one.
        for (const name of carried.keys()) {
          st.sent.delete(name);
          st.isolate.add(name);
        }
        this.log.info(
          { nodeId: this.nodeId, kind, count: carried.size },
          'NACK of several resources: isolating',
        );
      } else if (req.error) {
        for (const [name, hash] of carried) st.rejected.set(name, hash);
        const suspects = this.perResource(kind)
          ? [...carried.keys()]
          : [...st.sentSet].filter(([n, r]) => st.ackedSet.get(n)?.hash !== r.hash).map(([n]) => n);
        if (!this.perResource(kind)) st.suspects = suspects;
        const event: NackEvent = {
          nodeId: this.nodeId,
          kind,
          typeUrl: req.typeUrl,
          snapshotVersion: this.applying?.version ?? '',
          responseVersion: st.sentVersion ?? '',
          resources: suspects,
          code: req.error.code,
          message: req.error.message,
        };
        this.log.warn(event, 'envoy rejected xds config (NACK)');
        this.hooks.onNack(event);
      } else {
        for (const name of carried.keys()) st.rejected.delete(name);
        st.ackedVersion = st.sentVersion;
        st.ackedSet = st.sentSet;
        st.suspects = [];
        this.log.debug({ nodeId: this.nodeId, kind, version: st.ackedVersion }, 'xds ACK');
      }
    }
    // A stale nonce means a response is still in flight; Envoy re-sends its subscription after it.
    if (st.pendingNonce === undefined) this.maybeSend(kind);
    this.notify();
    if (kind === 'clusters' && !this.running) this.kick();
  }

  /** Starts (or re-targets) the apply loop on the newest snapshot. */
  kick(): void {
    if (this.running || this.closed || !this.kinds.clusters.requested) return;
    this.running = true;
    void this.loop().finally(() => {
      this.running = false;
      if (this.hooks.current() !== this.applying) this.kick();
    });
  }

  private async loop(): Promise<void> {
    for (;;) {
      const snap = this.hooks.current();
      if (!snap || this.closed || snap === this.applying) return;
      this.applying = snap;
      const prev = this.ackedSnapshot;
      const ok = await this.apply(snap, prev);
      if (this.closed) return;
      this.appliedSnapshot = snap;
      this.hooks.onApplied(this, snap, this.rejected());
      if (!ok) continue;
      this.ackedSnapshot = snap;
      this.hooks.onAck(this, snap);
      // Drop clusters/endpoints/secrets kept for the previous routes, unless a newer snapshot is waiting.
      if (prev && this.hooks.current() === snap) {
        for (const kind of ['clusters', 'endpoints', 'secrets'] as const)
          await this.step(kind, snap.kinds[kind]);
      }
    }
  }

  /** What Envoy refused and the current targets still hold: the operator maps these to Gateways. */
  rejected(): RejectedResource[] {
    const out: RejectedResource[] = [];
    for (const kind of Object.keys(this.kinds) as ResourceKind[]) {
      const st = this.kinds[kind];
      if (!this.perResource(kind)) {
        if (st.sentVersion !== st.ackedVersion) for (const name of st.suspects) out.push({ kind, name });
        continue;
      }
      for (const [name, r] of this.desired(st))
        if (st.rejected.get(name) === r.hash) out.push({ kind, name });
    }
    return out;
  }

  /**
   * Pushes every type in order. A rejected type does not stop the later ones: a bad resource
   * degrades only the Gateways that use it, while everyone else's changes still go out.
   */
  private async apply(snap: EncodedSnapshot, prev: EncodedSnapshot | undefined): Promise<boolean> {
    const keep = (kind: ResourceKind): EncodedSet => {
      if (!prev) return snap.kinds[kind];
      const merged = new Map(prev.kinds[kind]);
      for (const [k, v] of snap.kinds[kind]) merged.set(k, v);
      return merged;
    };
    let ok = true;
    // Targets are set phase by phase, so a request for a later type cannot pull its new content early.
    // Within a phase they are set together: Envoy holds the CDS ACK until new clusters got their EDS,
    // and listeners warm until their RDS and SDS arrive.
    for (const phase of PHASES) {
      for (const kind of phase) {
        this.kinds[kind].target = kind === 'listeners' || kind === 'routes' ? snap.kinds[kind] : keep(kind);
        this.kinds[kind].targeted = true;
      }
      for (const kind of phase) if (!(await this.step(kind))) ok = false;
    }
    return ok;
  }

  /** Sends the type's target if it differs from what Envoy has, and waits for the ACK or NACK. */
  private async step(kind: ResourceKind, target?: EncodedSet): Promise<boolean> {
    const st = this.kinds[kind];
    if (target) {
      st.target = target;
      st.targeted = true;
    }
    for (;;) {
      if (this.closed) return false;
      // CDS and LDS are wildcard: Envoy asks for them itself (LDS only once clusters are warm).
      if (!st.requested && !NAMED_KINDS.has(kind)) {
        await this.changed();
        continue;
      }
      if (st.pendingNonce === undefined) this.maybeSend(kind);
      if (st.pendingNonce !== undefined) {
        await this.changed();
        continue;
      }
      if (!this.perResource(kind)) return st.sentVersion === undefined || st.sentVersion === st.ackedVersion;
      for (const [name, r] of this.desired(st)) if (st.rejected.get(name) === r.hash) return false;
      return true;
    }
  }

  /** SotW CDS/LDS go as whole sets; everything else resource by resource. */
  private perResource(kind: ResourceKind): boolean {
    return this.wire.delta || NAMED_KINDS.has(kind);
  }

  private desired(st: KindState): Map<string, EncodedResource> {
    if (st.wildcard) return new Map(st.target);
    return new Map([...st.names].flatMap((n) => (st.target.has(n) ? [[n, st.target.get(n)!] as const] : [])));
  }

  private maybeSend(kind: ResourceKind): void {
    const st = this.kinds[kind];
    // Before the first snapshot Envoy waits (not LIVE) rather than starting empty.
    if (!st.requested || this.closed || !this.hooks.current() || !st.targeted) return;
    if (!this.perResource(kind)) {
      // SotW CDS and LDS responses are the whole state of the world.
      const version = setVersion(st.target);
      if (version === st.sentVersion) return;
      st.sentSet = st.target;
      this.send(kind, version, [...st.target], []);
      return;
    }
    // SotW EDS/RDS/SDS and all Delta responses carry only what changed; Envoy keeps the rest.
    const desired = this.desired(st);
    let changed = [...desired].filter(([name, r]) => st.sent.get(name) !== r.hash);
    if (st.isolate.size > 0) {
      const one = changed.find(([name]) => st.isolate.has(name));
      if (one) changed = [one];
      else st.isolate.clear();
    }
    // Delta removes explicitly; SotW EDS/RDS/SDS removal follows Envoy's unsubscription.
    const removed = this.wire.delta ? [...st.sent.keys()].filter((n) => !desired.has(n)) : [];
    // The very first SotW answer must come even when empty, or Envoy waits for it.
    const first = st.sentVersion === undefined;
    if (changed.length === 0 && removed.length === 0 && !(first && st.wildcard)) return;
    for (const [name, r] of changed) {
      st.sent.set(name, r.hash);
      st.inFlight.set(name, r.hash);
    }
    for (const name of removed) st.sent.delete(name);
    this.send(kind, setVersion(desired), changed, removed);
  }

  private send(
    kind: ResourceKind,
    version: string,
    resources: [string, EncodedResource][],
    removed: string[],
  ): void {
    const st = this.kinds[kind];
    const nonce = String(++this.nonce);
    st.pendingNonce = nonce;
    st.sentVersion = version;
    this.log.debug(
      { nodeId: this.nodeId, kind, version, count: resources.length, removed: removed.length },
      'xds push',
    );
    const type_url = TYPE_URL[kind];
    if (this.wire.delta) {
      this.wire.call.write({
        system_version_info: version,
        type_url,
        nonce,
        resources: resources.map(([name, r]) => ({ name, version: r.hash, resource: r.any })),
        removed_resources: removed,
      });
    } else {
      this.wire.call.write({
        version_info: version,
        type_url,
        nonce,
        resources: resources.map(([, r]) => r.any),
      });
    }
  }

  private changed(): Promise<void> {
    return new Promise((resolve) => this.wake.push(resolve));
  }

  private notify(): void {
    const w = this.wake;
    this.wake = [];
    for (const f of w) f();
  }
}
