import { KubeError } from './rest.ts';
import { retryDelayMs, runBounded, type RetryPolicy } from './status.ts';

const policy: RetryPolicy = { maxAttempts: 4, initialMs: 100, maxMs: 5000 };
const err = (code: number, retryAfter?: number) => new KubeError(code, '', `PATCH x: ${code}`, retryAfter);

describe('retryDelayMs (status writes turned away for load)', () => {
  it('waits what Retry-After asks on a 429, with up to 20% spread', () => {
    expect(retryDelayMs(err(429, 2), 1, policy, 0)).toBe(2000);
    expect(retryDelayMs(err(429, 2), 1, policy, 1)).toBe(2400);
    expect(retryDelayMs(err(503, 1), 3, policy, 0)).toBe(1000);
  });

  it('backs off exponentially when no Retry-After is given, capped at maxMs', () => {
    expect([1, 2, 3].map((a) => retryDelayMs(err(429), a, policy, 0))).toEqual([100, 200, 400]);
    expect(retryDelayMs(err(429, 60), 1, policy, 0)).toBe(5000);
  });

  it('gives up after maxAttempts, and never retries what is not a load answer', () => {
    expect(retryDelayMs(err(429, 1), 4, policy, 0)).toBeUndefined();
    for (const code of [400, 404, 409, 422, 500])
      expect(retryDelayMs(err(code, 1), 1, policy)).toBeUndefined();
    expect(retryDelayMs(new Error('socket hang up'), 1, policy)).toBeUndefined();
  });
});

describe('runBounded', () => {
  it('runs every job, never more than the limit at once', async () => {
    let running = 0;
    let most = 0;
    const done: number[] = [];
    const jobs = Array.from({ length: 25 }, (_, i) => async () => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, i % 3));
      done.push(i);
      running--;
    });
    await runBounded(jobs, 4);
    expect(most).toBe(4);
    expect(done.sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    await runBounded([], 4);
  });
});
