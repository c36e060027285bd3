// IR retry policy -> Envoy's route retry_policy. Pure.
import type { RetryPolicy } from '../ir/index.ts';
import type { Duration } from '../envoy/generated/google/protobuf/Duration.ts';
import type { RetryPolicy as EnvoyRetryPolicy } from '../envoy/generated/envoy/config/route/v3/RetryPolicy.ts';

export function durationOf(ms: number): Duration {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

/**
 * Connection errors are always retried (HTTPRouteRetryConnectionError): a refused or failed
 * connect, a reset, and a per-try timeout (Envoy counts that under `reset`); then the listed codes.
 */
export function envoyRetryPolicy(r: RetryPolicy): EnvoyRetryPolicy {
  const on = ['connect-failure', 'refused-stream', 'reset'];
  if (r.statusCodes.length) on.push('retriable-status-codes');
  return {
    retry_on: on.join(','),
    num_retries: { value: r.attempts },
    ...(r.statusCodes.length ? { retriable_status_codes: [...r.statusCodes] } : {}),
    // Envoy's backoff is exponential from base_interval, capped at 10x: never shorter than asked.
    ...(r.backoffMs ? { retry_back_off: { base_interval: durationOf(r.backoffMs) } } : {}),
    ...(r.perTryTimeoutMs ? { per_try_timeout: durationOf(r.perTryTimeoutMs) } : {}),
  };
}
