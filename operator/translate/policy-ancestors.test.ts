import { mergeAncestors } from './policy-ancestors.ts';

it('mergeAncestors keeps other controllers’ entries and replaces Portico’s', () => {
  const theirs = { ancestorRef: { name: 'x' }, controllerName: 'example.com/other', conditions: [] };
  const oldOurs = {
    ancestorRef: { name: 'y' },
    controllerName: 'portico.dev/gateway-controller',
    conditions: [],
  };
  expect(mergeAncestors([theirs, oldOurs], [])).toEqual([theirs]);
  expect(mergeAncestors(undefined, [])).toEqual([]);
});
