// Hands the IR to the ADS server and answers "which Gateways are programmed": a Gateway is
// programmed when every connected Envoy has ACKed a snapshot in which that Gateway's listeners
// are exactly what they are now. Per-Gateway hashes keep one Gateway's change from flipping
// every other Gateway's Programmed condition while Envoy catches up.
import { createHash } from 'node:crypto';
import type { Cluster, IR } from '../ir/types.ts';
import type { Snapshot } from '../translate/types.ts';
import type { AdsServer } from '../xds/server.ts';
import type { Snapshot as XdsSnapshot } from '../xds/snapshot.ts';
import { digest, listenerDigest } from '../xds/digest.ts';
import { loadAssignment, translateIr } from '../xds/translate.ts';
import type { EndpointSink } from './endpoints.ts';
import type { XdsSink } from './reconciler.ts';

const KEEP_VERSIONS = 64;

export class AdsSink implements XdsSink, EndpointSink {
  private current = '';
  /** The last IR and xDS snapshot pushed, for the endpoint path (which edits only endpoints). */
  private last: { ir: IR; gwHashes: Map<string, string>; snapshot: XdsSnapshot } | undefined;
  /** Per node, the listener hashes of the version it last ACKed: an ACK that moves none is idle. */
  private readonly ackedHashes = new Map<string, Map<string, string>>();
  /** version -> gateway key -> hash of that Gateway's listeners in that version. */
  private readonly versions = new Map<string, Map<string, string>>();
  private readonly rejected = new Map<string, string>();

  constructor(private readonly server: AdsServer) {
    server.on('nack', (e) => {
      const gws = this.versions.get(e.snapshotVersion);
      for (const k of gws?.keys() ?? []) this.rejected.set(k, `${e.kind}: ${e.message}`.slice(0, 300));
    });
    server.on('ack', (e) => {
      const gws = this.versions.get(e.version);
      let cleared = false;
      for (const k of gws?.keys() ?? []) cleared = this.rejected.delete(k) || cleared;
      const before = this.ackedHashes.get(e.nodeId);
      this.idleAcks.set(e.version, !cleared && !!gws && !!before && sameHashes(before, gws));
      if (this.idleAcks.size > KEEP_VERSIONS) this.idleAcks.delete(this.idleAcks.keys().next().value!);
      if (gws) this.ackedHashes.set(e.nodeId, gws);
    });
    server.on('disconnect', (e) => this.ackedHashes.delete(e.nodeId));
  }

  private readonly idleAcks = new Map<string, boolean>();

  /**
   * Whether this ACK can change a Gateway's Programmed condition: false when the node had already
   * ACKed every Gateway's listeners as they are in `version` (e.g. an endpoints-only push).
   */
  ackMatters(e: { nodeId: string; version: string }): boolean {
    return !this.idleAcks.get(e.version);
  }

  get version(): string {
    return this.current;
  }

  push(ir: IR): void {
    // Listener digests are cached by the identity of their routes: an unchanged Gateway costs no
    // serialization (at 10,000 routes, serializing the IR on every push showed in profiles).
    const byGateway = new Map<string, string[]>();
    for (const l of [...ir.httpListeners, ...ir.tlsPassthroughListeners]) {
      const k = `${l.gateway.namespace}/${l.gateway.name}`;
      byGateway.set(k, [...(byGateway.get(k) ?? []), listenerDigest(l)]);
    }
    const gwHashes = new Map([...byGateway].map(([k, ls]) => [k, hash(`[${ls.join(',')}]`)]));
    const version = irVersion(gwHashes, ir);
    if (version === this.current) return;
    this.remember(version, gwHashes);
    const snapshot = translateIr(ir, version);
    this.last = { ir, gwHashes, snapshot };
    this.server.setSnapshot(snapshot);
  }

  clusters(): readonly Cluster[] | undefined {
    return this.last?.ir.clusters;
  }

  /**
   * The endpoint path: the last pushed config with these clusters' endpoints replaced. The version
   * is what a full push of the same IR computes, so the next translation finds nothing to send.
   */
  pushEndpoints(changed: readonly Cluster[]): boolean {
    if (!this.last || changed.length === 0) return false;
    const byName = new Map(changed.map((c) => [c.name, c]));
    const ir: IR = { ...this.last.ir, clusters: this.last.ir.clusters.map((c) => byName.get(c.name) ?? c) };
    const version = irVersion(this.last.gwHashes, ir);
    if (version === this.current) return false;
    this.remember(version, this.last.gwHashes);
    const endpoints = { ...this.last.snapshot.endpoints };
    for (const c of changed) if (endpoints[c.name]) endpoints[c.name] = loadAssignment(c);
    const snapshot = { ...this.last.snapshot, version, endpoints };
    this.last = { ir, gwHashes: this.last.gwHashes, snapshot };
    this.server.setSnapshot(snapshot);
    return true;
  }

  private remember(version: string, gwHashes: Map<string, string>): void {
    this.versions.set(version, gwHashes);
    if (this.versions.size > KEEP_VERSIONS) this.versions.delete(this.versions.keys().next().value!);
    this.current = version;
  }

  programmed(): Snapshot['programmed'] {
    const now = this.versions.get(this.current) ?? new Map<string, string>();
    const nodes = this.server.connectedNodes();
    const acked = nodes.length
      ? [...now].filter(([gw, h]) =>
          nodes.every((n) => this.versions.get(this.server.ackedVersion(n) ?? '')?.get(gw) === h),
        )
      : [];
    return { acked: acked.map(([gw]) => gw).sort(), rejected: Object.fromEntries(this.rejected) };
  }
}

function irVersion(gwHashes: Map<string, string>, ir: IR): string {
  const { httpListeners, tlsPassthroughListeners, clusters } = ir;
  // Clusters are memoized objects: their digests are cached, so only changed ones are serialized.
  return hash(
    JSON.stringify([
      [...gwHashes].sort(),
      httpListeners.length,
      tlsPassthroughListeners.length,
      clusters.map((c) => digest(c)),
    ]),
  );
}

function sameHashes(a: Map<string, string>, b: Map<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

function hash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 16);
}
