import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEnvoy, type EnvoyHandle } from '../local/light/envoy.ts';
import { staticProxyBootstrap } from '../test-support/static-proxy.ts';
import type { Pod } from '../local/light/pods.ts';
import { freePort } from '../local/common/process.ts';
import { findToolchain, ToolchainError } from '../local/toolchain/install.ts';
import { startBackend } from '../local/light/workloads.ts';

const staticBootstrap = (listenPort: number, backend: { ip: string; port: number }) =>
  staticProxyBootstrap(
    { address: '127.0.0.1', port: listenPort },
    { address: backend.ip, port: backend.port },
  );

describe('real Envoy in front of a pod in a network namespace', () => {
  let pod: Pod;
  let envoy: EnvoyHandle;
  let port: number;

  beforeAll(async () => {
    pod = await startBackend('details-v1', 'details', 9080);
    port = await freePort();
    envoy = await startEnvoy(staticBootstrap(port, { ip: pod.ip, port: 9080 }));
  });
  afterAll(async () => {
    await envoy?.stop();
    await pod?.stop();
  });

  it('the pod lives in its own namespace with a private address', () => {
    expect(pod.ip).toMatch(/^10\.244\./);
    const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    expect(list).toContain(pod.netns);
  });

  it('the pod reaches only what the harness wired: its own link, no default route', () => {
    const routeGet = (dst: string) =>
      spawnSync('ip', ['-n', pod.netns, 'route', 'get', dst], { encoding: 'utf8' });
    expect(spawnSync('ip', ['-n', pod.netns, 'route', 'show'], { encoding: 'utf8' }).stdout).not.toMatch(
      /^default/m,
    );
    expect(routeGet(pod.hostIp).status).toBe(0);
    // Another pod's /30 and an address off the machine: nothing routes there from inside.
    const [a, b, c, d] = pod.ip.split('.').map(Number) as [number, number, number, number];
    for (const dst of [`${a}.${b}.${c}.${(d + 4) & 255}`, '192.0.2.1']) {
      const r = routeGet(dst);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/unreachable/i);
    }
  });

  it('proxies a request from the host through Envoy to the pod', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/details/1`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: 1, author: 'William Shakespeare', year: 1595 });
    expect(res.headers.get('server')).toBe('envoy');
    const stats = await envoy.admin('/stats?filter=cluster.backend.upstream_rq_200');
    expect(stats).toMatch(/upstream_rq_200: 1/);
  });

  it('answers 503 once the pod is gone (its address is unreachable, never routed off the machine)', async () => {
    await pod.stop();
    const res = await fetch(`http://127.0.0.1:${port}/details/2`);
    expect(res.status).toBe(503);
  });
});

describe('harness errors say what to do', () => {
  it('a missing toolchain names the missing binaries and the install command', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-empty-'));
    const before = process.env.PORTICO_CACHE;
    process.env.PORTICO_CACHE = empty;
    try {
      expect(() => findToolchain()).toThrow(ToolchainError);
      expect(() => findToolchain()).toThrow(/missing etcd, kubeApiserver, .*run `npm run toolchain`/);
    } finally {
      if (before === undefined) delete process.env.PORTICO_CACHE;
      else process.env.PORTICO_CACHE = before;
      fs.rmSync(empty, { recursive: true });
    }
  });

  it('an Envoy that cannot start (listener port taken) fails fast with its own error, not a hang', async () => {
    const net = await import('node:net');
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const busy = (taken.address() as import('node:net').AddressInfo).port;
    try {
      await expect(startEnvoy(staticBootstrap(busy, { ip: '10.244.0.2', port: 9080 }))).rejects.toThrow(
        /envoy exited .*[\s\S]*(Address already in use|cannot bind)/,
      );
    } finally {
      taken.close();
    }
  });
});
