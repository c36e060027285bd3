// After a busy period (a burst of route changes, a resync at scale) V8 keeps its young generation
// at full size (32 MiB) and old-space garbage until its memory reducer runs, which can take minutes
// or not happen at all on a quiet process: tens of MiB of RSS that nothing uses. V8 shrinks the
// young generation in a collection only when it measures a low allocation rate over its last
// ~5 s of samples, which it takes at each collection. So once the operator has done enough work
// and gone quiet: a young-generation collection (a few ms) starts a clean sample, and a full one
// after `windowMs` more of quiet frees the garbage and finds the low rate.
import { performance } from 'node:perf_hooks';

export interface IdleGcOptions {
  /** Loop time (ms) of busy ticks since the last full collection: a trickle of quiet work never adds up. */
  busyMs: number;
  /** How long (ms) the loop must stay quiet before the young-generation collection. */
  settleMs: number;
  /** Then how much longer (ms) before the full collection: V8's allocation-rate window and more. */
  windowMs: number;
  /** Share of a tick's time the loop may be busy and still count as quiet. */
  quietRatio: number;
}

/** One tick of event-loop accounting: how long it lasted and how much of it the loop worked. */
export interface LoopSample {
  elapsedMs: number;
  activeMs: number;
}

export type Collection = 'minor' | 'major';

export const IDLE_GC_DEFAULTS: IdleGcOptions = {
  busyMs: 1000,
  settleMs: 1000,
  windowMs: 5500,
  quietRatio: 0.05,
};

/**
 * Decides when to collect, from samples of the event loop: after at least `busyMs` of loop work,
 * a minor collection once the loop has been quiet for `settleMs`, then a major one if it stays
 * quiet for `windowMs` more. Never again without new work, so an idle operator never collects.
 */
export class IdleGc {
  private busy = 0;
  private quiet = 0;
  private settled = false;

  constructor(private readonly opts: IdleGcOptions = IDLE_GC_DEFAULTS) {}

  /** Feeds one sample; says which collection to run now, if any. */
  tick(s: LoopSample): Collection | undefined {
    if (s.activeMs > s.elapsedMs * this.opts.quietRatio) {
      this.busy += s.activeMs;
      this.quiet = 0;
      this.settled = false;
      return undefined;
    }
    this.quiet += s.elapsedMs;
    if (this.busy < this.opts.busyMs) return undefined;
    if (!this.settled) {
      if (this.quiet < this.opts.settleMs) return undefined;
      this.settled = true;
      return 'minor';
    }
    if (this.quiet < this.opts.settleMs + this.opts.windowMs) return undefined;
    this.busy = 0;
    this.settled = false;
    return 'major';
  }
}

/**
 * node's gc() under --expose-gc: without options a full collection, at once; `{ type: 'minor' }`
 * collects the young generation (with `{ type: 'major' }` node 20 only schedules one).
 */
export type GcFunction = (opts?: { type: 'minor' }) => void;

/**
 * Samples the event loop's utilization every `everyMs` and runs the collections `IdleGc` asks for.
 * Without a `gc` (node without --expose-gc) it does nothing. Returns a stop function.
 */
export function startIdleGc(
  gc: GcFunction | undefined,
  onCollect: (type: Collection, pauseMs: number) => void,
  everyMs = 500,
  opts: IdleGcOptions = IDLE_GC_DEFAULTS,
): () => void {
  if (!gc) return () => {};
  const decide = new IdleGc(opts);
  let last = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const d = performance.eventLoopUtilization(now, last);
    last = now;
    const type = decide.tick({ elapsedMs: d.idle + d.active, activeMs: d.active });
    if (!type) return;
    const t0 = performance.now();
    if (type === 'minor') gc({ type });
    else gc();
    onCollect(type, performance.now() - t0);
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
