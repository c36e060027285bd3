import { IdleGc, type Collection, type IdleGcOptions } from './idle-gc.ts';

const OPTS: IdleGcOptions = { busyMs: 1000, settleMs: 1000, windowMs: 5500, quietRatio: 0.05 };

/** Feeds `n` ticks of 500 ms with `activeMs` of work each; returns the collections asked for. */
function run(gc: IdleGc, n: number, activeMs: number): (Collection | undefined)[] {
  return Array.from({ length: n }, () => gc.tick({ elapsedMs: 500, activeMs }));
}

const asked = (xs: (Collection | undefined)[]) => xs.filter((x) => x !== undefined);

describe('IdleGc', () => {
  it('collects the young generation once quiet after a busy period, then everything after the window', () => {
    const gc = new IdleGc(OPTS);
    expect(asked(run(gc, 4, 400))).toEqual([]); // 1.6 s of work
    const quiet = run(gc, 16, 5);
    // settleMs (2 ticks) of quiet: minor; settleMs + windowMs (13 ticks): major; then nothing.
    expect(quiet.indexOf('minor')).toBe(1);
    expect(quiet.indexOf('major')).toBe(12);
    expect(asked(quiet)).toEqual(['minor', 'major']);
  });

  it('never collects an operator that was never busy', () => {
    const gc = new IdleGc(OPTS);
    // 4 s of work over 200 s, under 5 % in every tick: a resting operator's trickle never adds up.
    expect(asked(run(gc, 400, 10))).toEqual([]);
  });

  it('does not collect again without new work', () => {
    const gc = new IdleGc(OPTS);
    run(gc, 4, 400);
    expect(asked(run(gc, 20, 0))).toEqual(['minor', 'major']);
    expect(asked(run(gc, 100, 0))).toEqual([]);
    run(gc, 4, 400);
    expect(asked(run(gc, 20, 0))).toEqual(['minor', 'major']);
  });

  it('starts the quiet period over when work comes back in the window', () => {
    const gc = new IdleGc(OPTS);
    run(gc, 4, 400);
    expect(asked(run(gc, 6, 0))).toEqual(['minor']);
    expect(asked(run(gc, 1, 100))).toEqual([]); // 20 % busy: not quiet
    const after = run(gc, 14, 0);
    expect(after.indexOf('minor')).toBe(1);
    expect(after.indexOf('major')).toBe(12);
  });
});
