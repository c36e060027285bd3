// One Envoy's ADS stream, whichever transport it speaks (transport.ts): the loop that walks each
// new snapshot through the types in order, one pending response per type. Per-type ACK/NACK
// bookkeeping and NACK isolation live in kind-state.ts.
import type { Logger } from 'pino';
import type { DiscoveryRequest__Output } from '../envoy/generated/envoy/service/discovery/v3/DiscoveryRequest.ts';
import type { DeltaDiscoveryRequest__Output } from '../envoy/generated/envoy/service/discovery/v3/DeltaDiscoveryRequest.ts';
import { changes, desired, newKindState, recordAnswer, stillRejected, type KindState } from './kind-state.ts';
import {
  KIND_BY_TYPE_URL,
  NAMED_KINDS,
  setVersion,
  type EncodedResource,
  type EncodedSet,
  type EncodedSnapshot,
  type ResourceKind,
} from './snapshot.ts';
import { deltaRequest, sotwRequest, writeResponse, type Request } from './transport.ts';
import type { AdsWire, NackEvent, RejectedResource } from './types.ts';

export interface StreamHooks {
  onAck(stream: AdsStream, snapshot: EncodedSnapshot): void;
  /** Every type of the snapshot was pushed and answered; `rejected` lists what Envoy refused. */
  onApplied(stream: AdsStream, snapshot: EncodedSnapshot, rejected: RejectedResource[]): void;
  onNack(event: NackEvent): void;
  /** The newest snapshot; undefined until the first setSnapshot. */
  current(): EncodedSnapshot | undefined;
}

// Push order: clusters and endpoints before what uses them; secrets before listeners.
const PHASES: readonly (readonly ResourceKind[])[] = [
  ['clusters', 'endpoints'],
  ['secrets'],
  ['listeners', 'routes', 'secrets'],
];

/** One Envoy's ADS stream (State of the World or Delta). */
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
    const init = newKindState;
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
    this.handle(sotwRequest(req));
  }

  onDeltaRequest(req: DeltaDiscoveryRequest__Output): void {
    this.handle(deltaRequest(req));
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
      const answer = recordAnswer(st, !!req.error, this.perResource(kind));
      if (answer.type === 'isolating') {
        this.log.info(
          { nodeId: this.nodeId, kind, count: answer.count },
          'NACK of several resources: isolating',
        );
      } else if (answer.type === 'nack' && req.error) {
        const event: NackEvent = {
          nodeId: this.nodeId,
          kind,
          typeUrl: req.typeUrl,
          snapshotVersion: this.applying?.version ?? '',
          responseVersion: st.sentVersion ?? '',
          resources: answer.suspects,
          code: req.error.code,
          message: req.error.message,
        };
        this.log.warn(event, 'envoy rejected xds config (NACK)');
        this.hooks.onNack(event);
      } else {
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
    return (Object.keys(this.kinds) as ResourceKind[]).flatMap((kind) =>
      stillRejected(this.kinds[kind], this.perResource(kind)).map((name) => ({ kind, name })),
    );
  }

  /**
   * Pushes every type in order. A rejected type does not stop the later ones: a bad resource
   * degrades only the Gateways that use it, while everyone else's changes still go out.
   */
  private async apply(snap: EncodedSnapshot, prev: EncodedSnapshot | undefined): Promise<boolean> {
    const keep = (kind: ResourceKind): EncodedSet => {
      if (!prev || prev.kinds[kind] === snap.kinds[kind]) return snap.kinds[kind];
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
      return stillRejected(st, true).length === 0;
    }
  }

  /** SotW CDS/LDS go as whole sets; everything else resource by resource. */
  private perResource(kind: ResourceKind): boolean {
    return this.wire.delta || NAMED_KINDS.has(kind);
  }

  private maybeSend(kind: ResourceKind): void {
    const st = this.kinds[kind];
    // Before the first snapshot Envoy waits (not LIVE) rather than starting empty.
    if (!st.requested || this.closed || !this.hooks.current() || !st.targeted) return;
    if (!this.perResource(kind)) {
      // SotW CDS and LDS responses are the whole state of the world.
      const version = setVersion(st.target);
      if (version === st.sentVersion) return;
      const changed = [...st.target].filter(([name, r]) => st.sentSet.get(name)?.hash !== r.hash);
      st.sentSet = st.target;
      this.send(kind, version, [...st.target], []);
      if (kind === 'clusters') this.resendEndpoints(changed);
      return;
    }
    // SotW EDS/RDS/SDS and all Delta responses carry only what changed; Envoy keeps the rest.
    const want = desired(st);
    // Delta removes explicitly; SotW EDS/RDS/SDS removal follows Envoy's unsubscription.
    const { changed, removed } = changes(st, want, this.wire.delta);
    // The very first SotW answer must come even when empty, or Envoy waits for it.
    const first = st.sentVersion === undefined;
    if (changed.length === 0 && removed.length === 0 && !(first && st.wildcard)) return;
    for (const [name, r] of changed) {
      st.sent.set(name, r.hash);
      st.inFlight.set(name, r.hash);
    }
    for (const name of removed) st.sent.delete(name);
    this.send(kind, setVersion(want), changed, removed);
    if (kind === 'clusters') this.resendEndpoints(changed);
  }

  /**
   * A cluster Envoy gets anew warms until an EDS response for it arrives, however unchanged its
   * endpoints. Envoy does not ask again for a name it still watches (the cluster it replaces does),
   * and with initial_fetch_timeout 0 the cluster would warm, and hold the CDS ACK, forever.
   */
  private resendEndpoints(clusters: [string, EncodedResource][]): void {
    const eds = this.kinds.endpoints;
    for (const [, c] of clusters) if (c.edsName) eds.sent.delete(c.edsName);
    if (eds.pendingNonce === undefined) this.maybeSend('endpoints');
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
    writeResponse(this.wire, kind, version, nonce, resources, removed);
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
