// Status writes through the status subresource, only when the status really changed (ignoring
// lastTransitionTime), with the resourceVersion read so a concurrent writer makes us retry.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { resourcePath, type KubeObject, type ResourceType } from './resources.ts';
import { isKubeError, KubeError, type KubeClient } from './rest.ts';

/** Bound on the per-object memos (deleted objects' entries age out). */
const MEMO_LIMIT = 100000;

/** How a write that the API server turned away for load is tried again. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** Backoff of the first retry when the server names no Retry-After; doubles each time. */
  readonly initialMs: number;
  /** No single wait is longer, whatever the server asks. */
  readonly maxMs: number;
}

export const STATUS_RETRY: RetryPolicy = { maxAttempts: 10, initialMs: 250, maxMs: 30000 };

/**
 * The wait before attempt `attempt + 1` after `err`, or undefined when it should not be retried
 * (not a load answer, or attempts used up). 429 and 503 wait what Retry-After says (as client-go
 * does), else an exponential backoff; `rand` (0..1) adds up to 20% so a burst's writers spread out.
 */
export function retryDelayMs(
  err: unknown,
  attempt: number,
  policy: RetryPolicy = STATUS_RETRY,
  rand: number = Math.random(),
): number | undefined {
  if (attempt >= policy.maxAttempts || !(err instanceof KubeError)) return undefined;
  if (err.code !== 429 && err.code !== 503 && err.code !== 504) return undefined;
  const backoff = policy.initialMs * 2 ** (attempt - 1);
  const base = err.retryAfterSeconds !== undefined ? err.retryAfterSeconds * 1000 : backoff;
  return Math.min(Math.round(base * (1 + 0.2 * rand)), policy.maxMs);
}

/** Runs `jobs` with at most `limit` at once; resolves when all have settled (jobs catch their own errors). */
export async function runBounded(jobs: readonly (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]!();
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, jobs.length)) }, worker));
}

export interface StatusWriterOptions {
  logger: Logger;
  onWrite?: (kind: string) => void;
  /** A write not sent (unchanged, unseen, gone) or refused (conflict). */
  onSkip?: (kind: string, reason: SkipReason) => void;
  /** After a write: the object as it was and the status written (for Events on transitions). */
  onWritten?: (type: ResourceType, live: WithStatus, status: Record<string, unknown>) => void;
  /** Deep equality of statuses ignoring lastTransitionTime (the translator's statusEqual). */
  equal: (a: unknown, b: unknown) => boolean;
  /** Writes of one burst in flight at once (see `runBounded`). @default 16 */
  concurrency?: number;
  retry?: RetryPolicy;
  /** Called for every write turned away for load (429/503) and retried. */
  onThrottled?: (kind: string) => void;
}

export type SkipReason = 'unchanged' | 'unseen' | 'conflict' | 'gone';

export type WithStatus = KubeObject & { status?: Record<string, unknown> };

export class StatusWriter {
  writes = 0;
  conflicts = 0;
  throttled = 0;
  /** After a 429, no writer starts a request before this time (Date.now clock): the server asked for a pause. */
  private pausedUntil = 0;
  /** Writes allowed in flight: halved on every 429/503, grown by one on every success (AIMD). */
  private window = Infinity;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  /** What we last wrote per object, and from which resourceVersion: the cache lags our writes. */
  private readonly equalAt = new Map<string, { rv: string | undefined; json: string }>();
  /** The status last sent per object (before the answer: its watch event may come first). */
  private readonly sent = new Map<string, Record<string, unknown>>();
  private readonly written = new Map<
    string,
    { fromRv: string | undefined; toRv: string | undefined; status: Record<string, unknown> }
  >();

  constructor(
    private readonly client: KubeClient,
    private readonly opts: StatusWriterOptions,
  ) {}

  /**
   * Writes `status` (the object's whole status) if it differs from `live.status`. Returns true if
   * it wrote. A 409 Conflict or 404 means the cache is behind: the caller's next event retries.
   */
  async write(type: ResourceType, live: WithStatus, status: Record<string, unknown>): Promise<boolean> {
    const m = live.metadata ?? {};
    const key = `${type.kind}/${m.namespace ?? ''}/${m.name ?? ''}`;
    // Our last write is kept only until the watch delivers a newer version of the object.
    if (this.written.get(key)?.fromRv !== m.resourceVersion) this.written.delete(key);
    const last = this.written.get(key);
    if (last) {
      // Our own write landed on this version: the server holds that status, not live.status (a
      // newer translation may want live.status back). Equal: the watch has yet to deliver it.
      if (this.opts.equal(last.status, status)) return this.skip(type, 'unseen');
    } else {
      // The deep compare sorts keys and is the hot path at thousands of routes: remember which
      // (live version, desired status) pairs were already found equal; a digest, not the JSON, so
      // the memo costs a few bytes per object at 10,000 routes.
      const json = createHash('sha1').update(JSON.stringify(status)).digest('base64url');
      const known = this.equalAt.get(key);
      if (known && known.rv === m.resourceVersion && known.json === json) return this.skip(type, 'unchanged');
      if (this.opts.equal(live.status ?? {}, status)) {
        this.equalAt.set(key, { rv: m.resourceVersion, json });
        if (this.equalAt.size > MEMO_LIMIT) this.equalAt.delete(this.equalAt.keys().next().value!);
        return this.skip(type, 'unchanged');
      }
    }
    this.sent.delete(key);
    this.sent.set(key, status);
    if (this.sent.size > MEMO_LIMIT) this.sent.delete(this.sent.keys().next().value!);
    // Merge patch: keys we no longer set are removed with null, arrays are replaced whole.
    const patch: Record<string, unknown> = { ...status };
    for (const k of Object.keys(live.status ?? {})) if (!(k in status)) patch[k] = null;
    let toRv: string | undefined;
    try {
      const answer = await this.patchWithRetry(type, resourcePath(type, m.namespace, m.name, 'status'), {
        metadata: { resourceVersion: m.resourceVersion },
        status: patch,
      });
      toRv = (answer as WithStatus | undefined)?.metadata?.resourceVersion;
    } catch (err) {
      this.sent.delete(key);
      if (isKubeError(err, 409)) {
        this.conflicts++;
        this.skip(type, 'conflict');
        throw new StaleCacheError(`${type.kind} ${m.namespace ?? ''}/${m.name}: status conflict`, type, live);
      }
      if (isKubeError(err, 404)) return this.skip(type, 'gone');
      throw err;
    }
    this.written.set(key, { fromRv: m.resourceVersion, toRv, status });
    if (this.written.size > MEMO_LIMIT) this.written.delete(this.written.keys().next().value!);
    this.writes++;
    this.opts.onWrite?.(type.kind);
    this.opts.onWritten?.(type, live, status);
    this.opts.logger.debug({ kind: type.kind, namespace: m.namespace, name: m.name }, 'status written');
    return true;
  }

  /**
   * The resourceVersion our write made of `live` (the version it was written from), if the server
   * said: the object of that version holds exactly the status written.
   */
  versionWritten(type: ResourceType, live: WithStatus): string | undefined {
    const m = live.metadata ?? {};
    const w = this.written.get(`${type.kind}/${m.namespace ?? ''}/${m.name ?? ''}`);
    return w && w.fromRv === m.resourceVersion ? w.toRv : undefined;
  }

  /** Whether `obj` carries the status this writer last sent for it: our own write, come back. */
  isEcho(type: ResourceType, obj: WithStatus): boolean {
    const m = obj.metadata ?? {};
    const sent = this.sent.get(`${type.kind}/${m.namespace ?? ''}/${m.name ?? ''}`);
    return sent !== undefined && this.opts.equal(obj.status ?? {}, sent);
  }

  /** Bound on the writes of one burst in flight at once. */
  get concurrency(): number {
    return this.opts.concurrency ?? 16;
  }

  private async patchWithRetry(type: ResourceType, path: string, body: unknown): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      // Re-checked after each sleep: another writer's 429 may have made the pause longer.
      for (let wait = this.pausedUntil - Date.now(); wait > 0; wait = this.pausedUntil - Date.now())
        await sleep(wait);
      await this.acquire();
      try {
        const answer = await this.client.request(path, {
          method: 'PATCH',
          patchType: 'merge',
          query: { fieldManager: 'portico' },
          body,
        });
        this.window = Math.min(this.concurrency, this.window + 1);
        return answer;
      } catch (err) {
        const delay = retryDelayMs(err, attempt, this.opts.retry);
        if (delay === undefined) throw err;
        this.throttled++;
        this.opts.onThrottled?.(type.kind);
        // The server is at its limit: fewer writes at once until it takes them again.
        this.window = Math.max(1, Math.floor(Math.min(this.window, this.inFlight) / 2));
        this.pausedUntil = Math.max(this.pausedUntil, Date.now() + delay);
        this.opts.logger.debug({ kind: type.kind, path, attempt, delayMs: delay }, 'status write throttled');
      } finally {
        this.release();
      }
    }
  }

  private async acquire(): Promise<void> {
    while (this.inFlight >= this.window) await new Promise<void>((r) => this.waiting.push(r));
    this.inFlight++;
  }

  private release(): void {
    this.inFlight--;
    this.waiting.shift()?.();
  }

  /** Counts a write the caller knows is not needed (its status is already current): false. */
  skip(type: ResourceType, reason: SkipReason): false {
    this.opts.onSkip?.(type.kind, reason);
    return false;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The object changed under us; a watch event with the new version is on its way (or came). */
export class StaleCacheError extends Error {
  override name = 'StaleCacheError';
  constructor(
    message: string,
    /** The object's type, and the version of it the write was based on. */
    readonly type?: ResourceType,
    readonly stale?: KubeObject,
  ) {
    super(message);
  }
}
