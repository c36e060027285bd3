import { parse } from 'yaml';
import {
  cniConfig,
  containerdConfig,
  kubeProxyConfig,
  kubeletConfig,
  nodeDirs,
  resolvConf,
} from './configs.ts';
import { nodeAddress, nodeNetwork } from './network.ts';
import { nodeNames } from './cluster.ts';

const net = nodeNetwork(3);
const worker = nodeAddress(net, 'portico-worker', 1);
const dirs = nodeDirs('/data', net.id, worker.name);

describe('node network layout', () => {
  it('gives each cluster id its own node, pod and pool ranges', () => {
    expect(net).toMatchObject({
      bridge: 'ptcbr3',
      gateway: '172.30.3.1',
      podCidr: '10.203.0.0/16',
      poolCidr: '172.30.3.200/29',
    });
    expect(worker).toMatchObject({ ip: '172.30.3.11', podCidr: '10.203.1.0/24', podGateway: '10.203.1.1' });
    expect(nodeAddress(nodeNetwork(0), 'a', 0).netns).not.toBe(nodeAddress(nodeNetwork(1), 'a', 0).netns);
  });

  it('widens the Gateway pool to the top of the /24 on request', () => {
    expect(nodeNetwork(3, 26).poolCidr).toBe('172.30.3.192/26');
    expect(nodeNetwork(3, 28).poolCidr).toBe('172.30.3.240/28');
    expect(() => nodeNetwork(3, 24)).toThrow(/26-29/);
  });

  it('refuses ids whose ranges would not fit', () => {
    expect(() => nodeNetwork(51)).toThrow(/0-50/);
    expect(() => nodeNetwork(-1)).toThrow(/0-50/);
  });

  it('names nodes as kind does: a control plane, then workers', () => {
    expect(nodeNames(3)).toEqual(['portico-control-plane', 'portico-worker', 'portico-worker2']);
    expect(() => nodeNames(0)).toThrow(/1-9/);
  });
});

describe('node configs', () => {
  it('containerd never reaches a registry and keeps its files under the node', () => {
    const toml = containerdConfig(dirs, '/usr/lib/cni');
    expect(toml).toContain('restrict_oom_score_adj = true');
    expect(toml).toContain(`config_path = "${dirs.registryConfig}"`);
    expect(toml).toContain('root = "/data/nodes/portico-worker/containerd/root"');
    expect(toml).toContain('SystemdCgroup = false');
    // Unix socket paths are limited to 107 bytes.
    expect(dirs.containerdSocket.length).toBeLessThan(108);
  });

  it("the CNI bridge gives pods this node's range and no masquerade", () => {
    const c = JSON.parse(cniConfig(worker)) as { plugins: Record<string, unknown>[] };
    expect(c.plugins[0]).toMatchObject({ type: 'bridge', ipMasq: false, isGateway: true });
    expect(JSON.stringify(c.plugins[0])).toContain('10.203.1.0/24');
  });

  it('the kubelet runs on cgroup v1 with its own cgroup root and leaves kernel settings alone', () => {
    const k = parse(kubeletConfig(net, worker, dirs)) as Record<string, unknown>;
    expect(k).toMatchObject({
      failCgroupV1: false,
      cgroupDriver: 'cgroupfs',
      cgroupRoot: '/portico3-portico-worker',
      protectKernelDefaults: true,
      clusterDNS: ['10.96.0.10'],
      address: '172.30.3.11',
      imageGCHighThresholdPercent: 100,
    });
  });

  it('kube-proxy leaves machine-wide conntrack limits alone', () => {
    const p = parse(kubeProxyConfig(net, worker, '/k')) as {
      conntrack: Record<string, unknown>;
      clusterCIDR: string;
    };
    expect(p.conntrack).toMatchObject({ maxPerCore: 0, min: 0 });
    expect(p.clusterCIDR).toBe('10.203.0.0/16');
  });

  it('pods resolve only through the cluster DNS', () => {
    expect(resolvConf(net).match(/nameserver (\S+)/g)).toEqual(['nameserver 10.96.0.10']);
  });
});
