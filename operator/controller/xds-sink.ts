// Hands the IR to the ADS server and answers "which Gateways are programmed". Per Envoy, a Gateway
// is live when the last snapshot pushed through every type held that Gateway's listeners as they
// are now and Envoy refused none of the resources that Gateway uses; a NACK is pinned to the
// Gateways that own the refused resources. Per-Gateway hashes keep one Gateway's change from
// flipping every other Gateway's Programmed condition while Envoy catches up.
import { createHash } from 'node:crypto';
import type { IR } from '../ir/types.ts';
import type { Snapshot } from '../translate/types.ts';
import type { AdsServer } from '../xds/server.ts';
import type { ResourceKind } from '../xds/snapshot.ts';
import { resourceGateways, translateIr } from '../xds/translate.ts';
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

interface Version {
  ir: IR;
  gateways: Map<string, string>;
  owners?: ReturnType<typeof resourceGateways>;
}

export class AdsSink implements XdsSink {
  private current = '';
  private readonly versions = new Map<string, Version>();
  /** `kind/name` -> Envoy's message for the last NACK that named the resource. */
  private readonly messages = new Map<string, string>();
  /** Envoys connected to other replicas (see ack-reports.ts); none with a single replica. */
  remote: () => NodePrograms = () => ({});

  constructor(private readonly server: AdsServer) {
    server.on('nack', (e) => {
      const message = `${e.kind}: ${envoyReason(e.message)}`.slice(0, 300);
      for (const name of e.resources) this.messages.set(`${e.kind}/${name}`, message);
      if (this.messages.size > 4096) this.messages.delete(this.messages.keys().next().value!);
    });
  }

  get version(): string {
    return this.current;
  }

  push(ir: IR): void {
    // Every listener is serialized once, for its Gateway's hash and for the version: this runs on
    // every reconcile, and at thousands of routes serializing the IR twice showed in profiles.
    const byGateway = new Map<string, string[]>();
    for (const l of [...ir.httpListeners, ...ir.tlsPassthroughListeners]) {
      const k = `${l.gateway.namespace}/${l.gateway.name}`;
      byGateway.set(k, [...(byGateway.get(k) ?? []), JSON.stringify(l)]);
    }
    const gwHashes = new Map([...byGateway].map(([k, ls]) => [k, hash(`[${ls.join(',')}]`)]));
    const { httpListeners, tlsPassthroughListeners, ...rest } = ir;
    const version = hash(
      JSON.stringify([[...gwHashes].sort(), httpListeners.length, tlsPassthroughListeners.length, rest]),
    );
    if (version === this.current) return;
    this.versions.set(version, { ir, gateways: gwHashes });
    if (this.versions.size > KEEP_VERSIONS) this.versions.delete(this.versions.keys().next().value!);
    this.current = version;
    this.server.setSnapshot(translateIr(ir, version));
  }

  /** The Envoys connected to this replica. */
  local(): NodePrograms {
    const out: NodePrograms = {};
    for (const node of this.server.connectedNodes()) {
      const st = this.server.nodeStatus(node);
      const v = st.appliedVersion ? this.versions.get(st.appliedVersion) : undefined;
      const program: NodeProgram = { live: {}, rejected: {} };
      out[node] = program;
      if (!v) continue;
      const bad = new Map<string, string>();
      if (st.rejected.length > 0) {
        v.owners ??= resourceGateways(v.ir);
        for (const r of st.rejected) {
          const message = this.messages.get(`${r.kind}/${r.name}`) ?? `${r.kind}: ${r.name} refused`;
          for (const gw of owners(v.owners, r.kind, r.name)) if (!bad.has(gw)) bad.set(gw, message);
        }
      }
      for (const [gw, h] of v.gateways) {
        const message = bad.get(gw);
        if (message === undefined) program.live[gw] = h;
        else program.rejected[gw] = { hash: h, message };
      }
    }
    return out;
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

function hash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 16);
}
