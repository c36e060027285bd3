import type { HttpListener } from '../ir/types.ts';
import { digest, listenerDigest } from './digest.ts';

const listener = (path: string, port = 80): HttpListener =>
  ({
    name: `default/web/127.0.0.1/${port}`,
    gateway: { namespace: 'default', name: 'web' },
    address: '127.0.0.1',
    port,
    protocol: 'HTTP',
    virtualHosts: [
      {
        name: '*',
        domains: ['*'],
        routes: [
          {
            name: 'default/app/rule/0/match/0',
            match: { path: { type: 'PathPrefix', value: path }, headers: [], queryParams: [] },
            action: { type: 'Forward', backends: [{ cluster: 'default/app/80', weight: 1 }] },
          },
        ],
      },
    ],
  }) as unknown as HttpListener;

describe('listenerDigest', () => {
  it('is equal for equal content in distinct objects (every replica computes the same)', () => {
    expect(listenerDigest(listener('/a'))).toBe(listenerDigest(listener('/a')));
  });

  it('changes with the routes and with the listener itself', () => {
    const base = listenerDigest(listener('/a'));
    expect(listenerDigest(listener('/b'))).not.toBe(base);
    expect(listenerDigest(listener('/a', 8080))).not.toBe(base);
  });

  it('serializes an unchanged route table once', () => {
    let serialized = 0;
    const routes = Object.assign([1, 2, 3], {
      toJSON: () => {
        serialized++;
        return [1, 2, 3];
      },
    });
    const d = digest(routes);
    expect(digest(routes)).toBe(d);
    expect(serialized).toBe(1);
    expect(digest([1, 2, 3])).toBe(d);
  });
});
