// Hands the IR to the ADS server and answers "which Gateways are programmed": a Gateway is
// programmed when every connected Envoy has ACKed a snapshot in which that Gateway's listeners
// are exactly what they are now. Per-Gateway hashes keep one Gateway's change from flipping
// every other Gateway's Programmed condition while Envoy catches up.
import { createHash } from 'node:crypto';
import type { IR } from '../ir/types.ts';
import type { Snapshot } from '../translate/types.ts';
import type { AdsServer } from '../xds/server.ts';
import { translateIr } from '../xds/translate.ts';
import type { XdsSink } from './reconciler.ts';

const KEEP_VERSIONS = 64;

export class AdsSink implements XdsSink {
  private current = '';
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
      for (const k of gws?.keys() ?? []) this.rejected.delete(k);
    });
  }

  get version(): string {
    return this.current;
  }

  push(ir: IR): void {
    // Every listener is serialized once, for its Gateway's hash and for the version: this runs on
    // every reconcile, and at thousands of routes serializing the IR twice showed in profiles.
    const byGateway = new Map<string, string[]>();
    const all = [
      ...ir.httpListeners,
      ...ir.tlsPassthroughListeners,
      ...(ir.tcpListeners ?? []),
      ...(ir.udpListeners ?? []),
    ];
    for (const l of all) {
      const k = `${l.gateway.namespace}/${l.gateway.name}`;
      byGateway.set(k, [...(byGateway.get(k) ?? []), JSON.stringify(l)]);
    }
    const gwHashes = new Map([...byGateway].map(([k, ls]) => [k, hash(`[${ls.join(',')}]`)]));
    const { httpListeners, tlsPassthroughListeners, tcpListeners, udpListeners, ...rest } = ir;
    const counts = [httpListeners, tlsPassthroughListeners, tcpListeners ?? [], udpListeners ?? []].map(
      (x) => x.length,
    );
    const version = hash(JSON.stringify([[...gwHashes].sort(), counts, rest]));
    if (version === this.current) return;
    this.versions.set(version, gwHashes);
    if (this.versions.size > KEEP_VERSIONS) this.versions.delete(this.versions.keys().next().value!);
    this.current = version;
    this.server.setSnapshot(translateIr(ir, version));
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

function hash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 16);
}
