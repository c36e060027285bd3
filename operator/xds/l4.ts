// TCP and UDP listeners (TCPRoute, UDPRoute): tcp_proxy per connection, udp_proxy per datagram
// session. Envoy's udp_proxy routes to one cluster, so a UDPRoute with several weighted backends
// gets its own cluster whose localities are those backends, weighted as the route says.
import type { Cluster as IrCluster, IR, L4Listener, L4Route } from '../ir/index.ts';
import { pack } from '../envoy/codec.ts';
import type { Cluster } from '../envoy/generated/envoy/config/cluster/v3/Cluster.ts';
import type { ClusterLoadAssignment } from '../envoy/generated/envoy/config/endpoint/v3/ClusterLoadAssignment.ts';
import type { Listener } from '../envoy/generated/envoy/config/listener/v3/Listener.ts';
import { ADS, closeConnection, socket, statPrefix, tcpProxy } from './translate.ts';

/** Undefined when no route is attached: nothing to bind. */
export function tcpListener(l: L4Listener): Listener | undefined {
  if (!l.route) return undefined;
  // A route whose backends are all invalid: connections are accepted, then closed.
  const filter = l.route.backends.length === 0 ? closeConnection : tcpProxy(l.route);
  return { name: l.name, ...socket(l.address, l.port), filter_chains: [{ filters: [filter] }] };
}

/** The cluster a UDP route sends to: its one backend, or its own weighted cluster. */
export function udpClusterName(r: L4Route): string {
  return r.backends.length === 1 ? r.backends[0]!.cluster : `weighted/${r.name}`;
}

/** Undefined when no route is attached or none of its backends is valid (datagrams are dropped). */
export function udpListener(l: L4Listener): Listener | undefined {
  if (!l.route || l.route.backends.length === 0) return undefined;
  const route = pack('envoy.extensions.filters.udp.udp_proxy.v3.Route', { cluster: udpClusterName(l.route) });
  const { address, freebind } = socket(l.address, l.port);
  return {
    name: l.name,
    address: { socket_address: { ...address?.socket_address, protocol: 'UDP' } },
    freebind,
    udp_listener_config: {},
    listener_filters: [
      {
        name: 'envoy.filters.udp_listener.udp_proxy',
        typed_config: pack('envoy.extensions.filters.udp.udp_proxy.v3.UdpProxyConfig', {
          stat_prefix: statPrefix(l.name),
          matcher: { on_no_match: { action: { name: 'route', typed_config: route } } },
        }),
      },
    ],
  };
}

function weightedCluster(name: string): Cluster {
  return {
    name,
    type: 'EDS',
    eds_cluster_config: { eds_config: ADS },
    connect_timeout: { seconds: 5 },
    lb_policy: 'ROUND_ROBIN',
    // Each locality is one backend Service port: its weight is the backendRef's weight.
    common_lb_config: { locality_weighted_lb_config: {} },
  };
}

function weightedAssignment(
  name: string,
  r: L4Route,
  byName: ReadonlyMap<string, IrCluster>,
): ClusterLoadAssignment {
  return {
    cluster_name: name,
    endpoints: r.backends.map((b) => ({
      locality: { sub_zone: b.cluster },
      load_balancing_weight: { value: b.weight },
      lb_endpoints: (byName.get(b.cluster)?.endpoints ?? []).map((e) => ({
        endpoint: { address: { socket_address: { address: e.address, port_value: e.port } } },
      })),
    })),
  };
}

export interface L4Resources {
  readonly listeners: Record<string, Listener>;
  readonly clusters: Record<string, Cluster>;
  readonly endpoints: Record<string, ClusterLoadAssignment>;
}

export function l4Resources(ir: IR): L4Resources {
  const out: L4Resources = { listeners: {}, clusters: {}, endpoints: {} };
  for (const l of ir.tcpListeners ?? []) {
    const listener = tcpListener(l);
    if (listener) out.listeners[l.name] = listener;
  }
  const byName = new Map(ir.clusters.map((c) => [c.name, c]));
  for (const l of ir.udpListeners ?? []) {
    const listener = udpListener(l);
    if (!listener || !l.route) continue;
    out.listeners[l.name] = listener;
    if (l.route.backends.length < 2) continue;
    const name = udpClusterName(l.route);
    out.clusters[name] = weightedCluster(name);
    out.endpoints[name] = weightedAssignment(name, l.route, byName);
  }
  return out;
}
