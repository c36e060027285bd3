import path from 'node:path';
import { stringify } from 'yaml';
import type { NodeAddress, NodeNetwork } from './network.ts';

/** A node's own files: everything its containerd, kubelet and kube-proxy write stays under `dir`. */
export interface NodeDirs {
  readonly dir: string;
  readonly containerdRoot: string;
  readonly containerdState: string;
  readonly containerdSocket: string;
  readonly registryConfig: string;
  readonly cniConf: string;
  readonly kubeletDir: string;
  readonly cgroupRoot: string;
}

export function nodeDirs(clusterDir: string, clusterId: number, node: string): NodeDirs {
  const dir = path.join(clusterDir, 'nodes', node);
  return {
    dir,
    containerdRoot: path.join(dir, 'containerd', 'root'),
    containerdState: path.join(dir, 'containerd', 'state'),
    // Unix socket paths are limited to 107 bytes; the node dir may be deep.
    containerdSocket: `/run/portico/${clusterId}/${node}/containerd.sock`,
    registryConfig: path.join(dir, 'containerd', 'certs.d'),
    cniConf: path.join(dir, 'cni', 'net.d'),
    kubeletDir: path.join(dir, 'kubelet'),
    cgroupRoot: `/portico${clusterId}-${node}`,
  };
}

export const PAUSE_IMAGE = 'registry.k8s.io/pause:3.10.1';

/** containerd 1.6 (config version 2): own root, state and socket; nothing is ever pulled from outside. */
export function containerdConfig(d: NodeDirs, cniBinDir: string): string {
  return `version = 2
root = ${JSON.stringify(d.containerdRoot)}
state = ${JSON.stringify(d.containerdState)}
oom_score = 0

[grpc]
  address = ${JSON.stringify(d.containerdSocket)}

[ttrpc]
  address = ${JSON.stringify(`${d.containerdSocket}.ttrpc`)}

[debug]
  level = "warn"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = ${JSON.stringify(PAUSE_IMAGE)}
  # No CAP_SYS_RESOURCE here: the pause container's oom_score_adj -998 would be refused.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = ${JSON.stringify(cniBinDir)}
    conf_dir = ${JSON.stringify(d.cniConf)}
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = ${JSON.stringify(d.registryConfig)}
`;
}

/** Every registry goes to a dead loopback endpoint: a missing image fails at once, on this machine. */
export const DEAD_REGISTRY_HOSTS = `server = "http://127.0.0.1:1"

[host."http://127.0.0.1:1"]
  capabilities = ["pull", "resolve"]
`;

/** Bridge + host-local, one /24 per node; no masquerade, no iptables changes by the plugin. */
export function cniConfig(n: NodeAddress): string {
  return JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: 'portico',
      plugins: [
        {
          type: 'bridge',
          bridge: 'cni0',
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            ranges: [[{ subnet: n.podCidr, gateway: n.podGateway }]],
            routes: [{ dst: '0.0.0.0/0' }],
          },
        },
        { type: 'loopback' },
      ],
    },
    null,
    2,
  );
}

export function kubeletConfig(net: NodeNetwork, n: NodeAddress, d: NodeDirs): string {
  return stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    // This machine is cgroup v1 inside a container.
    failCgroupV1: false,
    cgroupDriver: 'cgroupfs',
    cgroupRoot: d.cgroupRoot,
    failSwapOn: false,
    makeIPTablesUtilChains: false,
    // Kernel settings are the machine's, not one node's: never change them.
    protectKernelDefaults: true,
    address: n.ip,
    port: 10250,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: 10248,
    // The node network is private to this machine; kube-apiserver reaches kubelets over it.
    authentication: { anonymous: { enabled: true }, webhook: { enabled: false } },
    authorization: { mode: 'AlwaysAllow' },
    clusterDNS: [net.dnsIp],
    clusterDomain: 'cluster.local',
    resolvConf: path.join(d.dir, 'resolv.conf'),
    containerRuntimeEndpoint: `unix://${d.containerdSocket}`,
    volumePluginDir: path.join(d.kubeletDir, 'volume-plugins'),
    // A small disk: evict late, and never garbage-collect the images imported here (no registry).
    evictionHard: { 'nodefs.available': '1%', 'imagefs.available': '1%', 'memory.available': '100Mi' },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    serializeImagePulls: false,
    nodeStatusUpdateFrequency: '4s',
    syncFrequency: '10s',
  });
}

export function kubeProxyConfig(net: NodeNetwork, n: NodeAddress, kubeconfig: string): string {
  return stringify({
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    mode: 'iptables',
    clientConnection: { kubeconfig },
    hostnameOverride: n.name,
    bindAddress: n.ip,
    clusterCIDR: net.podCidr,
    healthzBindAddress: '127.0.0.1:10256',
    metricsBindAddress: '127.0.0.1:10249',
    // Conntrack limits are machine-wide: leave them as they are.
    conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
  });
}

/** What pods and nodes resolve with: only the cluster DNS, never the machine's resolver. */
export function resolvConf(net: NodeNetwork): string {
  return `nameserver ${net.dnsIp}\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n`;
}
