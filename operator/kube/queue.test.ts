import { WorkQueue } from './queue.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A worker whose runs block until released, so bursts can be made to land mid-run. */
function gatedWorker() {
  const runs: string[] = [];
  const gates: (() => void)[] = [];
  const worker = async (k: string) => {
    runs.push(k);
    await new Promise<void>((r) => gates.push(r));
  };
  const releaseAll = () => gates.splice(0).forEach((g) => g());
  return { runs, worker, releaseAll };
}

describe('WorkQueue', () => {
  it('runs an isolated add at once, without waiting out the rate-limit interval', async () => {
    const runs: string[] = [];
    const q = new WorkQueue(async (k) => void runs.push(k), { minIntervalMs: 60000 });
    q.add('a');
    expect(runs).toEqual([]); // not synchronously: adds made in the same turn share the run
    await new Promise((r) => setImmediate(r));
    expect(runs).toEqual(['a']);
    q.close();
  });

  it('coalesces adds made in the same turn into one run per key', async () => {
    const runs: string[] = [];
    const q = new WorkQueue(async (k) => void runs.push(k), { minIntervalMs: 10 });
    for (let i = 0; i < 50; i++) q.add('a');
    q.add('b');
    await q.idle();
    expect(runs.sort()).toEqual(['a', 'b']);
    q.close();
  });

  it('turns a burst that lands while a run is in progress into exactly one more run', async () => {
    const w = gatedWorker();
    const q = new WorkQueue(w.worker, { minIntervalMs: 1 });
    q.add('k');
    await sleep(5);
    expect(w.runs).toHaveLength(1);
    for (let i = 0; i < 1000; i++) q.add('k');
    await sleep(20);
    expect(w.runs).toHaveLength(1); // never twice at once
    w.releaseAll();
    await sleep(20);
    expect(w.runs).toHaveLength(2);
    w.releaseAll();
    await q.idle();
    expect(w.runs).toHaveLength(2);
    q.close();
  });

  it('lets a change and a few follow-ups run back to back, then holds the next one', async () => {
    const runs: string[] = [];
    const q = new WorkQueue(async (k) => void runs.push(k), { minIntervalMs: 60000, burst: 3 });
    for (let i = 1; i <= 3; i++) {
      q.add('k');
      await q.idle();
      expect(runs).toHaveLength(i);
    }
    q.add('k');
    await sleep(30);
    expect(runs).toHaveLength(3);
    expect(q.depth).toBe(1);
    q.close();
  });

  it('holds adds once the burst is spent until the interval has passed, then runs them once', async () => {
    const runs: number[] = [];
    // An interval far longer than the adds take, so "held" does not depend on how fast they go.
    const q = new WorkQueue(async () => void runs.push(performance.now()), { minIntervalMs: 1000, burst: 1 });
    q.add('k');
    await sleep(10);
    expect(runs).toHaveLength(1);
    for (let i = 0; i < 20; i++) {
      q.add('k');
      await sleep(2);
    }
    expect(runs).toHaveLength(1);
    await q.idle();
    expect(runs).toHaveLength(2);
    q.close();
  });

  it('runs a key that keeps getting added at a bounded rate, and never starves it', async () => {
    let runs = 0;
    const q = new WorkQueue(async () => void runs++, { minIntervalMs: 50, burst: 2 });
    const start = performance.now();
    for (let i = 0; i < 100; i++) {
      q.add('k');
      await sleep(2);
    }
    const elapsed = performance.now() - start;
    const during = runs;
    await q.idle();
    // The burst, then at most one run per interval of the time the adds actually took (however
    // slow the machine), and the adds made while held still run once at the end.
    expect(during).toBeGreaterThanOrEqual(2);
    expect(during).toBeLessThanOrEqual(2 + Math.ceil(elapsed / 50));
    expect(runs).toBeGreaterThan(2);
    q.close();
  });

  it('rests a busyShare key after each run in proportion to the run, and only that key', async () => {
    // Each run busy-loops 30 ms; adds keep coming. With a share of 1/3 the next run waits twice
    // the run's length after it ended; the key without a share follows the token bucket alone.
    const spans = new Map<string, [number, number][]>();
    const worker = async (k: string) => {
      const start = performance.now();
      while (performance.now() - start < 30);
      spans.set(k, [...(spans.get(k) ?? []), [start, performance.now()]]);
    };
    const q = new WorkQueue(worker, { minIntervalMs: 1, burst: 100, busyShare: { slow: 1 / 3 } });
    for (let i = 0; i < 60; i++) {
      q.add('slow');
      q.add('fast');
      await sleep(5);
    }
    await q.idle();
    const gaps = (k: string) =>
      spans
        .get(k)!
        .slice(1)
        .map(([start], i) => start - spans.get(k)![i]![1]);
    // Timers may fire a little early against performance.now: 2 ms of slack.
    for (const [i, gap] of gaps('slow').entries()) {
      const [s, e] = spans.get('slow')![i]!;
      expect(gap).toBeGreaterThanOrEqual(2 * (e - s) - 2);
    }
    expect(gaps('slow').length).toBeGreaterThanOrEqual(2);
    // The other key ran back to back at least once (it had adds waiting whenever a run ended).
    expect(Math.min(...gaps('fast'))).toBeLessThan(30);
    q.close();
  });

  it('holds a delayed add, and runs it at once when a later add wants it sooner', async () => {
    const runs: string[] = [];
    const q = new WorkQueue(async (k) => void runs.push(k), { minIntervalMs: 1 });
    q.add('k', 60000);
    await sleep(20);
    expect(runs).toEqual([]);
    expect(q.depth).toBe(1); // idle() waits for it
    q.add('k');
    await q.idle();
    expect(runs).toEqual(['k']);
    q.close();
  });

  it('retries a failing key with growing delays and reports each failure', async () => {
    const attempts: number[] = [];
    let calls = 0;
    const q = new WorkQueue(
      async () => {
        calls++;
        if (calls < 3) throw new Error('boom');
      },
      { minIntervalMs: 1, retryInitialMs: 10, onError: (_k, _e, attempt) => attempts.push(attempt) },
    );
    q.add('k');
    await sleep(10);
    await q.idle();
    expect(calls).toBe(3);
    expect(attempts).toEqual([1, 2]);
    q.close();
  });

  it('runs nothing after close', async () => {
    const runs: string[] = [];
    const q = new WorkQueue(async (k) => void runs.push(k), { minIntervalMs: 1 });
    q.add('a');
    q.close();
    q.add('b');
    await sleep(10);
    expect(runs).toEqual([]);
  });
});
