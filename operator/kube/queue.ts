// A keyed, rate-limited work queue. An add to an idle key runs the worker at once (after the
// current I/O callbacks, so adds made in the same turn share the run): an isolated change is never
// delayed. Adds that arrive while the key runs are coalesced into one follow-up run. Runs draw on a
// token bucket per key (`burst` tokens, one more every `minIntervalMs`): a change and its few
// follow-ups run back to back, while a long stream of adds settles at one run per `minIntervalMs`
// (or per run time, when runs are slower). A burst of N adds thus costs O(1) runs.
// A key given a `busyShare` also rests after each run in proportion to the run's length, so a
// stream of slow runs (a full translation each) leaves the rest of the CPU to the work they cause.
// `add(key, delayMs)` asks for a run no sooner than that; a later add that wants it sooner moves
// it earlier. A failed run is retried with exponential backoff; a key never runs twice at once.

export interface WorkQueueOptions {
  /** Once the burst allowance is spent, the least time between the starts of two runs of a key. @default 20 */
  minIntervalMs?: number;
  /** Runs a key may start back to back before `minIntervalMs` applies. @default 5 */
  burst?: number;
  /**
   * Keys whose runs are CPU work may take at most this share (0-1] of the time: after a run of
   * d ms the key's next run starts no sooner than d * (1 - share) / share after it ended. Not for
   * keys whose runs mostly wait (API writes). @default none: runs only follow the token bucket
   */
  busyShare?: Readonly<Record<string, number>>;
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Called with every failure (the key is retried). */
  onError?: (key: string, err: unknown, attempt: number) => void;
}

export class WorkQueue {
  /** Keys with a run scheduled: when (performance.now clock) and how to cancel it. */
  private readonly pending = new Map<string, { at: number; cancel: () => void }>();
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  /** Token bucket per key: tokens left as of `at`. */
  private readonly tokens = new Map<string, { n: number; at: number }>();
  /** Keys with a `busyShare`: no run before this time (performance.now clock). */
  private readonly restUntil = new Map<string, number>();
  private readonly failures = new Map<string, number>();
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  private closed = false;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(
    private readonly worker: (key: string) => Promise<void>,
    private readonly opts: WorkQueueOptions = {},
  ) {}

  /** Keys waiting or running. */
  get depth(): number {
    return new Set([...this.pending.keys(), ...this.running, ...this.retryTimers.keys()]).size;
  }

  add(key: string, delayMs = 0): void {
    if (this.closed) return;
    // A failed key waits out its backoff; the retry reads the newest state anyway.
    if (this.retryTimers.has(key)) return;
    if (this.running.has(key)) {
      // Run again once the current run ends, so the newest state is always seen.
      this.dirty.add(key);
      return;
    }
    const now = performance.now();
    const short = 1 - this.available(key, now);
    const at = Math.max(
      now + delayMs,
      short > 0 ? now + short * this.interval : now,
      this.restUntil.get(key) ?? now,
    );
    const p = this.pending.get(key);
    if (p && p.at <= at) return;
    p?.cancel();
    if (at > now) {
      const t = setTimeout(() => void this.run(key), at - now);
      this.pending.set(key, { at, cancel: () => clearTimeout(t) });
    } else {
      const i = setImmediate(() => void this.run(key));
      this.pending.set(key, { at: now, cancel: () => clearImmediate(i) });
    }
  }

  /** Resolves when nothing is pending or running (retries still scheduled count as pending). */
  idle(): Promise<void> {
    if (this.depth === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    for (const p of this.pending.values()) p.cancel();
    for (const t of this.retryTimers.values()) clearTimeout(t);
    this.pending.clear();
    this.retryTimers.clear();
  }

  private get interval(): number {
    return this.opts.minIntervalMs ?? 20;
  }

  /** Tokens the key has at `now` (may be below 1 right after a timer fired early). */
  private available(key: string, now: number): number {
    const burst = this.opts.burst ?? 5;
    const t = this.tokens.get(key);
    return t ? Math.min(burst, t.n + (now - t.at) / this.interval) : burst;
  }

  private async run(key: string): Promise<void> {
    this.pending.delete(key);
    this.retryTimers.delete(key);
    if (this.closed) return;
    this.running.add(key);
    const now = performance.now();
    this.tokens.set(key, { n: Math.max(0, this.available(key, now) - 1), at: now });
    try {
      await this.worker(key);
      this.failures.delete(key);
    } catch (err) {
      const attempt = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, attempt);
      this.opts.onError?.(key, err, attempt);
      const base = this.opts.retryInitialMs ?? 200;
      const delay = Math.min(base * 2 ** (attempt - 1), this.opts.retryMaxMs ?? 30000);
      if (!this.closed && !this.dirty.has(key)) {
        this.retryTimers.set(
          key,
          setTimeout(() => void this.run(key), delay),
        );
      }
    } finally {
      const share = this.opts.busyShare?.[key];
      if (share) {
        const end = performance.now();
        this.restUntil.set(key, end + ((end - now) * (1 - share)) / share);
      }
      this.running.delete(key);
      if (this.dirty.delete(key)) this.add(key);
      if (this.depth === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }
}
