// HTTPRoute rules[].retry: a field of the Gateway API's experimental channel (the cluster needs its
// CRDs, e.g. `portico up --gateway-api-channel experimental`). The imported types come from the
// standard channel, so the wire shape is written here.
import type { IConstruct } from 'constructs';
import { invalid } from './errors.ts';
import * as gwapi from './imports/gateway.networking.k8s.io.ts';
import { checkKeys, KEYS } from './keys.ts';
import { checkDuration } from './validate.ts';

/** When a failed request to a backend is sent again. Connection failures and resets always are. */
export interface HttpRouteRetry {
  /** Response codes (400-599) that are retried. @default none (only connection errors) */
  readonly codes?: number[];
  /** Retries after the first attempt, at least 1. @default 1 */
  readonly attempts?: number;
  /** Minimum wait before a retry, a duration such as "100ms". @default Envoy's (25ms, growing) */
  readonly backoff?: string;
}

/** The rule's `retry` on the wire; throws naming the field at fault. */
export function toRetry(scope: IConstruct, at: string, r: HttpRouteRetry): Record<string, unknown> {
  checkKeys(scope, at, r, KEYS.httpRetry);
  (r.codes ?? []).forEach((c, i) => {
    if (!Number.isInteger(c) || c < 400 || c > 599)
      invalid(scope, `${at}.codes[${i}]`, `must be an HTTP status code from 400 to 599, got ${c}`);
  });
  if (r.attempts !== undefined && (!Number.isInteger(r.attempts) || r.attempts < 1))
    invalid(scope, `${at}.attempts`, `must be a whole number of at least 1, got ${r.attempts}`);
  if (r.backoff !== undefined) checkDuration(scope, `${at}.backoff`, r.backoff);
  return {
    ...(r.codes?.length ? { codes: [...new Set(r.codes)] } : {}),
    ...(r.attempts !== undefined ? { attempts: r.attempts } : {}),
    ...(r.backoff !== undefined ? { backoff: r.backoff } : {}),
  };
}

/** The HTTPRoute API object, with the experimental fields its imported serializer would drop. */
export class HttpRouteObject extends gwapi.HttpRoute {
  /** rules[i].retry on the wire, by rule index. */
  readonly retries = new Map<number, Record<string, unknown>>();

  override toJson(): { spec: { rules?: Record<string, unknown>[] } } {
    const json = super.toJson() as { spec: { rules?: Record<string, unknown>[] } };
    for (const [i, retry] of this.retries) {
      const rule = json.spec.rules?.[i];
      if (rule) rule.retry = retry;
    }
    return json;
  }
}
