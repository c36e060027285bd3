import fs from 'node:fs';
import path from 'node:path';
import { startProcess, waitFor, type Managed } from '../common/process.ts';
import {
  DEAD_REGISTRY_HOSTS,
  cniConfig,
  containerdConfig,
  kubeProxyConfig,
  kubeletConfig,
  nodeDirs,
  resolvConf,
  type NodeDirs,
} from './configs.ts';
import { run, type NodeAddress, type NodeNetwork } from './network.ts';

export interface NodeBinaries {
  readonly kubelet: string;
  readonly kubeProxy: string;
  readonly cniBinDir: string;
}

export interface NodeOptions {
  readonly net: NodeNetwork;
  readonly address: NodeAddress;
  readonly clusterDir: string;
  readonly bin: NodeBinaries;
  /** kubeconfig text for the kubelet (user system:node:<name>). */
  readonly kubeletKubeconfig: string;
  /** kubeconfig text for kube-proxy (user system:kube-proxy). */
  readonly proxyKubeconfig: string;
  /** `key=value:Effect` taints the kubelet registers the node with. */
  readonly taints?: string[];
}

export interface RunningNode {
  readonly address: NodeAddress;
  readonly dirs: NodeDirs;
  readonly containerd: Managed;
  readonly kubelet: Managed;
  readonly kubeProxy: Managed;
  readonly processes: readonly Managed[];
  stop(): Promise<void>;
}

/**
 * Paths a kubelet, containerd and the CNI library use whatever their flags say: each node gets its
 * own over them (as a kind node container has its own filesystem).
 */
const PRIVATE_PATHS = [
  '/var/lib/kubelet',
  '/var/log/containers',
  '/var/log/pods',
  '/var/lib/cni',
  '/run/containerd',
];

/**
 * Kernel settings the kubelet insists on (it would set them machine-wide): inside the node they
 * read as it wants, and the machine's stay untouched.
 */
const KERNEL_DEFAULTS: Record<string, string> = {
  '/proc/sys/vm/overcommit_memory': '1',
  '/proc/sys/kernel/panic': '10',
  '/proc/sys/kernel/panic_on_oops': '1',
};

const CGROUP_FS = '/sys/fs/cgroup';

function cgroupHierarchies(): string[] {
  return fs
    .readdirSync(CGROUP_FS)
    .map((h) => path.join(CGROUP_FS, h))
    .filter((p) => fs.statSync(p).isDirectory() && !fs.lstatSync(p).isSymbolicLink());
}

/** The node's cgroup root in every v1 hierarchy; cpuset needs cpus and mems before any child. */
function createCgroupRoot(root: string): void {
  for (const h of cgroupHierarchies()) {
    const dir = path.join(h, root);
    fs.mkdirSync(dir, { recursive: true });
    if (path.basename(h) === 'cpuset') {
      for (const f of ['cpuset.cpus', 'cpuset.mems'])
        fs.writeFileSync(path.join(dir, f), fs.readFileSync(path.join(h, f)));
    }
  }
}

/** Every pid in a cgroup subtree, in every hierarchy. */
function cgroupPids(root: string): number[] {
  const pids = new Set<number>();
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    try {
      for (const l of fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n'))
        if (l) pids.add(Number(l));
    } catch {
      /* gone meanwhile */
    }
    for (const e of entries) if (e.isDirectory()) walk(path.join(dir, e.name));
  };
  for (const h of cgroupHierarchies()) walk(path.join(h, root));
  return [...pids];
}

/** Removes a cgroup subtree, deepest first; a cgroup that still has tasks is left (and reported). */
function removeCgroupRoot(root: string): string[] {
  const left: string[] = [];
  const rm = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory()) rm(path.join(dir, e.name));
    try {
      fs.rmdirSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') left.push(dir);
    }
  };
  for (const h of cgroupHierarchies()) rm(path.join(h, root));
  return left;
}

/** Processes whose mount namespace is `nsFile`'s (containerd's shims live there after it is gone). */
function pidsInMountNs(nsFile: string): number[] {
  let target: number;
  try {
    target = fs.statSync(nsFile).ino;
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (fs.statSync(`/proc/${p}/ns/mnt`).ino === target) pids.push(Number(p));
    } catch {
      /* exited */
    }
  }
  return pids;
}

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

function writeFile(file: string, text: string, mode = 0o644): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text, { mode });
}

/** Starts containerd, the kubelet and kube-proxy of one node, in its own network, mount and UTS namespaces. */
export async function startNode(opts: NodeOptions): Promise<RunningNode> {
  const { net, address: n, bin } = opts;
  const d = nodeDirs(opts.clusterDir, net.id, n.name);
  const nsDir = path.dirname(d.containerdSocket);
  const mntNs = path.join(nsDir, 'mnt');
  const utsNs = path.join(nsDir, 'uts');
  const processes: Managed[] = [];
  const stop = async () => {
    for (const p of [...processes].reverse()) await p.stop();
    // Shims and containers outlive containerd: kill them by mount namespace and cgroup.
    for (let i = 0; i < 3; i++) {
      const pids = [...pidsInMountNs(mntNs), ...cgroupPids(d.cgroupRoot)];
      if (pids.length === 0) break;
      killAll(pids);
      await new Promise((r) => setTimeout(r, 200));
    }
    removeCgroupRoot(d.cgroupRoot);
    for (const f of [mntNs, utsNs, nsDir]) run('umount', ['-l', f], true);
    fs.rmSync(nsDir, { recursive: true, force: true });
  };

  try {
    fs.rmSync(d.dir, { recursive: true, force: true });
    fs.rmSync(nsDir, { recursive: true, force: true });
    writeFile(path.join(d.dir, 'containerd', 'config.toml'), containerdConfig(d, bin.cniBinDir));
    writeFile(path.join(d.registryConfig, '_default', 'hosts.toml'), DEAD_REGISTRY_HOSTS);
    writeFile(path.join(d.cniConf, '10-portico.conflist'), cniConfig(n));
    writeFile(path.join(d.dir, 'kubelet.yaml'), kubeletConfig(net, n, d));
    writeFile(path.join(d.dir, 'kubelet.kubeconfig'), opts.kubeletKubeconfig, 0o600);
    writeFile(path.join(d.dir, 'kube-proxy.kubeconfig'), opts.proxyKubeconfig, 0o600);
    writeFile(
      path.join(d.dir, 'kube-proxy.yaml'),
      kubeProxyConfig(net, n, path.join(d.dir, 'kube-proxy.kubeconfig')),
    );
    writeFile(path.join(d.dir, 'resolv.conf'), resolvConf(net));
    writeFile(path.join(d.dir, 'machine-id'), `${n.netns.replace(/[^0-9a-f]/g, '').padEnd(32, 'a')}\n`);
    for (const [file, value] of Object.entries(KERNEL_DEFAULTS))
      writeFile(path.join(d.dir, 'sysctl', path.basename(file)), `${value}\n`);
    fs.mkdirSync(d.kubeletDir, { recursive: true });
    createCgroupRoot(d.cgroupRoot);

    // A mount and UTS namespace that outlive the command that made them (bound onto files).
    fs.mkdirSync(nsDir, { recursive: true });
    run('mount', ['--bind', nsDir, nsDir]);
    run('mount', ['--make-private', nsDir]);
    for (const f of [mntNs, utsNs]) fs.writeFileSync(f, '');
    const binds = PRIVATE_PATHS.map((p) => {
      const own = path.join(d.dir, 'mnt', p.replace(/\//g, '_'));
      fs.mkdirSync(own, { recursive: true });
      fs.mkdirSync(p, { recursive: true });
      return `mount --bind ${own} ${p}`;
    });
    for (const [file] of Object.entries(KERNEL_DEFAULTS))
      binds.push(`mount --bind ${path.join(d.dir, 'sysctl', path.basename(file))} ${file}`);
    binds.push(`mount --bind ${path.join(d.dir, 'machine-id')} /etc/machine-id`);
    run('unshare', [
      `--mount=${mntNs}`,
      `--uts=${utsNs}`,
      '--propagation',
      'private',
      'sh',
      '-ec',
      [...binds, `hostname ${n.name}`].join('\n'),
    ]);
    const enter = (name: string, cmd: string, args: string[]) =>
      startProcess(`${n.name} ${name}`, 'nsenter', [
        `--net=/run/netns/${n.netns}`,
        `--mount=${mntNs}`,
        `--uts=${utsNs}`,
        '--',
        cmd,
        ...args,
      ]);

    const containerd = enter('containerd', 'containerd', [
      '--config',
      path.join(d.dir, 'containerd', 'config.toml'),
    ]);
    processes.push(containerd);
    await waitFor(`${n.name} containerd socket`, async () => fs.existsSync(d.containerdSocket), {
      process: containerd,
      timeoutMs: 30000,
    });
    const kubelet = enter('kubelet', bin.kubelet, [
      `--config=${path.join(d.dir, 'kubelet.yaml')}`,
      `--kubeconfig=${path.join(d.dir, 'kubelet.kubeconfig')}`,
      `--hostname-override=${n.name}`,
      `--node-ip=${n.ip}`,
      `--root-dir=/var/lib/kubelet`,
      `--cert-dir=/var/lib/kubelet/pki`,
      ...(opts.taints?.length ? [`--register-with-taints=${opts.taints.join(',')}`] : []),
      '--v=1',
    ]);
    processes.push(kubelet);
    const kubeProxy = enter('kube-proxy', bin.kubeProxy, [
      `--config=${path.join(d.dir, 'kube-proxy.yaml')}`,
      '--v=1',
    ]);
    processes.push(kubeProxy);
    return { address: n, dirs: d, containerd, kubelet, kubeProxy, processes, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
