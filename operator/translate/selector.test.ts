import { labelSelectorMatches } from './selector.ts';

const labels = { team: 'a', tier: 'web' };

it.each([
  [undefined, false],
  [null, false],
  [{}, true],
  [{ matchLabels: { team: 'a' } }, true],
  [{ matchLabels: { team: 'b' } }, false],
  [{ matchExpressions: [{ key: 'team', operator: 'In', values: ['a', 'b'] }] }, true],
  [{ matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['a'] }] }, false],
  [{ matchExpressions: [{ key: 'missing', operator: 'NotIn', values: ['a'] }] }, true],
  [{ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, true],
  [{ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, false],
  [{ matchExpressions: [{ key: 'tier', operator: 'Gt', values: ['1'] }] }, false],
  [
    { matchLabels: { team: 'a' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['db'] }] },
    false,
  ],
])('%j -> %s', (selector, want) => {
  expect(labelSelectorMatches(selector, labels)).toBe(want);
});
