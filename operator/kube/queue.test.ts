import { WorkQueue } from './queue.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('WorkQueue', () => {
  it('coalesces a burst of adds for one key into one run', async () => {
    const runs: string[] = [];
    const q = new WorkQueue(async (k) => void runs.push(k), { quietMs: 20, maxDelayMs: 500 });
    for (let i = 0; i < 50; i++) q.add('a');
    q.add('b');
    await sleep(5);
    expect(runs).toEqual([]);
    await sleep(60);
    await q.idle();
    expect(runs.sort()).toEqual(['a', 'b']);
    q.close();
  });

  it('runs a key that keeps getting added once the maximum delay has passed', async () => {
    let runs = 0;
    const q = new WorkQueue(async () => void runs++, { quietMs: 30, maxDelayMs: 100 });
    const until = Date.now() + 400;
    while (Date.now() < until && runs === 0) {
      q.add('k');
      await sleep(10);
    }
    // Adds every 10 ms never leave 30 ms of quiet: only the maximum delay lets it run.
    expect(runs).toBeGreaterThan(0);
    q.close();
  });

  it('never runs a key twice at once, and reruns it if it was added while running', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    let release!: () => void;
    const q = new WorkQueue(
      async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        runs++;
        if (runs === 1) await new Promise<void>((r) => (release = r));
        active--;
      },
      { quietMs: 1 },
    );
    q.add('k');
    await sleep(20);
    q.add('k');
    q.add('k');
    await sleep(20);
    expect(runs).toBe(1);
    release();
    await sleep(30);
    await q.idle();
    expect(runs).toBe(2);
    expect(maxActive).toBe(1);
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
      { quietMs: 1, retryInitialMs: 10, onError: (_k, _e, attempt) => attempts.push(attempt) },
    );
    q.add('k');
    await sleep(10);
    await q.idle();
    expect(calls).toBe(3);
    expect(attempts).toEqual([1, 2]);
    q.close();
  });
});
