// Hands the IR to the ADS server and answers "which Gateways are programmed". Per Envoy, a Gateway
// is live when the last snapshot pushed through every type held that Gateway's listeners as they
// are now and Envoy refused none of the resources that Gateway uses; a NACK is pinned to the
// Gateways that own the refused resources. Per-Gateway hashes keep one Gateway's change from
// flipping every other Gateway's Programmed condition while Envoy catches up.
import { createHash } from 'node:crypto';
import type { Cluster, IR } from '../ir/types.ts';
import type { Snapshot } from '../translate/types.ts';
import { digest, listenerDigest } from '../xds/digest.ts';
import type { AdsServer } from '../xds/server.ts';
import type { ResourceKind, Snapshot as XdsSnapshot } from '../xds/snapshot.ts';
import { l4Resources } from '../xds/l4.ts';
import { loadAssignment, resourceGateways, translateIr } from '../xds/translate.ts';
import type { EndpointSink } from './endpoints.ts';
import type { XdsSink } from './reconciler.ts';

const KEEP_VERSIONS = 64;

/** What one Envoy runs, by Gateway (`namespace/name` -> hash of that Gateway's listeners). */
export interface NodeProgram {
  /** Gateways whose listeners, at this hash, this Envoy took without refusing anything they use. */
  live: Record<string, string>;
  /** Gateways at this hash that use a resource this Envoy refused, with Envoy's message. */
  rejected: Record<string, { hash: string; message: string }>;
}

/** nodeId -> program: the Envoys connected to this replica, or reported by another one. */
export type NodePrograms = Record<string, NodeProgram>;

/**
 * A pushed version: only its per-Gateway hashes. Its IR is not kept (64 of them were the largest
 * holder of the heap at 1,000 routes): a node's refused resources are named from its stream's
 * current target, the newest push, so their owners come from the current IR.
 */
interface Version {
  gateways: Map<string, string>;
}

export class AdsSink implements XdsSink, EndpointSink {
  private current = '';
  private readonly versions = new Map<string, Version>();
  /** The last IR and xDS snapshot pushed, for the endpoint path (which edits only endpoints). */
  private last: { ir: IR; gwHashes: Map<string, string>; snapshot: XdsSnapshot } | undefined;
  /** resourceGateways of the current IR, computed on the first NACK that needs it. */
  private owners: { version: string; map: ReturnType<typeof resourceGateways> } | undefined;
  /** `kind/name` -> Envoy's message for the last NACK that named the resource. */
  private readonly messages = new Map<string, string>();
  /** Per node, the program last seen when it applied a snapshot: an apply that moves none is idle. */
  private readonly seen = new Map<string, string>();
  /** Envoys connected to other replicas (see ack-reports.ts); none with a single replica. */
  remote: () => NodePrograms = () => ({});

  constructor(private readonly server: AdsServer) {
    server.on('nack', (e) => {
      const message = `${e.kind}: ${envoyReason(e.message)}`.slice(0, 300);
      for (const name of e.resources) this.messages.set(`${e.kind}/${name}`, message);
      if (this.messages.size > 4096) this.messages.delete(this.messages.keys().next().value!);
      // The NACK moved the node's program; its next apply must be counted whatever it holds.
      this.seen.delete(e.nodeId);
    });
    server.on('disconnect', (e) => this.seen.delete(e.nodeId));
  }

  get version(): string {
    return this.current;
  }

  push(ir: IR): void {
    // Listener digests are cached by the identity of their routes: an unchanged Gateway costs no
    // serialization (at 10,000 routes, serializing the IR on every push showed in profiles).
    const byGateway = new Map<string, string[]>();
    const all = [
      ...ir.httpListeners,
      ...ir.tlsPassthroughListeners,
      ...(ir.tcpListeners ?? []),
      ...(ir.udpListeners ?? []),
    ];
    for (const l of all) {
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
    // A weighted UDPRoute's own cluster is made of its backends' endpoints: rebuilt with them.
    Object.assign(endpoints, l4Resources(ir).endpoints);
    const snapshot = { ...this.last.snapshot, version, endpoints };
    this.last = { ir, gwHashes: this.last.gwHashes, snapshot };
    this.server.setSnapshot(snapshot);
    return true;
  }

  private remember(version: string, gateways: Map<string, string>): void {
    this.versions.set(version, { gateways });
    if (this.versions.size > KEEP_VERSIONS) this.versions.delete(this.versions.keys().next().value!);
    this.current = version;
  }

  /**
   * Whether `node` applying a snapshot can change a Gateway's Programmed condition: false when
   * what it runs per Gateway is what it ran before (e.g. an endpoints-only push).
   */
  appliedMatters(node: string): boolean {
    const now = JSON.stringify(this.programOf(node));
    const before = this.seen.get(node);
    this.seen.set(node, now);
    return before !== now;
  }

  /** The Envoys connected to this replica. */
  local(): NodePrograms {
    const out: NodePrograms = {};
    for (const node of this.server.connectedNodes()) out[node] = this.programOf(node);
    return out;
  }

  private programOf(node: string): NodeProgram {
    const st = this.server.nodeStatus(node);
    const v = st.appliedVersion ? this.versions.get(st.appliedVersion) : undefined;
    const program: NodeProgram = { live: {}, rejected: {} };
    if (!v) return program;
    const bad = new Map<string, string>();
    if (st.rejected.length > 0 && this.last) {
      if (this.owners?.version !== this.current)
        this.owners = { version: this.current, map: resourceGateways(this.last.ir) };
      for (const r of st.rejected) {
        const message = this.messages.get(`${r.kind}/${r.name}`) ?? `${r.kind}: ${r.name} refused`;
        for (const gw of owners(this.owners.map, r.kind, r.name)) if (!bad.has(gw)) bad.set(gw, message);
      }
    }
    for (const [gw, h] of v.gateways) {
      const message = bad.get(gw);
      if (message === undefined) program.live[gw] = h;
      else program.rejected[gw] = { hash: h, message };
    }
    return program;
  }

  programmed(): Snapshot['programmed'] {
    const now = this.versions.get(this.current)?.gateways ?? new Map<string, string>();
    // A node connected here wins over another replica's report of it (which may be stale).
    const nodes = Object.values({ ...this.remote(), ...this.local() });
    const acked: string[] = [];
    const rejected: Record<string, string> = {};
    for (const [gw, h] of now) {
      if (nodes.length > 0 && nodes.every((n) => n.live[gw] === h)) acked.push(gw);
      const r = nodes.map((n) => n.rejected[gw]).find((x) => x?.hash === h);
      if (r) rejected[gw] = r.message;
    }
    return { acked: acked.sort(), rejected, envoys: nodes.length };
  }
}

function owners(map: ReturnType<typeof resourceGateways>, kind: ResourceKind, name: string): string[] {
  return (map[kind].get(name) ?? []).map((g) => `${g.namespace}/${g.name}`);
}

/**
 * Envoy prefixes its reason with a dump of the refused proto, and a validation error nests its
 * cause at the very end: keep the reason, innermost cause first, so it survives the length cap.
 */
export function envoyReason(message: string): string {
  const tail = message.slice(message.lastIndexOf('\n') + 1).replace(/^:\s*/, '') || message;
  const at = tail.lastIndexOf(' | caused by ');
  if (at < 0) return tail;
  return `${tail.slice(at + ' | caused by '.length).replace(/\)$/, '')} (${tail.slice(0, tail.indexOf(' ('))})`;
}

// The translator hands back the very cluster list while no cluster changed: its digests' text is
// kept per list, so a route change does not walk and join 1,000 cluster digests.
const clusterDigests = new WeakMap<readonly Cluster[], string>();

function clustersText(clusters: readonly Cluster[]): string {
  let text = clusterDigests.get(clusters);
  if (text === undefined) {
    // Clusters are memoized objects: their digests are cached, so only changed ones are serialized.
    text = JSON.stringify(clusters.map((c) => digest(c)));
    clusterDigests.set(clusters, text);
  }
  return text;
}

function irVersion(gwHashes: Map<string, string>, ir: IR): string {
  const { httpListeners, tlsPassthroughListeners, clusters, ...rest } = ir;
  return hash(
    `${JSON.stringify([[...gwHashes].sort(), httpListeners.length, tlsPassthroughListeners.length, rest])}\0${clustersText(clusters)}`,
  );
}

function hash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 16);
}
