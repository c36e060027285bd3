import type { Cluster } from '../ir/types.ts';
import type { KubeObject } from '../kube/resources.ts';
import { EndpointIndex, rebuildClusters } from './endpoints.ts';

const slice = (name: string, service: string | undefined, ips: string[], ready = true): KubeObject =>
  ({
    metadata: {
      name,
      namespace: 'shop',
      labels: service ? { 'kubernetes.io/service-name': service } : {},
    },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 9000 }],
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready } })),
  }) as KubeObject;

const service = (name: string) => ({
  metadata: { name, namespace: 'shop' },
  spec: { ports: [{ name: 'http', port: 80 }] },
});

const cluster = (svc: string, ips: string[], protocol?: 'HTTP2'): Cluster => ({
  name: `shop/${svc}/80`,
  service: { namespace: 'shop', name: svc, port: 80 },
  endpoints: ips.map((address) => ({ address, port: 9000 })),
  ...(protocol ? { protocol } : {}),
});

describe('EndpointIndex', () => {
  it('groups slices by Service and reports each changed Service once', () => {
    const idx = new EndpointIndex();
    idx.update('ADDED', slice('a-1', 'a', ['10.0.0.1']));
    idx.update('ADDED', slice('a-2', 'a', ['10.0.0.2']));
    idx.update('ADDED', slice('b-1', 'b', ['10.0.1.1']));
    const first = idx.flush();
    expect([...first.keys()].sort()).toEqual(['shop/a', 'shop/b']);
    expect(first.get('shop/a')).toHaveLength(2);
    expect(idx.flush().size).toBe(0);
    idx.update('DELETED', slice('a-2', 'a', []));
    expect(idx.flush()).toEqual(new Map([['shop/a', [slice('a-1', 'a', ['10.0.0.1'])]]]));
  });

  it('marks both Services when a slice moves from one to another, and none for unlabelled slices', () => {
    const idx = new EndpointIndex();
    idx.update('ADDED', slice('s', 'a', ['10.0.0.1']));
    idx.flush();
    idx.update('MODIFIED', slice('s', 'b', ['10.0.0.1']));
    const moved = idx.flush();
    expect(moved.get('shop/a')).toEqual([]);
    expect(moved.get('shop/b')).toHaveLength(1);
    expect(idx.update('ADDED', slice('x', undefined, ['10.0.0.9']))).toBe(false);
  });
});

describe('rebuildClusters', () => {
  const svcs: Record<string, unknown> = { 'shop/a': service('a'), 'shop/b': service('b') };
  const lookup = (ns: string, name: string) => svcs[`${ns}/${name}`];

  it('rebuilds only clusters of changed Services whose endpoints moved, keeping their protocol', () => {
    const current = [cluster('a', ['10.0.0.1'], 'HTTP2'), cluster('b', ['10.0.1.1'])];
    const changed = new Map([
      ['shop/a', [slice('a-1', 'a', ['10.0.0.3', '10.0.0.2'])]],
      ['shop/b', [slice('b-1', 'b', ['10.0.1.1'])]],
    ]);
    expect(rebuildClusters(current, changed, lookup)).toEqual([
      cluster('a', ['10.0.0.2', '10.0.0.3'], 'HTTP2'),
    ]);
  });

  it('drops endpoints that are not ready and leaves clusters of deleted Services to the full path', () => {
    const current = [cluster('a', ['10.0.0.1']), cluster('gone', ['10.0.2.1'])];
    const changed = new Map([
      ['shop/a', [slice('a-1', 'a', ['10.0.0.1'], false)]],
      ['shop/gone', []],
    ]);
    expect(rebuildClusters(current, changed, lookup)).toEqual([cluster('a', [])]);
  });
});
