import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { alive, startProcess, waitFor, type Managed } from '../common/process.ts';

/**
 * "Pods" for the local cluster: real processes in their own network namespace, each with a
 * private address joined to the host by a veth pair (Kubernetes rejects loopback addresses in
 * EndpointSlices). Slot k owns 10.244.0.0/16's k-th /30: host side .1, pod side .2. A pod has
 * no default route: it answers whoever connects over its link and reaches nothing else.
 */

const POD_NET = [10, 244];
const SLOTS = 16384;
const lockDir = () => process.env.PORTICO_POD_LOCKS ?? path.join(os.tmpdir(), 'portico-pods');

export interface Pod {
  readonly name: string;
  /** The pod's address, reachable from the host. */
  readonly ip: string;
  /** The host side of the veth pair; the pod has no route beyond this /30 (no default route). */
  readonly hostIp: string;
  readonly netns: string;
  readonly process: Managed;
  logs(): string;
  stop(): Promise<void>;
}

export interface PodOptions {
  env?: NodeJS.ProcessEnv;
  /** Wait until something accepts TCP connections on this port at the pod's address. */
  readyPort?: number;
  timeoutMs?: number;
}

function ip(args: string[], allowFail = false): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.error) throw new Error(`ip not found: install iproute2 (${r.error.message})`);
  if (r.status !== 0 && !allowFail) {
    const hint = /Operation not permitted/.test(r.stderr) ? ' (network namespaces need root)' : '';
    throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}${hint}`);
  }
}

function addr(slot: number, offset: number): string {
  const n = slot * 4 + offset;
  return `${POD_NET[0]}.${POD_NET[1]}.${n >> 8}.${n & 255}`;
}

const names = (slot: number) => ({ netns: `ptc-${slot}`, host: `ptc${slot}h`, peer: `ptc${slot}p` });

/** Removes a slot's namespace and lock; safe to call when half set up. */
function releaseSlot(slot: number): void {
  const { netns, host } = names(slot);
  ip(['netns', 'del', netns], true);
  ip(['link', 'del', host], true);
  fs.rmSync(path.join(lockDir(), String(slot)), { force: true });
}

/** Frees slots whose owning process is gone (a test runner that was killed). */
export function cleanupStalePods(): void {
  if (!fs.existsSync(lockDir())) return;
  for (const f of fs.readdirSync(lockDir())) {
    const pid = Number(fs.readFileSync(path.join(lockDir(), f), 'utf8'));
    if (!alive(pid)) releaseSlot(Number(f));
  }
}

let guarded = false;

/**
 * Makes traffic to a pod address with no live pod fail on this machine instead of leaving it by
 * the default route. Needed wherever a proxy may connect to EndpointSlice addresses.
 */
export function guardPodNetwork(): void {
  if (guarded) return;
  ip(['route', 'replace', 'unreachable', `${POD_NET.join('.')}.0.0/16`]);
  guarded = true;
}

let cleaned = false;

function claimSlot(): number {
  fs.mkdirSync(lockDir(), { recursive: true });
  if (!cleaned) {
    cleanupStalePods();
    cleaned = true;
  }
  guardPodNetwork();
  for (let slot = 1; slot < SLOTS; slot++) {
    try {
      fs.writeFileSync(path.join(lockDir(), String(slot)), String(process.pid), { flag: 'wx' });
      return slot;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  throw new Error(`all ${SLOTS} pod slots are taken (see ${lockDir()})`);
}

const ours = new Set<number>();
process.once('exit', () => {
  for (const slot of ours) releaseSlot(slot);
});

/** Starts `cmd args` in a new network namespace and returns once it is up (and listening on readyPort). */
export async function startPod(
  name: string,
  cmd: string,
  args: string[],
  opts: PodOptions = {},
): Promise<Pod> {
  const slot = claimSlot();
  ours.add(slot);
  const { netns, host, peer } = names(slot);
  const hostIp = addr(slot, 1);
  const podIp = addr(slot, 2);
  let proc: Managed | undefined;
  const stop = async () => {
    await proc?.stop();
    releaseSlot(slot);
    ours.delete(slot);
  };
  try {
    ip(['netns', 'add', netns]);
    ip(['link', 'add', host, 'type', 'veth', 'peer', 'name', peer]);
    ip(['link', 'set', peer, 'netns', netns]);
    ip(['addr', 'add', `${hostIp}/30`, 'dev', host]);
    ip(['link', 'set', host, 'up']);
    ip(['-n', netns, 'addr', 'add', `${podIp}/30`, 'dev', peer]);
    ip(['-n', netns, 'link', 'set', peer, 'up']);
    ip(['-n', netns, 'link', 'set', 'lo', 'up']);
    proc = startProcess(`pod ${name}`, 'ip', ['netns', 'exec', netns, cmd, ...args], {
      env: { ...process.env, ...opts.env, HOSTNAME: name, POD_NAME: name, POD_IP: podIp },
    });
    if (opts.readyPort !== undefined) {
      const port = opts.readyPort;
      await waitFor(`pod ${name} listening on ${podIp}:${port}`, () => canConnect(podIp, port), {
        process: proc,
        timeoutMs: opts.timeoutMs ?? 20000,
      });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const p = proc;
  return { name, ip: podIp, hostIp, netns, process: p, logs: p.logs, stop };
}

async function canConnect(host: string, port: number): Promise<boolean> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const s = net.connect({ host, port, timeout: 500 });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}
