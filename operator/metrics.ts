// The operator's Prometheus metrics, on one registry served at /metrics. Each help text says
// exactly when the metric moves; tests/operator-metrics.test.ts checks them on a running operator.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The two halves of a reconcile (see controller.ts): translate + push on every replica, writes on the leader. */
export type ReconcilePhase = 'translate' | 'write';

export interface OperatorMetrics {
  readonly registry: Registry;
  readonly reconciles: Counter<'phase' | 'result'>;
  readonly reconcileDuration: Histogram<'phase'>;
  readonly queueDepth: Gauge;
  readonly applies: Counter<'kind' | 'action'>;
  readonly statusWrites: Counter<'kind'>;
  readonly statusSkips: Counter<'kind' | 'reason'>;
  readonly leader: Gauge;
  readonly watchErrors: Counter<'kind'>;
  readonly endpointPushes: Counter;
  readonly statusThrottled: Counter<'kind'>;
  readonly echoesSkipped: Counter<'kind'>;
}

export function createMetrics(registry = new Registry(), defaults = true): OperatorMetrics {
  if (defaults) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    reconciles: new Counter({
      name: 'portico_reconcile_total',
      help:
        'Reconcile runs, by phase (translate: snapshot, translate, push to Envoy; write: owned objects, ' +
        'IPAM, statuses) and result (ok; error: failed, retried with backoff; conflict: a status write ' +
        'met a newer object, redone on its watch event; skipped: caches not synced, or not the leader)',
      labelNames: ['phase', 'result'],
      registers,
    }),
    reconcileDuration: new Histogram({
      name: 'portico_reconcile_duration_seconds',
      help: 'Time of one reconcile run, by phase (as portico_reconcile_total), skipped runs excluded',
      labelNames: ['phase'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    queueDepth: new Gauge({
      name: 'portico_workqueue_depth',
      help: 'Reconcile keys waiting or running',
      registers,
    }),
    applies: new Counter({
      name: 'portico_apply_total',
      help: 'Owned objects server-side-applied (action apply) or pruned (action prune), by kind',
      labelNames: ['kind', 'action'],
      registers,
    }),
    statusWrites: new Counter({
      name: 'portico_status_writes_total',
      help: 'Status subresource writes sent and accepted, by kind',
      labelNames: ['kind'],
      registers,
    }),
    statusSkips: new Counter({
      name: 'portico_status_writes_skipped_total',
      help:
        'Status writes not sent or not accepted, by kind and reason (unchanged: the status is already ' +
        'current; unseen: our last write has not come back on the watch yet; conflict: the object ' +
        'changed meanwhile; gone: the object was deleted)',
      labelNames: ['kind', 'reason'],
      registers,
    }),
    leader: new Gauge({ name: 'portico_leader', help: '1 while this replica holds the Lease', registers }),
    watchErrors: new Counter({
      name: 'portico_watch_errors_total',
      help: 'List/watch failures, by kind (each followed by a retry with backoff)',
      labelNames: ['kind'],
      registers,
    }),
    endpointPushes: new Counter({
      name: 'portico_endpoint_pushes_total',
      help: 'EndpointSlice changes sent to Envoy as EDS alone, without translating routes',
      registers,
    }),
    statusThrottled: new Counter({
      name: 'portico_status_throttled_total',
      help: 'Status writes the API server turned away for load (429/503), retried after Retry-After',
      labelNames: ['kind'],
      registers,
    }),
    echoesSkipped: new Counter({
      name: 'portico_status_echoes_total',
      help: 'Watch events that only brought back our own status write: no reconcile was started',
      labelNames: ['kind'],
      registers,
    }),
  };
}
