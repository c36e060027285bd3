// A keyed, coalescing work queue: a burst of adds for a key yields one run of the worker, after
// `quietMs` without new adds, and never later than `maxDelayMs` after the first add. A failed run
// is retried with exponential backoff; a key never runs twice at once.

export interface WorkQueueOptions {
  /** Wait this long after the last add. @default 100 */
  quietMs?: number;
  /** ...but no longer than this after the first add. @default 1000 */
  maxDelayMs?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Called with every failure (the key is retried). */
  onError?: (key: string, err: unknown, attempt: number) => void;
}

interface Pending {
  first: number;
  timer: NodeJS.Timeout;
}

export class WorkQueue {
  private readonly pending = new Map<string, Pending>();
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
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

  add(key: string): void {
    if (this.closed) return;
    // A failed key waits out its backoff; the retry reads the newest state anyway.
    if (this.retryTimers.has(key)) return;
    if (this.running.has(key)) {
      // Run again once the current run ends, so the newest state is always seen.
      this.dirty.add(key);
      return;
    }
    const quiet = this.opts.quietMs ?? 100;
    const maxDelay = this.opts.maxDelayMs ?? 1000;
    const now = Date.now();
    const p = this.pending.get(key);
    const first = p?.first ?? now;
    if (p) clearTimeout(p.timer);
    const delay = Math.max(0, Math.min(quiet, first + maxDelay - now));
    this.pending.set(key, { first, timer: setTimeout(() => void this.run(key), delay) });
  }

  /** Resolves when nothing is pending or running (retries still scheduled count as pending). */
  idle(): Promise<void> {
    if (this.depth === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    for (const p of this.pending.values()) clearTimeout(p.timer);
    for (const t of this.retryTimers.values()) clearTimeout(t);
    this.pending.clear();
    this.retryTimers.clear();
  }

  private async run(key: string): Promise<void> {
    this.pending.delete(key);
    this.retryTimers.delete(key);
    if (this.closed) return;
    this.running.add(key);
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
      this.running.delete(key);
      if (this.dirty.delete(key)) this.add(key);
      if (this.depth === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }
}
