// HTTPRoute rules[].timeouts and rules[].retry (experimental channel) -> the IR's route timeout and
// retry policy. Both are read together: with retries, backendRequest bounds each attempt.
import type { RetryPolicy } from '../ir/types.ts';
import { durationMs } from '../../constructs/duration.ts';
import { arr, int, obj, str } from './read.ts';

/** Envoy's own default when `attempts` is left out (the spec leaves it to the implementation). */
export const DEFAULT_RETRY_ATTEMPTS = 1;

export interface RuleTiming {
  /** The whole exchange, retries included, in ms; absent: no limit. */
  readonly timeoutMs?: number;
  readonly retry?: RetryPolicy;
}

function duration(text: string | undefined, field: string, fail: (message: string) => never) {
  if (text === undefined) return undefined;
  const ms = durationMs(text);
  if (ms === undefined) fail(`${field} ${JSON.stringify(text)} is not a duration`);
  return ms;
}

/**
 * `request` bounds the whole exchange and `backendRequest` one request to a backend. Without
 * retries both bound the same wait, so the shorter wins; with retries, backendRequest is each
 * attempt's limit. `0s` or absent: none. `fail` reports a value the route cannot have.
 */
export function ruleTiming(timeouts: unknown, retry: unknown, fail: (message: string) => never): RuleTiming {
  const t = obj(timeouts);
  const request = duration(str(t.request), 'timeouts.request', fail) || undefined;
  const backend = duration(str(t.backendRequest), 'timeouts.backendRequest', fail) || undefined;
  if (retry === undefined || retry === null) {
    const limits = [request, backend].filter((ms): ms is number => ms !== undefined);
    return limits.length ? { timeoutMs: Math.min(...limits) } : {};
  }
  const r = obj(retry);
  const statusCodes = arr(r.codes).map((c) => {
    const code = int(c);
    if (code === undefined || code < 400 || code > 599)
      fail(`retry.codes ${JSON.stringify(c)} is not an HTTP status code from 400 to 599`);
    return code;
  });
  const attempts = r.attempts === undefined || r.attempts === null ? DEFAULT_RETRY_ATTEMPTS : int(r.attempts);
  if (attempts === undefined || attempts < 1)
    fail(`retry.attempts ${JSON.stringify(r.attempts)} must be a whole number of at least 1`);
  const backoffMs = duration(str(r.backoff), 'retry.backoff', fail) || undefined;
  return {
    ...(request !== undefined ? { timeoutMs: request } : {}),
    retry: {
      statusCodes: [...new Set(statusCodes)].sort((a, b) => a - b),
      attempts,
      ...(backoffMs !== undefined ? { backoffMs } : {}),
      ...(backend !== undefined ? { perTryTimeoutMs: backend } : {}),
    },
  };
}
