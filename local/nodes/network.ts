import { spawnSync } from 'node:child_process';

/**
 * The node network of one local cluster: a bridge on the host, one network namespace per node
 * joined to it by a veth pair, pod CIDRs routed between nodes as kindnet does. Cluster `id` k owns
 * 172.30.k.0/24 (bridge .1, nodes .10+), pods 10.(200+k).i.0/24 on node i, and no route leaves
 * the machine: the host gets an `unreachable` guard for the pod range. Gateway addresses are on
 * the node network; the node agent on the node that leads each one answers ARP for it.
 */
export interface NodeNetwork {
  readonly id: number;
  readonly bridge: string;
  /** The host's address on the bridge: kube-apiserver listens here. */
  readonly gateway: string;
  readonly cidr: string;
  /** All pods of the cluster. */
  readonly podCidr: string;
  readonly serviceCidr: string;
  /** The cluster DNS Service's address. */
  readonly dnsIp: string;
  /** Gateway addresses: a pool on the node network, as the lab's 172.18.255.200/29. */
  readonly poolCidr: string;
}

export interface NodeAddress {
  readonly name: string;
  readonly index: number;
  readonly netns: string;
  readonly ip: string;
  readonly podCidr: string;
  /** The pod bridge's address in the node (the pods' gateway). */
  readonly podGateway: string;
}

/**
 * The node network id a run uses for suite id `base`: `PORTICO_NETWORK_OFFSET` shifts every id, so
 * two checkouts on one machine (a developer's and CI's) can run the same suites at once.
 */
export function networkIdFor(base: number): number {
  const offset = Number(process.env.PORTICO_NETWORK_OFFSET ?? 0);
  if (!Number.isInteger(offset) || offset < 0)
    throw new Error(
      `PORTICO_NETWORK_OFFSET must be a whole number, got ${process.env.PORTICO_NETWORK_OFFSET}`,
    );
  return base + offset;
}

/**
 * Cluster `id`'s network. The Gateway pool is 172.30.id.200/29 (6 addresses, as the lab's pool);
 * a shorter `poolPrefix` (26-28) takes the top of the /24 instead, for runs with more Gateways.
 */
export function nodeNetwork(id: number, poolPrefix = 29): NodeNetwork {
  if (!Number.isInteger(id) || id < 0 || id > 50) throw new Error(`node network id must be 0-50, got ${id}`);
  if (!Number.isInteger(poolPrefix) || poolPrefix < 26 || poolPrefix > 29)
    throw new Error(`pool prefix must be 26-29, got ${poolPrefix}`);
  const poolBase = poolPrefix === 29 ? 200 : 256 - 2 ** (32 - poolPrefix);
  return {
    id,
    bridge: `ptcbr${id}`,
    gateway: `172.30.${id}.1`,
    cidr: `172.30.${id}.0/24`,
    podCidr: `10.${200 + id}.0.0/16`,
    serviceCidr: '10.96.0.0/16',
    dnsIp: '10.96.0.10',
    poolCidr: `172.30.${id}.${poolBase}/${poolPrefix}`,
  };
}

export function nodeAddress(net: NodeNetwork, name: string, index: number): NodeAddress {
  const third = 200 + net.id;
  return {
    name,
    index,
    netns: `ptc${net.id}-${name}`,
    ip: `172.30.${net.id}.${10 + index}`,
    podCidr: `10.${third}.${index}.0/24`,
    podGateway: `10.${third}.${index}.1`,
  };
}

const vethHost = (net: NodeNetwork, n: NodeAddress) => `ptc${net.id}n${n.index}`;

export function run(cmd: string, args: string[], allowFail = false): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`${cmd} could not run: ${r.error.message}`);
  if (r.status !== 0 && !allowFail) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

const ip = (args: string[], allowFail = false) => run('ip', args, allowFail);
const nip = (n: NodeAddress, args: string[]) => ip(['-n', n.netns, ...args]);

/** Host side: the bridge and the guards. Safe to call on a half-made network (it starts clean). */
export function createBridge(net: NodeNetwork): void {
  deleteNetwork(net, []);
  ip(['link', 'add', net.bridge, 'type', 'bridge']);
  ip(['addr', 'add', `${net.gateway}/24`, 'dev', net.bridge]);
  ip(['link', 'set', net.bridge, 'up']);
  // Traffic to a pod or Service address with no route through a node fails here, never leaves.
  ip(['route', 'replace', 'unreachable', net.podCidr]);
}

/** A node's namespace on the bridge, with routes to every other node's pods. */
export function createNodeNamespace(net: NodeNetwork, n: NodeAddress, all: NodeAddress[]): void {
  const host = vethHost(net, n);
  ip(['netns', 'add', n.netns]);
  ip(['link', 'add', host, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', n.netns]);
  ip(['link', 'set', host, 'master', net.bridge]);
  ip(['link', 'set', host, 'up']);
  nip(n, ['addr', 'add', `${n.ip}/24`, 'dev', 'eth0']);
  nip(n, ['link', 'set', 'eth0', 'up']);
  nip(n, ['link', 'set', 'lo', 'up']);
  // ClusterIPs need a route for the kernel to hand packets to kube-proxy's rules; unmatched ones
  // reach the host, whose guard drops them.
  nip(n, ['route', 'add', net.serviceCidr, 'dev', 'eth0']);
  for (const other of all)
    if (other !== n) nip(n, ['route', 'add', other.podCidr, 'via', other.ip, 'dev', 'eth0']);
  ip(['route', 'replace', n.podCidr, 'via', n.ip, 'dev', net.bridge]);
  // Node-local knobs that kube-proxy and the kubelet would otherwise look for.
  run('ip', ['netns', 'exec', n.netns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  // The node agent answers ARP for the Gateway addresses this node leads (with XDP); the kernel
  // must not answer for them too (the agent cannot set this from its read-only /proc/sys).
  run('ip', ['netns', 'exec', n.netns, 'sysctl', '-qw', 'net.ipv4.conf.all.arp_ignore=1']);
  // During an Envoy rollout two Envoys share each listening port (SO_REUSEPORT): when the old one
  // stops listening, connections still in its accept queue move to the new one instead of a reset.
  run('ip', ['netns', 'exec', n.netns, 'sysctl', '-qw', 'net.ipv4.tcp_migrate_req=1']);
}

/** Removes the host routes, every node namespace and the bridge; ignores what is already gone. */
export function deleteNetwork(net: NodeNetwork, nodes: NodeAddress[]): void {
  for (const n of nodes) {
    ip(['route', 'del', n.podCidr], true);
    ip(['netns', 'del', n.netns], true);
    ip(['link', 'del', vethHost(net, n)], true);
  }
  ip(['route', 'del', 'unreachable', net.podCidr], true);
  ip(['link', 'del', net.bridge], true);
}
