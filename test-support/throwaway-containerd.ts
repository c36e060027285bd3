// A containerd of the test's own: root, state, socket and config in a temp dir, in a private mount
// namespace whose /run is a tmpfs (shim sockets, fifos and runc state never touch the host's /run).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ctr, type ImportOptions } from '../local/images/import.ts';
import { startProcess, waitFor, type Managed } from '../local/common/process.ts';

const run = promisify(execFile);

export interface ThrowawayContainerd {
  dir: string;
  address: string;
  /** Runs ctr inside containerd's mount namespace (where its fifos and shims live). */
  ctrOptions: ImportOptions;
  ctr(args: readonly string[]): Promise<string>;
  /** The cgroup parent of containers this test runs (removed on stop). */
  cgroupParent: string;
  pid(): number;
  stop(): Promise<void>;
}

function config(dir: string): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `version = 2
root = "${dir}/root"
state = "${dir}/state"
[grpc]
  address = "${dir}/containerd.sock"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "${dir}/opt"
[${cri}]
  sandbox_image = "registry.k8s.io/pause:3.10.1"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [${cri}.containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [${cri}.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [${cri}.containerd.runtimes.runc.options]
        SystemdCgroup = false
  [${cri}.cni]
    bin_dir = "${dir}/cni/bin"
    conf_dir = "${dir}/cni/conf"
  [${cri}.registry]
    config_path = "${dir}/certs.d"
`;
}

// Every registry resolves to a dead loopback port: a missing image fails here, never pulls.
const DEAD_REGISTRY = `server = "http://127.0.0.1:1"
[host."http://127.0.0.1:1"]
  capabilities = ["pull", "resolve"]
`;

export async function startContainerd(): Promise<ThrowawayContainerd> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-containerd-'));
  fs.mkdirSync(path.join(dir, 'certs.d', '_default'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'certs.d', '_default', 'hosts.toml'), DEAD_REGISTRY);
  fs.writeFileSync(path.join(dir, 'config.toml'), config(dir));
  const address = path.join(dir, 'containerd.sock');
  const proc: Managed = startProcess('containerd', 'unshare', [
    '--mount',
    '--propagation',
    'private',
    'sh',
    '-c',
    `mount -t tmpfs -o mode=0755 tmpfs /run && exec containerd --config ${dir}/config.toml`,
  ]);
  const pid = () => {
    if (!proc.child.pid) throw new Error('containerd did not start');
    return proc.child.pid;
  };
  const ctrOptions: ImportOptions = { address, ctr: ['nsenter', `--mount=/proc/${pid()}/ns/mnt`, 'ctr'] };
  const cgroupParent = `/portico-images-test-${process.pid}`;
  await waitFor('containerd socket', async () => (await ctr(ctrOptions, ['version'])).includes('Server'), {
    process: proc,
    timeoutMs: 20000,
  });
  return {
    dir,
    address,
    ctrOptions,
    ctr: (args) => ctr(ctrOptions, args),
    cgroupParent,
    pid,
    async stop() {
      let mntNs: string | undefined;
      try {
        mntNs = fs.readlinkSync(`/proc/${pid()}/ns/mnt`);
      } catch {
        /* already exited */
      }
      // Never sweep the host's own mount namespace (containerd failed before unsharing).
      const own = mntNs !== undefined && mntNs !== fs.readlinkSync('/proc/self/ns/mnt');
      await proc.stop();
      // Shims outlive containerd; any left in its mount namespace are ours.
      for (const p of own ? fs.readdirSync('/proc').filter((f) => /^\d+$/.test(f)) : []) {
        try {
          if (fs.readlinkSync(`/proc/${p}/ns/mnt`) === mntNs) process.kill(Number(p), 'SIGKILL');
        } catch {
          /* gone, or not ours to read */
        }
      }
      for (const hierarchy of fs.readdirSync('/sys/fs/cgroup')) {
        const cg = path.join('/sys/fs/cgroup', hierarchy, cgroupParent);
        if (!fs.existsSync(cg)) continue;
        for (const child of fs.readdirSync(cg, { withFileTypes: true })) {
          if (child.isDirectory()) await run('rmdir', [path.join(cg, child.name)]).catch(() => {});
        }
        await run('rmdir', [cg]).catch(() => {});
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
