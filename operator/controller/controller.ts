// Wires the loop: cache events -> coalescing queue -> reconcile; the Lease decides who writes.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { statusEqual, translate as defaultTranslate } from '../translate/index.ts';
import type { Snapshot, TranslateResult } from '../translate/types.ts';
import { Applier, SERVICE_ALLOCATED_FIELDS } from '../kube/apply.ts';
import { ClusterCache } from '../kube/cache.ts';
import { LeaderElector } from '../kube/lease.ts';
import { WorkQueue } from '../kube/queue.ts';
import { KubeClient } from '../kube/rest.ts';
import { StatusWriter, type WithStatus } from '../kube/status.ts';
import { EventRecorder, conditionTransitions } from '../kube/events.ts';
import { RESOURCES } from '../kube/resources.ts';
import { IPAM_CONDITION } from '../ipam/index.ts';
import type { OperatorMetrics } from '../metrics.ts';
import type { LbAllocator } from './lb-status.ts';
import { Reconciler, type ReconcileSummary, type XdsSink } from './reconciler.ts';

export interface ControllerOptions {
  kubeConfig: KubeConfig;
  logger: Logger;
  metrics: OperatorMetrics;
  /** Lease coordinates; without them this replica always leads (single-replica mode). */
  lease?: { namespace: string; name: string; identity: string; durationMs?: number; retryMs?: number };
  allocate?: LbAllocator;
  xds?: XdsSink;
  translate?: (s: Snapshot) => TranslateResult;
  /** Re-reconcile this often even without events (drift the watches cannot see). @default 60000 */
  resyncMs?: number;
  /** Full relist period of every watch. @default 300000 */
  relistMs?: number;
  quietMs?: number;
  maxDelayMs?: number;
}

const KEY = 'cluster';

/** Conditions whose flips become Kubernetes Events, per kind. */
const EVENT_CONDITIONS: Record<string, readonly string[]> = {
  Gateway: ['Accepted', 'Programmed'],
  Service: [IPAM_CONDITION],
};
const RESOURCES_BY_KIND: Record<string, string> = {
  Gateway: RESOURCES.gateways.apiVersion,
  Service: RESOURCES.services.apiVersion,
};

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

  constructor(private readonly opts: ControllerOptions) {
    const { logger, metrics } = opts;
    this.log = logger;
    this.client = new KubeClient(opts.kubeConfig);
    this.cache = new ClusterCache(this.client, opts.kubeConfig, {
      logger: logger.child({ component: 'watch' }),
      resyncMs: opts.relistMs,
      onError: (kind) => metrics.watchErrors.inc({ kind }),
    });
    this.events = new EventRecorder(this.client, logger.child({ component: 'events' }));
    this.statusWriter = new StatusWriter(this.client, {
      logger: logger.child({ component: 'status' }),
      equal: statusEqual,
      onWrite: (kind) => metrics.statusWrites.inc({ kind }),
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
    this.queue = new WorkQueue(() => this.runReconcile(), {
      quietMs: opts.quietMs,
      maxDelayMs: opts.maxDelayMs,
      // Every event funnels into one key: a long backoff would delay every other change.
      retryMaxMs: 5000,
      onError: (_key, err, attempt) => {
        metrics.reconciles.inc({ result: 'error' });
        logger.warn({ err: String(err), attempt }, 'reconcile failed, will retry');
      },
    });
    this.cache.onChange(() => this.enqueue());
  }

  get ready(): boolean {
    return this.cache.synced;
  }

  get isLeader(): boolean {
    return this.elector?.isLeader ?? true;
  }

  /** Asks for a reconcile (coalesced with any other request in the quiet period). */
  enqueue(): void {
    this.queue.add(KEY);
    this.opts.metrics.queueDepth.set(this.queue.depth);
  }

  async start(): Promise<void> {
    this.cache.start();
    this.elector?.start();
    const every = this.opts.resyncMs ?? 60000;
    this.resyncTimer = setInterval(() => this.enqueue(), every);
    await this.cache.waitForSync();
    this.opts.logger.info('caches synced');
    this.enqueue();
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

  private recordTransitions(kind: string, live: WithStatus, status: Record<string, unknown>): void {
    const types = EVENT_CONDITIONS[kind];
    if (!types) return;
    for (const c of conditionTransitions(live.status, status, types)) {
      const ok = c.status === 'True';
      this.events.record(
        { apiVersion: RESOURCES_BY_KIND[kind], kind, metadata: live.metadata },
        ok ? 'Normal' : 'Warning',
        ok ? (c.type ?? 'Condition').replace(/^.*\//, '') : (c.reason ?? 'NotReady'),
        c.message ?? '',
      );
    }
  }

  private async runReconcile(): Promise<void> {
    const { metrics } = this.opts;
    metrics.queueDepth.set(this.queue.depth);
    if (!this.cache.synced) return; // waitForSync enqueues once every cache is filled
    const end = metrics.reconcileDuration.startTimer();
    try {
      this.lastSummary = await this.reconciler.reconcile();
      metrics.reconciles.inc({ result: 'ok' });
    } finally {
      end();
    }
  }
}
