// TCP and UDP listeners as Envoy resources: tcp_proxy, udp_proxy and the weighted UDP cluster.
import { decodeMessage } from '../envoy/codec.ts';
import type { Any } from '../envoy/generated/google/protobuf/Any.ts';
import type { IR, L4Listener } from '../ir/index.ts';
import { resourceGateways, translateIr } from './translate.ts';

/** A packed Any, or one decoded from inside another (its bytes are then base64). */
function unpack(a: Any | null | undefined): Record<string, unknown> {
  if (!a || !('type_url' in a)) throw new Error('not a packed Any');
  const v = a.value as Uint8Array | string;
  const bytes = typeof v === 'string' ? Buffer.from(v, 'base64') : v;
  return decodeMessage(a.type_url.replace('type.googleapis.com/', ''), bytes);
}

const gateway = { namespace: 'ns', name: 'gw' };
const cluster = (name: string, ips: string[]) => ({
  name,
  service: { namespace: 'ns', name: name.split('/')[1]!, port: 53 },
  endpoints: ips.map((address) => ({ address, port: 5353 })),
});
const tcp = (port: number, route?: L4Listener['route']): L4Listener => ({
  name: `ns/gw/127.0.200.1/${port}`,
  gateway,
  address: '127.0.200.1',
  port,
  ...(route ? { route } : {}),
});
const udp = (port: number, route?: L4Listener['route']): L4Listener => ({
  ...tcp(port, route),
  name: `ns/gw/127.0.200.1/${port}/udp`,
});
const ir = (p: Partial<IR>): IR => ({
  httpListeners: [],
  tlsPassthroughListeners: [],
  clusters: [cluster('ns/a/53', ['10.0.0.1', '10.0.0.2']), cluster('ns/b/53', ['10.0.1.1'])],
  ...p,
});

it('a TCP listener proxies to one cluster, or splits by weight; no route binds nothing', () => {
  const s = translateIr(
    ir({
      tcpListeners: [
        tcp(9000, { name: 'ns/one/rule/0', backends: [{ cluster: 'ns/a/53', weight: 1 }] }),
        tcp(9001, {
          name: 'ns/two/rule/0',
          backends: [
            { cluster: 'ns/a/53', weight: 7 },
            { cluster: 'ns/b/53', weight: 3 },
          ],
        }),
        tcp(9002),
      ],
    }),
    'v1',
  );
  expect(Object.keys(s.listeners).sort()).toEqual(['ns/gw/127.0.200.1/9000', 'ns/gw/127.0.200.1/9001']);
  const one = s.listeners['ns/gw/127.0.200.1/9000']!;
  expect(one.address).toEqual({ socket_address: { address: '127.0.200.1', port_value: 9000 } });
  expect(one.freebind).toEqual({ value: true });
  const f1 = one.filter_chains![0]!.filters![0]!;
  expect(f1.name).toBe('envoy.filters.network.tcp_proxy');
  expect(unpack(f1.typed_config as Any)).toMatchObject({ cluster: 'ns/a/53' });
  const f2 = s.listeners['ns/gw/127.0.200.1/9001']!.filter_chains![0]!.filters![0]!;
  expect(unpack(f2.typed_config as Any)).toMatchObject({
    weighted_clusters: {
      clusters: [
        { name: 'ns/a/53', weight: 7 },
        { name: 'ns/b/53', weight: 3 },
      ],
    },
  });
});

it('a TCP route whose backends are all invalid accepts connections, then closes them', () => {
  const s = translateIr(ir({ tcpListeners: [tcp(9000, { name: 'ns/bad/rule/0', backends: [] })] }), 'v1');
  const f = s.listeners['ns/gw/127.0.200.1/9000']!.filter_chains![0]!.filters![0]!;
  expect(f.name).toBe('envoy.filters.network.direct_response');
});

it('a UDP listener: udp_proxy to the one backend cluster', () => {
  const s = translateIr(
    ir({ udpListeners: [udp(53, { name: 'ns/u/rule/0', backends: [{ cluster: 'ns/a/53', weight: 1 }] })] }),
    'v1',
  );
  const l = s.listeners['ns/gw/127.0.200.1/53/udp']!;
  expect(l.address).toEqual({ socket_address: { address: '127.0.200.1', port_value: 53, protocol: 'UDP' } });
  expect(l.filter_chains).toBeUndefined();
  const f = l.listener_filters![0]!;
  expect(f.name).toBe('envoy.filters.udp_listener.udp_proxy');
  const cfg = unpack(f.typed_config as Any) as {
    matcher: { on_no_match: { action: { typed_config: Any } } };
  };
  expect(unpack(cfg.matcher.on_no_match.action.typed_config)).toEqual({ cluster: 'ns/a/53' });
  // No extra cluster for a single backend.
  expect(Object.keys(s.clusters).sort()).toEqual(['ns/a/53', 'ns/b/53']);
});

it('a UDP route with weights gets its own cluster: one locality per backend, weighted', () => {
  const route = {
    name: 'ns/w/rule/0',
    backends: [
      { cluster: 'ns/a/53', weight: 70 },
      { cluster: 'ns/b/53', weight: 30 },
    ],
  };
  const model = ir({ udpListeners: [udp(53, route), udp(54, { name: 'ns/none/rule/0', backends: [] })] });
  const s = translateIr(model, 'v1');
  // A route with no valid backend binds nothing (datagrams have nowhere to go).
  expect(Object.keys(s.listeners)).toEqual(['ns/gw/127.0.200.1/53/udp']);
  const name = 'weighted/ns/w/rule/0';
  const cfg = unpack(s.listeners['ns/gw/127.0.200.1/53/udp']!.listener_filters![0]!.typed_config as Any) as {
    matcher: { on_no_match: { action: { typed_config: Any } } };
  };
  expect(unpack(cfg.matcher.on_no_match.action.typed_config)).toEqual({ cluster: name });
  expect(s.clusters[name]).toMatchObject({
    type: 'EDS',
    common_lb_config: { locality_weighted_lb_config: {} },
  });
  expect(s.endpoints[name]).toEqual({
    cluster_name: name,
    endpoints: [
      {
        locality: { sub_zone: 'ns/a/53' },
        load_balancing_weight: { value: 70 },
        lb_endpoints: ['10.0.0.1', '10.0.0.2'].map((address) => ({
          endpoint: { address: { socket_address: { address, port_value: 5353 } } },
        })),
      },
      {
        locality: { sub_zone: 'ns/b/53' },
        load_balancing_weight: { value: 30 },
        lb_endpoints: [
          { endpoint: { address: { socket_address: { address: '10.0.1.1', port_value: 5353 } } } },
        ],
      },
    ],
  });
  // A NACK of the weighted cluster names the Gateway.
  const gws = resourceGateways(model);
  expect(gws.clusters.get(name)).toEqual([gateway]);
  expect(gws.listeners.get('ns/gw/127.0.200.1/53/udp')).toEqual([gateway]);
});
