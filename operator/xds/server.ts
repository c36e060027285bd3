import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import { pino, type Logger } from 'pino';
import { Counter, Gauge, Registry } from 'prom-client';
import { envoyRoot } from '../envoy/codec.ts';
import { encodeSnapshot, type EncodedSnapshot, type Snapshot } from './snapshot.ts';
import { AdsStream } from './stream.ts';
import type { AdsCall, AdsWire, DeltaAdsCall, NackEvent, RejectedResource } from './types.ts';

export type { NackEvent, RejectedResource } from './types.ts';

export interface AckEvent {
  nodeId: string;
  version: string;
}

/** A snapshot pushed through every type to one Envoy; `rejected` is empty when it was all ACKed. */
export interface AppliedEvent {
  nodeId: string;
  version: string;
  rejected: RejectedResource[];
}

/** PEM files of the operator's xDS identity and of the CA that signs Envoy's client certificates. */
export interface XdsTlsFiles {
  certFile: string;
  keyFile: string;
  caFile: string;
  /** @default 60000 */
  refreshIntervalMs?: number;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export interface AdsServerOptions {
  logger?: Logger;
  /** Registry for `portico_xds_*` metrics. @default a private registry */
  registry?: Registry;
}

export interface AdsServerEvents {
  ack: [AckEvent];
  applied: [AppliedEvent];
  nack: [NackEvent];
  connect: [{ nodeId: string; delta: boolean }];
  disconnect: [{ nodeId: string }];
}

type WireOptions = protobuf.IConversionOptions;

// As @grpc/proto-loader would give them (longs and enums as strings, defaults and oneofs set), but
// from the codec's schema: one parsed copy of Envoy's protos, not a second protobufjs and schema.
const WIRE: WireOptions = { longs: String, enums: String, defaults: true, oneofs: true };

function method(name: string, request: string, response: string): grpc.MethodDefinition<object, object> {
  const req = envoyRoot().lookupType(request);
  const res = envoyRoot().lookupType(response);
  return {
    path: `/envoy.service.discovery.v3.AggregatedDiscoveryService/${name}`,
    requestStream: true,
    responseStream: true,
    requestSerialize: (m) => Buffer.from(req.encode(req.fromObject(m)).finish()),
    requestDeserialize: (b) => req.toObject(req.decode(b), WIRE),
    responseSerialize: (m) => Buffer.from(res.encode(res.fromObject(m)).finish()),
    responseDeserialize: (b) => res.toObject(res.decode(b), WIRE),
  };
}

/** The ADS gRPC service definition (both bidirectional methods). */
export function loadAdsService(): grpc.ServiceDefinition {
  const v3 = 'envoy.service.discovery.v3';
  return {
    StreamAggregatedResources: method(
      'StreamAggregatedResources',
      `${v3}.DiscoveryRequest`,
      `${v3}.DiscoveryResponse`,
    ),
    DeltaAggregatedResources: method(
      'DeltaAggregatedResources',
      `${v3}.DeltaDiscoveryRequest`,
      `${v3}.DeltaDiscoveryResponse`,
    ),
  };
}

/**
 * Aggregated Discovery Service, State of the World or Delta (the Envoy bootstrap picks).
 * `setSnapshot` replaces the desired config; every connected Envoy receives it type by type
 * (clusters -> endpoints -> secrets -> listeners -> routes), and `ack` fires per node once all of
 * it is acknowledged. A NACK keeps the last good config serving.
 */
export class AdsServer extends EventEmitter<AdsServerEvents> {
  readonly log: Logger;
  readonly registry: Registry;
  // Pings find Envoys that vanished without closing their stream (node lost, network cut).
  private readonly grpcServer = new grpc.Server({
    'grpc.keepalive_time_ms': 30000,
    'grpc.keepalive_timeout_ms': 10000,
  });
  private readonly streams = new Set<AdsStream>();
  private certProvider: grpc.experimental.FileWatcherCertificateProvider | undefined;
  private snapshot: EncodedSnapshot | undefined;
  private readonly versionSeq = new Map<string, number>();
  private nextSeq = 0;
  private readonly nacks: Counter<'type'>;
  nackCount = 0;

  constructor(opts: AdsServerOptions = {}) {
    super();
    this.log = opts.logger ?? pino({ name: 'xds', level: process.env.LOG_LEVEL ?? 'info' });
    this.registry = opts.registry ?? new Registry();
    this.nacks = new Counter({
      name: 'portico_xds_nacks_total',
      help: 'xDS responses rejected by Envoy',
      labelNames: ['type'],
      registers: [this.registry],
    });
    const streams = this.streams;
    new Gauge({
      name: 'portico_xds_streams',
      help: 'Connected ADS streams',
      registers: [this.registry],
      collect() {
        this.set(streams.size);
      },
    });
    this.grpcServer.addService(loadAdsService(), {
      StreamAggregatedResources: (call: AdsCall) => this.onStream({ delta: false, call }),
      DeltaAggregatedResources: (call: DeltaAdsCall) => this.onStream({ delta: true, call }),
    });
  }

  /**
   * Binds the gRPC server with mutual TLS: the server certificate from `tls`, and only clients whose
   * certificate `tls.caFile` signed get in. The files are re-read every `refreshIntervalMs`, so a
   * renewed certificate (a Secret volume update) is served without a restart. Returns the port.
   */
  listen(host: string, port: number, tls: XdsTlsFiles): Promise<number> {
    this.certProvider = new grpc.experimental.FileWatcherCertificateProvider({
      certificateFile: tls.certFile,
      privateKeyFile: tls.keyFile,
      caCertificateFile: tls.caFile,
      refreshIntervalMs: tls.refreshIntervalMs ?? 60000,
    });
    const creds = grpc.experimental.createCertificateProviderServerCredentials(
      this.certProvider,
      this.certProvider,
      true,
    );
    return this.bind(`${host}:${port}`, creds);
  }

  /**
   * Plain-text gRPC, for the host-process test harness only: refuses any address but loopback, so
   * Envoy's configuration (private keys included) never crosses a network unencrypted.
   */
  listenPlaintextLoopback(host: string, port = 0): Promise<number> {
    if (!isLoopback(host)) {
      return Promise.reject(
        new Error(`plain-text xDS is for the local harness on loopback only, refused on "${host}"`),
      );
    }
    return this.bind(`${host}:${port}`, grpc.ServerCredentials.createInsecure());
  }

  private bind(address: string, creds: grpc.ServerCredentials): Promise<number> {
    return new Promise((resolve, reject) => {
      this.grpcServer.bindAsync(address, creds, (err, bound) => (err ? reject(err) : resolve(bound)));
    });
  }

  /**
   * Replaces the desired config. Resources, and the records holding them, must not be mutated after
   * this call (encodings are cached per object).
   */
  setSnapshot(snapshot: Snapshot): void {
    const encoded = encodeSnapshot(snapshot, ++this.nextSeq);
    this.versionSeq.set(snapshot.version, encoded.seq);
    // Bounded: waitForAck only needs recent versions.
    if (this.versionSeq.size > 1024) this.versionSeq.delete(this.versionSeq.keys().next().value!);
    this.snapshot = encoded;
    for (const s of this.streams) s.kick();
  }

  /** Version of the newest snapshot this node has fully ACKed, if it is connected. */
  ackedVersion(nodeId: string): string | undefined {
    let best: EncodedSnapshot | undefined;
    for (const s of this.streams) {
      if (s.nodeId !== nodeId || !s.ackedSnapshot) continue;
      if (!best || s.ackedSnapshot.seq > best.seq) best = s.ackedSnapshot;
    }
    return best?.version;
  }

  /**
   * Per-node state for Gateway conditions: the newest fully ACKed snapshot, the newest one pushed
   * through every type, and the resources Envoy still refuses (map them with `resourceGateways`).
   */
  nodeStatus(nodeId: string): {
    ackedVersion?: string;
    appliedVersion?: string;
    rejected: RejectedResource[];
  } {
    let best: AdsStream | undefined;
    for (const s of this.streams) {
      if (s.nodeId !== nodeId || !s.appliedSnapshot) continue;
      if (!best || s.appliedSnapshot.seq > best.appliedSnapshot!.seq) best = s;
    }
    return {
      ackedVersion: this.ackedVersion(nodeId),
      appliedVersion: best?.appliedSnapshot?.version,
      rejected: best?.rejected() ?? [],
    };
  }

  /** Node ids with a live ADS stream. */
  connectedNodes(): string[] {
    return [...new Set([...this.streams].map((s) => s.nodeId).filter((id) => id))];
  }

  /**
   * Resolves once `version` (or a newer snapshot) is ACKed by `nodeId`, or by every connected node
   * (at least one); rejects on a NACK of that version or after `timeoutMs`.
   */
  waitForAck(version: string, opts: { nodeId?: string; timeoutMs?: number } = {}): Promise<void> {
    const want = this.versionSeq.get(version);
    if (want === undefined) return Promise.reject(new Error(`unknown snapshot version ${version}`));
    const done = (): boolean => {
      const nodes = opts.nodeId ? [opts.nodeId] : this.connectedNodes();
      return nodes.length > 0 && nodes.every((id) => this.ackedSeq(id) >= want);
    };
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        this.off('ack', onAck);
        this.off('nack', onNack);
      };
      const onAck = () => {
        if (done()) {
          cleanup();
          resolve();
        }
      };
      const onNack = (e: NackEvent) => {
        if (this.versionSeq.get(e.snapshotVersion) === want && (!opts.nodeId || e.nodeId === opts.nodeId)) {
          cleanup();
          reject(new Error(`node ${e.nodeId} rejected ${e.kind} of snapshot ${version}: ${e.message}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ACK of snapshot ${version}`));
      }, opts.timeoutMs ?? 10000);
      this.on('ack', onAck);
      this.on('nack', onNack);
    });
  }

  /** Ends every stream and stops listening; Envoys keep their config and reconnect with backoff. */
  async stop(): Promise<void> {
    for (const s of this.streams) s.terminate();
    this.streams.clear();
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.grpcServer.forceShutdown();
        resolve();
      }, 1000);
      this.grpcServer.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  private ackedSeq(nodeId: string): number {
    let best = -1;
    for (const s of this.streams) {
      if (s.nodeId === nodeId && s.ackedSnapshot) best = Math.max(best, s.ackedSnapshot.seq);
    }
    return best;
  }

  private onStream(wire: AdsWire): void {
    const { call } = wire;
    const stream = new AdsStream(
      wire,
      {
        current: () => this.snapshot,
        onAck: (s, snap) => {
          this.log.info({ nodeId: s.nodeId, version: snap.version }, 'envoy acknowledged snapshot');
          this.emit('ack', { nodeId: s.nodeId, version: snap.version });
        },
        onApplied: (s, snap, rejected) => {
          this.emit('applied', { nodeId: s.nodeId, version: snap.version, rejected });
        },
        onNack: (e) => {
          this.nackCount++;
          this.nacks.inc({ type: e.kind });
          this.emit('nack', e);
        },
      },
      this.log,
    );
    this.streams.add(stream);
    let announced = false;
    const onData = () => {
      if (!announced && stream.nodeId) {
        announced = true;
        this.log.info({ nodeId: stream.nodeId, peer: call.getPeer(), delta: wire.delta }, 'envoy connected');
        this.emit('connect', { nodeId: stream.nodeId, delta: wire.delta });
      }
    };
    if (wire.delta) {
      wire.call.on('data', (req) => {
        stream.onDeltaRequest(req);
        onData();
      });
    } else {
      wire.call.on('data', (req) => {
        stream.onRequest(req);
        onData();
      });
    }
    const end = () => {
      if (stream.closed) return;
      stream.close();
      this.streams.delete(stream);
      this.log.info({ nodeId: stream.nodeId }, 'envoy disconnected');
      this.emit('disconnect', { nodeId: stream.nodeId });
      call.end();
    };
    call.on('end', end);
    call.on('error', end);
    call.on('cancelled', end);
  }
}
