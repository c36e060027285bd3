import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEtcd } from '../local/control-plane/control-plane.ts';
import { freePort } from '../local/common/process.ts';
import { findToolchain } from '../local/toolchain/install.ts';

// Parallel runs pick free ports and bind them later: another run's etcd may sit on the port picked.
describe('etcd start (real etcd)', () => {
  const dirs: string[] = [];
  const mkdir = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-etcd-test-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it("does not take another run's etcd on the port it picked for its own", async () => {
    const { etcd } = findToolchain();
    const other = await startEtcd(etcd, mkdir(), 30000);
    try {
      const taken = Number(new URL(other.url).port);
      // The first pick is the other etcd's client port; later picks are free.
      let picks = 0;
      const pick = async () => (picks++ === 0 ? taken : freePort());
      const ours = await startEtcd(etcd, mkdir(), 30000, pick);
      try {
        expect(ours.url).not.toBe(other.url);
        expect(ours.proc.child.exitCode).toBeNull();
        const health = await fetch(`${ours.url}/health`);
        expect(health.ok).toBe(true);
      } finally {
        await ours.proc.stop();
      }
    } finally {
      await other.proc.stop();
    }
  });
});
