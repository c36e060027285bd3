import type { Condition, RouteParentStatus } from '../api/index.ts';
import { carryTransitionTimes, conditionsEqual, mergeRouteParents, statusEqual } from './conditions.ts';
import { CONTROLLER_NAME } from './types.ts';

const c = (type: string, status: 'True' | 'False', reason: string, t: string, gen = 1): Condition => ({
  type,
  status,
  reason,
  message: '',
  observedGeneration: gen,
  lastTransitionTime: t,
});

describe('conditionsEqual', () => {
  it('ignores order and lastTransitionTime', () => {
    expect(
      conditionsEqual(
        [c('A', 'True', 'A', 't1'), c('B', 'False', 'X', 't1')],
        [c('B', 'False', 'X', 't2'), c('A', 'True', 'A', 't3')],
      ),
    ).toBe(true);
  });
  it('sees status, reason and generation changes', () => {
    expect(conditionsEqual([c('A', 'True', 'A', 't')], [c('A', 'False', 'A', 't')])).toBe(false);
    expect(conditionsEqual([c('A', 'True', 'A', 't')], [c('A', 'True', 'B', 't')])).toBe(false);
    expect(conditionsEqual([c('A', 'True', 'A', 't', 1)], [c('A', 'True', 'A', 't', 2)])).toBe(false);
    expect(conditionsEqual([c('A', 'True', 'A', 't')], [])).toBe(false);
  });
});

it('statusEqual ignores key order and lastTransitionTime at any depth', () => {
  expect(
    statusEqual(
      { a: 1, b: { conditions: [c('A', 'True', 'A', 't1')] } },
      { b: { conditions: [c('A', 'True', 'A', 't2')] }, a: 1 },
    ),
  ).toBe(true);
  expect(statusEqual({ a: 1 }, { a: 2 })).toBe(false);
});

it('carryTransitionTimes keeps the old time only when the status did not flip', () => {
  const out = carryTransitionTimes(
    [c('A', 'True', 'A', 'old'), c('B', 'True', 'B', 'old')],
    [c('A', 'True', 'A2', 'new'), c('B', 'False', 'B', 'new'), c('C', 'True', 'C', 'new')],
  );
  expect(out.map((x) => x.lastTransitionTime)).toEqual(['old', 'new', 'new']);
});

describe('mergeRouteParents', () => {
  const other: RouteParentStatus = {
    parentRef: { name: 'gw' },
    controllerName: 'example.com/other',
    conditions: [c('Accepted', 'True', 'Accepted', 'x')],
  };
  const oursOld: RouteParentStatus = {
    parentRef: { name: 'mine' },
    controllerName: CONTROLLER_NAME,
    conditions: [c('Accepted', 'True', 'Accepted', 'old')],
  };
  const oursStale: RouteParentStatus = { ...oursOld, parentRef: { name: 'gone' } };
  it('keeps other controllers entries, replaces ours and carries times', () => {
    const ours: RouteParentStatus = { ...oursOld, conditions: [c('Accepted', 'True', 'Accepted', 'new')] };
    const merged = mergeRouteParents([other, oursOld, oursStale], [ours], CONTROLLER_NAME);
    expect(merged).toEqual([other, { ...ours, conditions: [c('Accepted', 'True', 'Accepted', 'old')] }]);
  });
  it('handles an absent status', () => {
    expect(mergeRouteParents(undefined, [oursOld], CONTROLLER_NAME)).toEqual([oursOld]);
    expect(mergeRouteParents([other], [], CONTROLLER_NAME)).toEqual([other]);
  });
});
