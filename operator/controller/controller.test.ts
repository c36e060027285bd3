import { RESOURCES, type KubeObject } from '../kube/resources.ts';
import { StaleCacheError } from '../kube/status.ts';
import { cacheMovedPast } from './controller.ts';

const gw = (rv: string): KubeObject => ({
  metadata: { namespace: 'default', name: 'a', resourceVersion: rv },
});
const conflict = (rv: string) => new StaleCacheError('conflict', RESOURCES.gateways, gw(rv));

describe('cacheMovedPast: after a 409, is the newer version already cached?', () => {
  it('the cache holds a newer version (its event came during the writes): go again now', () => {
    const cache = new Map([['gateways default/a', gw('8')]]);
    expect(cacheMovedPast([conflict('7')], (k, n) => cache.get(`${k} ${n}`))).toBe(true);
  });

  it('the cache still holds the version written against: wait for the event', () => {
    const cache = new Map([['gateways default/a', gw('7')]]);
    expect(cacheMovedPast([conflict('7')], (k, n) => cache.get(`${k} ${n}`))).toBe(false);
  });

  it('the object left the cache: go again now', () => {
    expect(cacheMovedPast([conflict('7')], () => undefined)).toBe(true);
  });
});
