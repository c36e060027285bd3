// What the watch cache keeps of an object's metadata (tests/operator-watch.test.ts checks it on a
// real API server object).
import { LAST_APPLIED, slimMetadata } from './reflector.ts';

it('drops managedFields and the last-applied copy, keeps the rest in order', () => {
  const m = {
    creationTimestamp: '2026-11-29T03:21:00Z',
    generation: 2,
    managedFields: [{ manager: 'kubectl', operation: 'Update' }],
    annotations: { [LAST_APPLIED]: '{"spec":{}}', team: 'shop' },
    name: 'r-1',
    namespace: 'default',
    resourceVersion: '12',
    uid: 'u',
  };
  expect(slimMetadata(m)).toEqual({
    creationTimestamp: '2026-11-29T03:21:00Z',
    generation: 2,
    annotations: { team: 'shop' },
    name: 'r-1',
    namespace: 'default',
    resourceVersion: '12',
    uid: 'u',
  });
  expect(slimMetadata({ name: 'a', annotations: { [LAST_APPLIED]: '{}' } })).toEqual({ name: 'a' });
  expect(slimMetadata({ name: 'a', annotations: { x: 'y' } })).toEqual({
    name: 'a',
    annotations: { x: 'y' },
  });
  expect(slimMetadata({ name: 'a' })).toEqual({ name: 'a' });
});
