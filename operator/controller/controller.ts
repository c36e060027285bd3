// Wires the loop: cache events -> coalescing queue -> reconcile; the Lease decides who writes.
import type { Logger } from 'pino';
import { statusEqual, translate as defaultTranslate } from '../translate/index.ts';
import type { Snapshot, TranslateResult } from '../translate/types.ts';
import { CONTROLLER_NAME } from '../translate/types.ts';
import { Applier, SERVICE_ALLOCATED_FIELDS } from '../kube/apply.ts';
import { ClusterCache } from '../kube/cache.ts';
import { LeaderElector } from '../kube/lease.ts';
import { WorkQueue } from '../kube/queue.ts';
import { KubeClient } from '../kube/rest.ts';
import type { ClusterAccess } from '../kube/config.ts';
import { StaleCacheError, StatusWriter, type WithStatus } from '../kube/status.ts';
import { EventRecorder, routeEvents, transitionEvents } from '../kube/events.ts';
import { RESOURCES, type KubeObject, type ResourceKey } from '../kube/resources.ts';
import type { EventType } from '../kube/reflector.ts';
import { IPAM_CONDITION } from '../ipam/index.ts';
import type { OperatorMetrics } from '../metrics.ts';
import type { LbAllocator } from './lb-status.ts';
import { EndpointIndex, rebuildClusters, type EndpointSink } from './endpoints.ts';
import {
  ReconcileError,
  Reconciler,
  type ReconcileSummary,
  type Translated,
  type XdsSink,
} from './reconciler.ts';

export interface ControllerOptions {
  kubeConfig: ClusterAccess;
  logger: Logger;
  metrics: OperatorMetrics;
  /** Lease coordinates; without them this replica always leads (single-replica mode). */
  lease?: { namespace: string; name: string; identity: string; durationMs?: number; retryMs?: number };
  allocate?: LbAllocator;
  xds?: XdsSink;
  /** The endpoint path's sink: EndpointSlice changes skip translation and go straight to EDS. */
  endpoints?: EndpointSink;
  translate?: (s: Snapshot) => TranslateResult;
  /** Re-reconcile this often even without events (drift the watches cannot see). @default 60000 */
  resyncMs?: number;
  /** Full relist period of every watch. @default none: watches resume from their resourceVersion */
  relistMs?: number;
  /** Once a burst has spent its allowance, the least time between two reconciles (see WorkQueue). @default 20 */
  minIntervalMs?: number;
}

// Two keys: translate + push (every replica), then the leader's API writes from the newest
// translation. The writes run beside the next translation instead of ahead of it.
const KEY = 'cluster';
const WRITES = 'writes';
const ENDPOINTS = 'endpoints';
/** How long statuses wait for Envoy's ACK of a push before they are written anyway. */
const ACK_WAIT_MS = 250;
/**
 * Gateway API objects whose generation did not move changed only in status or metadata. When the
 * status is the one we last wrote (our own write coming back) and the labels and annotations are
 * as before, translation would find nothing new: no reconcile. Other status-only changes wait this
 * long and share a reconcile with whatever else comes, leaving the CPU to changes that do.
 */
const ECHO_DELAY_MS = 30;
const ECHO_KINDS: ReadonlySet<ResourceKey> = new Set([
  'gatewayClasses',
  'gateways',
  'httpRoutes',
  'grpcRoutes',
  'tlsRoutes',
  'tcpRoutes',
  'udpRoutes',
]);

/** Conditions whose flips become Kubernetes Events, per kind. */
const EVENT_CONDITIONS: Record<string, readonly string[]> = {
  Gateway: ['Accepted', 'Programmed'],
  Service: [IPAM_CONDITION],
};
const RESOURCES_BY_KIND: Record<string, string> = {
  Gateway: RESOURCES.gateways.apiVersion,
  Service: RESOURCES.services.apiVersion,
  HTTPRoute: RESOURCES.httpRoutes.apiVersion,
  GRPCRoute: RESOURCES.grpcRoutes.apiVersion,
  TLSRoute: RESOURCES.tlsRoutes.apiVersion,
  TCPRoute: RESOURCES.tcpRoutes.apiVersion,
  UDPRoute: RESOURCES.udpRoutes.apiVersion,
};
const ROUTE_KINDS = new Set(['HTTPRoute', 'GRPCRoute', 'TLSRoute', 'TCPRoute', 'UDPRoute']);

export class Controller {
  readonly client: KubeClient;
  readonly cache: ClusterCache;
  readonly statusWriter: StatusWriter;
  readonly elector: LeaderElector | undefined;
  readonly events: EventRecorder;
  readonly log: Logger;
  private readonly queue: WorkQueue;
  private readonly reconciler: Reconciler;
  private resyncTimer: NodeJS.Timeout | undefined;
  lastSummary: ReconcileSummary | undefined;
  private latest: Translated | undefined;
  /** A status write met a newer version than the cache holds (409): the next event reconciles. */
  private writesRaced = false;
  /** Whether a reconcile was asked for since the last translation began. */
  private stale = true;
  private readonly endpointIndex = new EndpointIndex();

  constructor(private readonly opts: ControllerOptions) {
    const { logger, metrics } = opts;
    this.log = logger;
    this.client = new KubeClient(opts.kubeConfig);
    this.cache = new ClusterCache(this.client, {
      logger: logger.child({ component: 'watch' }),
      resyncMs: opts.relistMs,
      onError: (kind) => metrics.watchErrors.inc({ kind }),
    });
    this.events = new EventRecorder(this.client, logger.child({ component: 'events' }));
    this.statusWriter = new StatusWriter(this.client, {
      logger: logger.child({ component: 'status' }),
      equal: statusEqual,
      onWrite: (kind) => metrics.statusWrites.inc({ kind }),
      onThrottled: (kind) => metrics.statusThrottled.inc({ kind }),
      onSkip: (kind, reason) => metrics.statusSkips.inc({ kind, reason }),
      onWritten: (type, live, status) => this.recordTransitions(type.kind, live, status),
    });
    const applier = new Applier(this.client, {
      logger: logger.child({ component: 'apply' }),
      onApply: (kind, action) => metrics.applies.inc({ kind, action }),
      allocatedFields: { Service: SERVICE_ALLOCATED_FIELDS },
    });
    if (opts.lease) {
      this.elector = new LeaderElector(this.client, {
        ...opts.lease,
        leaseDurationMs: opts.lease.durationMs,
        logger: logger.child({ component: 'lease' }),
        onStartedLeading: () => {
          metrics.leader.set(1);
          this.enqueue();
        },
        onStoppedLeading: () => metrics.leader.set(0),
      });
    } else {
      metrics.leader.set(1);
    }
    this.reconciler = new Reconciler({
      cache: this.cache,
      translate: opts.translate ?? defaultTranslate,
      applier,
      statusWriter: this.statusWriter,
      isLeader: () => this.elector?.isLeader ?? true,
      logger: logger.child({ component: 'reconcile' }),
      allocate: opts.allocate,
      xds: opts.xds,
    });
    const work: Record<string, () => Promise<void>> = {
      [WRITES]: () => this.runWrites(),
      [ENDPOINTS]: () => this.runEndpoints(),
    };
    this.queue = new WorkQueue((key) => (work[key] ?? (() => this.runReconcile()))(), {
      minIntervalMs: opts.minIntervalMs,
      // A stream of changes (1,000 routes created at once) gets at most half the time for whole
      // translations; the rest goes to the status writes and pushes they cause.
      busyShare: { [KEY]: 0.5 },
      // Every event funnels into one key: a long backoff would delay every other change.
      retryMaxMs: 5000,
      onError: (key, err, attempt) => {
        metrics.reconciles.inc({ phase: key === WRITES ? 'write' : 'translate', result: 'error' });
        logger.warn({ key, err: String(err), attempt }, 'reconcile failed, will retry');
      },
    });
    this.cache.onChange((key, type, obj) => {
      if (key === 'endpointSlices' && opts.endpoints) {
        if (this.endpointIndex.update(type, obj)) this.queue.add(ENDPOINTS);
        return;
      }
      const kept = this.specKept(key, type, obj);
      if (kept && this.statusWriter.isEcho(RESOURCES[key], obj as WithStatus) && !this.writesRaced) {
        metrics.echoesSkipped.inc({ kind: RESOURCES[key].kind });
        return;
      }
      this.writesRaced = false;
      this.enqueue(kept ? ECHO_DELAY_MS : 0);
    });
  }

  get ready(): boolean {
    return this.cache.synced;
  }

  get isLeader(): boolean {
    return this.elector?.isLeader ?? true;
  }

  /** Asks for a reconcile, at once or after `delayMs` (coalesced with requests made meanwhile). */
  enqueue(delayMs = 0): void {
    this.stale = true;
    this.queue.add(KEY, delayMs);
    this.opts.metrics.queueDepth.set(this.queue.depth);
  }

  async start(): Promise<void> {
    this.cache.start();
    this.elector?.start();
    const every = this.opts.resyncMs ?? 60000;
    this.resyncTimer = setInterval(() => this.resync(), every);
    await this.cache.waitForSync();
    this.opts.logger.info('caches synced');
    this.enqueue();
  }

  /**
   * The periodic pass. With no event since the last translation, translating again would give the
   * same result (every input is the same object): only the writes run again, so a status write
   * that failed is retried. At 10,000 routes this is most of the CPU at rest.
   */
  private resync(): void {
    if (this.stale || !this.latest) this.enqueue();
    else this.queue.add(WRITES);
  }

  /** Resolves when no reconcile is pending or running. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  async stop(): Promise<void> {
    clearInterval(this.resyncTimer);
    this.queue.close();
    this.cache.stop();
    await this.elector?.stop();
    this.client.close();
  }

  /** Per object uid: its generation, labels and annotations as last seen. */
  private readonly shapes = new Map<string, string>();

  /** A modification that kept the spec (generation), labels, annotations and deletion mark. */
  private specKept(key: ResourceKey, type: EventType, obj: KubeObject): boolean {
    const m = obj.metadata ?? {};
    if (!ECHO_KINDS.has(key) || !m.uid || m.generation === undefined) return false;
    if (type === 'DELETED') {
      this.shapes.delete(m.uid);
      return false;
    }
    const shape = JSON.stringify([m.generation, m.labels, m.annotations, m.deletionTimestamp ?? null]);
    const before = this.shapes.get(m.uid);
    this.shapes.set(m.uid, shape);
    return type === 'MODIFIED' && before === shape;
  }

  private recordTransitions(kind: string, live: WithStatus, status: Record<string, unknown>): void {
    const types = EVENT_CONDITIONS[kind];
    const events = ROUTE_KINDS.has(kind)
      ? routeEvents(live.status, status, live.metadata?.namespace ?? 'default', CONTROLLER_NAME)
      : types
        ? transitionEvents(live.status, status, types)
        : [];
    for (const e of events)
      void this.events.record(
        { apiVersion: RESOURCES_BY_KIND[kind], kind, metadata: live.metadata },
        e.type,
        e.reason,
        e.message,
      );
  }

  private async runReconcile(): Promise<void> {
    const { metrics } = this.opts;
    metrics.queueDepth.set(this.queue.depth);
    // waitForSync enqueues once every cache is filled
    if (!this.cache.synced) return void metrics.reconciles.inc({ phase: 'translate', result: 'skipped' });
    const end = metrics.reconcileDuration.startTimer({ phase: 'translate' });
    const before = this.opts.xds?.programmed()?.acked ?? [];
    this.stale = false;
    try {
      this.latest = this.reconciler.translateAndPush();
      metrics.reconciles.inc({ phase: 'translate', result: 'ok' });
    } catch (err) {
      this.stale = true;
      throw err;
    } finally {
      end();
    }
    // A push Envoy has yet to ACK: write once the ACK's reconcile comes (it adds WRITES at once),
    // so the writes leave the CPU to Envoy while it applies the change, and a Gateway's
    // Programmed does not flap False for those few milliseconds.
    const acked = new Set(this.opts.xds?.programmed()?.acked ?? []);
    this.queue.add(WRITES, before.some((g) => !acked.has(g)) ? ACK_WAIT_MS : 0);
  }

  /** The endpoint path: rebuild the changed Services' clusters and push them, no translation. */
  private async runEndpoints(): Promise<void> {
    const sink = this.opts.endpoints;
    const changed = this.endpointIndex.flush();
    const current = sink?.clusters();
    if (!sink || !current || changed.size === 0) return;
    const services = this.cache.reflectors.services;
    const updated = rebuildClusters(current, changed, (ns, name) => services.get(`${ns}/${name}`));
    if (sink.pushEndpoints(updated)) this.opts.metrics.endpointPushes.inc();
  }

  private async runWrites(): Promise<void> {
    const { metrics } = this.opts;
    if (!this.latest || !this.isLeader)
      return void metrics.reconciles.inc({ phase: 'write', result: 'skipped' });
    const end = metrics.reconcileDuration.startTimer({ phase: 'write' });
    try {
      this.lastSummary = await this.reconciler.write(this.latest);
      metrics.reconciles.inc({ phase: 'write', result: 'ok' });
    } catch (err) {
      // A 409 means the watch has not delivered a newer version yet; its event reconciles again
      // (even an echo of our own write), so a backoff retry would only hold later writes back.
      if (!(err instanceof ReconcileError && err.causes.every((c) => c instanceof StaleCacheError)))
        throw err;
      metrics.reconciles.inc({ phase: 'write', result: 'conflict' });
      // The newer version may already be in the cache (its event came while these writes ran from
      // an older snapshot, maybe skipped as an echo): no event is left to wait for, go again now.
      const cached = (key: ResourceKey, name: string) => this.cache.reflectors[key].get(name);
      if (cacheMovedPast(err.causes as StaleCacheError[], cached)) this.enqueue();
      // Else the event that brings it may be our own earlier write: it must not be skipped.
      else this.writesRaced = true;
      this.log.debug({ err: String(err) }, 'status writes raced the watch; waiting for its event');
    } finally {
      end();
    }
  }
}

/**
 * After status writes met 409s: whether the cache already holds another version of one of the
 * objects than the one a write was based on (its event has come, and may have been skipped).
 */
export function cacheMovedPast(
  conflicts: readonly StaleCacheError[],
  cached: (key: ResourceKey, name: string) => { metadata?: { resourceVersion?: string } } | undefined,
): boolean {
  return conflicts.some((c) => {
    const key = (Object.keys(RESOURCES) as ResourceKey[]).find((k) => RESOURCES[k] === c.type);
    const m = c.stale?.metadata;
    if (!key || !m) return true;
    const now = cached(key, m.namespace ? `${m.namespace}/${m.name ?? ''}` : (m.name ?? ''));
    return now?.metadata?.resourceVersion !== m.resourceVersion;
  });
}
