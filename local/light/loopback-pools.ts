import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { alive } from '../common/process.ts';

/**
 * Gateway address ranges for light clusters, claimed machine-wide. Every light cluster's Envoy binds
 * its Gateways' VIPs in the host's network namespace, and Envoy sets SO_REUSEPORT on listeners: two
 * Envoys that bind one VIP:port (two runs on this machine given the same pool) silently share its
 * connections, each answering with its own routes. So each cluster holds a lock file for its /24,
 * as pod slots do: the requested 127.0.C.0/24 when free, else 127.N.C.0/24 with the first free N.
 */

const lockDir = () => process.env.PORTICO_POOL_LOCKS ?? path.join(os.tmpdir(), 'portico-pools');

export interface LoopbackPool {
  readonly cidr: string;
  release(): void;
}

const ours = new Set<string>();
process.once('exit', () => {
  for (const f of ours) fs.rmSync(f, { force: true });
});

/** Claims `requested` (a /24 in 127.0.0.0/8) or the first free 127.N.C.0/24; other ranges are returned as they are. */
export function claimLoopbackPool(requested: string): LoopbackPool {
  const m = /^127\.(\d+)\.(\d+)\.0\/24$/.exec(requested);
  if (!m) return { cidr: requested, release: () => {} };
  const third = m[2]!;
  fs.mkdirSync(lockDir(), { recursive: true });
  const seconds = [
    Number(m[1]),
    ...Array.from({ length: 255 }, (_, i) => i).filter((n) => n !== Number(m[1])),
  ];
  for (const second of seconds) {
    const cidr = `127.${second}.${third}.0/24`;
    const file = path.join(lockDir(), `127.${second}.${third}`);
    if (!take(file)) continue;
    ours.add(file);
    return {
      cidr,
      release() {
        fs.rmSync(file, { force: true });
        ours.delete(file);
      },
    };
  }
  throw new Error(`every 127.N.${third}.0/24 is claimed (see ${lockDir()})`);
}

/** Creates the lock file with our pid; a lock whose process is gone is taken over. */
function take(file: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const pid = Number(fs.readFileSync(file, 'utf8'));
    if (!pid || alive(pid)) return false; // empty: its owner is still writing it
    fs.rmSync(file, { force: true }); // a killed run's claim
  }
  return false;
}
