// The operator's Prometheus metrics, on one registry served at /metrics.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface OperatorMetrics {
  readonly registry: Registry;
  readonly reconciles: Counter<'result'>;
  readonly reconcileDuration: Histogram;
  readonly queueDepth: Gauge;
  readonly applies: Counter<'kind' | 'action'>;
  readonly statusWrites: Counter<'kind'>;
  readonly leader: Gauge;
  readonly watchErrors: Counter<'kind'>;
  readonly endpointPushes: Counter;
  readonly statusThrottled: Counter<'kind'>;
}

export function createMetrics(registry = new Registry(), defaults = true): OperatorMetrics {
  if (defaults) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    reconciles: new Counter({
      name: 'portico_reconcile_total',
      help: 'Reconciles run, by result (ok, error, skipped)',
      labelNames: ['result'],
      registers,
    }),
    reconcileDuration: new Histogram({
      name: 'portico_reconcile_duration_seconds',
      help: 'Time of one reconcile: snapshot, translate, apply, IPAM and status writes',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    queueDepth: new Gauge({ name: 'portico_workqueue_depth', help: 'Keys waiting or running', registers }),
    applies: new Counter({
      name: 'portico_apply_total',
      help: 'Server-side applies and prunes of owned objects',
      labelNames: ['kind', 'action'],
      registers,
    }),
    statusWrites: new Counter({
      name: 'portico_status_writes_total',
      help: 'Status subresource writes, by kind',
      labelNames: ['kind'],
      registers,
    }),
    leader: new Gauge({ name: 'portico_leader', help: '1 while this replica holds the Lease', registers }),
    watchErrors: new Counter({
      name: 'portico_watch_errors_total',
      help: 'List/watch failures (each followed by a retry with backoff)',
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
  };
}
