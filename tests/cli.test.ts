import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { networkIdFor } from '../local/nodes/network.ts';

// `portico` as a user runs it: child processes, real output, real exit codes.
const bin = path.resolve('bin/portico.js');
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-home-'));
// Its own node network (172.30.2.0/24, shifted by PORTICO_NETWORK_OFFSET), so a developer's
// `portico up` may run beside it.
const env = { ...process.env, PORTICO_HOME: home, PORTICO_NETWORK_ID: '2' };
const id = networkIdFor(2);

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/**
 * Not root, yet able to read the checkout wherever it lives and whatever its permissions (a clone
 * under /root is 0700, out of reach of a real user nobody): a new user namespace with no mapping
 * makes getuid() the overflow uid, while files are still opened as the user running the tests.
 */
const AS_NOBODY = ['unshare', '--user'];

function portico(
  args: string[],
  opts: { nobody?: boolean; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<Run> {
  return new Promise((resolve) => {
    const [cmd, ...pre] = opts.nobody ? AS_NOBODY : [];
    const child = spawn(cmd ?? process.execPath, [...pre, ...(cmd ? [process.execPath] : []), bin, ...args], {
      env: { ...env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

const netns = () => spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
const children = (pattern: string) =>
  spawnSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);

describe('portico CLI: bad usage gets one clear line and a non-zero exit', () => {
  it.each([
    [['frobnicate'], /^portico: unknown command "frobnicate"/],
    [['up', '--bogus'], /^portico: Unknown option '--bogus'/],
    [['down'], /^portico: no cluster is up/],
    [['up', '--port', 'x'], /^portico: --port must be a TCP port/],
    [['up', '--nodes', '0'], /^portico: --nodes must be 1 to 9/],
    [
      ['up', '--gateway-api-channel', 'beta'],
      /^portico: --gateway-api-channel must be standard or experimental/,
    ],
    [['status'], /^portico: no cluster is up/],
    [['logs', 'bogus'], /^portico: no logs for "bogus"; components: .*\boperator\b/],
    [['logs', '-x'], /^portico: Unknown option '-x'/],
  ])('portico %j', async (args, message) => {
    const r = await portico(args);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(message);
  });

  it.each(['up', 'down', 'status', 'logs', 'demo'])(
    'portico %s --help and -h: its usage and the exit codes',
    async (cmd) => {
      for (const flag of ['--help', '-h']) {
        const r = await portico([cmd, flag]);
        expect(r.code).toBe(0);
        expect(r.err).toBe('');
        expect(r.out).toMatch(new RegExp(`^usage: portico ${cmd}\\b`));
        expect(r.out).toMatch(
          /^exit codes \(every command\):\n {2}0 {2}.*\n {2}1 {2}.*\n.*\n {2}2 {2}bad usage/m,
        );
      }
    },
  );

  it('portico --help says what --port is; --version names the pinned parts', async () => {
    expect((await portico(['up', '--help'])).out).toMatch(/--port N +TCP port kube-apiserver listens on/);
    const help = await portico(['--help']);
    expect(help.out).toMatch(/^ +--version /m);
    expect(help.out).toMatch(/^ +logs \[COMPONENT\] \[-f\]/m);
    const v = await portico(['--version']);
    expect(v.code).toBe(0);
    expect(v.out).toMatch(
      /^portico 0\.1\.0\n {2}kubernetes +v1\.36\.3\n {2}etcd +v3\.6\.\d+\n {2}envoy +1\.40\.0\n/,
    );
  });

  it('a port already taken', async () => {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    try {
      const r = await portico(['up', '--port', String(port)]);
      expect(r.code).toBe(2);
      expect(r.err.trim()).toBe(`portico: port ${port} is already in use: pick another with --port`);
    } finally {
      srv.close();
    }
  });

  it('a binary that will not start', async () => {
    const { toolchainPaths } = await import('../local/toolchain/paths.ts');
    const real = toolchainPaths();
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-badcache-'));
    const bad = toolchainPaths(cache);
    for (const k of Object.keys(real) as (keyof typeof real)[]) {
      fs.mkdirSync(path.dirname(bad[k]), { recursive: true });
      fs.symlinkSync(real[k], bad[k]);
    }
    fs.rmSync(bad.kubeApiserver);
    fs.writeFileSync(bad.kubeApiserver, '#!/bin/sh\necho "unknown flag: --etcd-servers" >&2\nexit 1\n', {
      mode: 0o755,
    });
    try {
      // A fresh cache: the images are built again first (about a minute on a loaded machine).
      const r = await portico(['up'], { env: { PORTICO_CACHE: cache }, timeoutMs: 240000 });
      expect(r.code).toBe(1);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(
        /^portico: kube-apiserver exited while waiting for .* \(details: .*error\.log\)$/m,
      );
      expect(fs.readFileSync(path.join(home, 'error.log'), 'utf8')).toContain('unknown flag: --etcd-servers');
      expect(fs.existsSync(path.join(home, 'cluster'))).toBe(false);
      // Its log stays readable after the failed start.
      const logs = await portico(['logs', 'apiserver']);
      expect(logs.code).toBe(0);
      expect(logs.out).toContain('unknown flag: --etcd-servers');
    } finally {
      fs.rmSync(cache, { recursive: true, force: true });
    }
  }, 300000);

  it('without root', async () => {
    const r = await portico(['up'], { nobody: true });
    expect(r.code).toBe(2);
    expect(r.err.trim()).toMatch(/^portico: portico up needs root .*sudo$/);
  });
});

describe('portico up --detach, status, demo, down', () => {
  const before = { procs: [] as string[] };
  beforeAll(() => {
    expect(
      netns()
        .split('\n')
        .filter((l) => l.startsWith(`ptc${id}-`)),
    ).toEqual([]);
    before.procs = children(home);
  });
  afterAll(async () => {
    // Whatever happened above, leave nothing running.
    await portico(['down']);
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('runs the lab as a user would and leaves nothing behind', async () => {
    const up = await portico(['up', '--detach'], { timeoutMs: 600000 });
    expect(up.err).toBe('');
    expect(up.code).toBe(0);
    expect(up.out).toMatch(/running in the background \(pid \d+\)/);
    const kubeconfig = /export KUBECONFIG=(\S+)/.exec(up.out)?.[1];
    expect(kubeconfig && fs.existsSync(kubeconfig)).toBe(true);

    const twice = await portico(['up', '--detach']);
    expect(twice.code).toBe(2);
    expect(twice.err).toMatch(/^portico: a cluster is already up/);

    const kubectl = (...args: string[]) =>
      spawnSync('kubectl', args, { encoding: 'utf8', env: { ...env, KUBECONFIG: kubeconfig } }).stdout;
    expect(kubectl('get', 'gatewayclass', 'portico')).toMatch(
      /portico\s+portico\.dev\/gateway-controller\s+True/,
    );
    expect(kubectl('get', 'nodes').match(/\sReady\s/g)).toHaveLength(3);
    const workloads = kubectl('-n', 'portico-system', 'get', 'deploy,ds');
    expect(workloads).toMatch(/deployment.apps\/portico-operator\s+1\/1/);
    expect(workloads).toMatch(/daemonset.apps\/portico-envoy\s+3\s+3\s+3/);

    const demo = await portico(['demo'], { timeoutMs: 300000 });
    expect(demo.out).toMatch(/using the running cluster/);
    expect(demo.out).toMatch(/"author": "William Shakespeare"/);
    expect(demo.out).toMatch(/^demo: \d+ passed, 0 failed$/m);
    expect(demo.code).toBe(0);

    const status = await portico(['status', '--wait']);
    expect(status.code).toBe(0);
    expect(status.out).toMatch(/Deployment\s+portico-operator\s+1\s+1\s+1\s+1\s+portico\/operator:0\.1\.0/);
    expect(status.out).toMatch(/DaemonSet\s+portico-envoy\s+3\s+3\s+3\s+3\s+envoyproxy\/envoy:v1\.40\.0/);
    expect(status.out).toMatch(/DaemonSet\s+portico-agent\s+3\s+3\s+3\s+3\s+portico\/agent:0\.1\.0/);
    expect(
      status.out.match(
        new RegExp(
          `portico-(control-plane|worker2?)\\s+True\\s+(control-plane|worker)\\s+172\\.30\\.${id}\\.1\\d\\s+v1\\.36\\.3`,
          'g',
        ),
      ),
    ).toHaveLength(3);
    expect(status.out).toMatch(
      new RegExp(
        `default\\s+my-gateway\\s+portico\\s+172\\.30\\.${id}\\.20\\d\\s+True\\s+2\\s+portico-(control-plane|worker2?)`,
      ),
    );
    expect(status.out).toMatch(/TLSRoute\s+default\s+nginx\s+cilium-tls-gateway\s+OK/);

    // A problem listed is a non-zero exit.
    const orphan = path.join(home, 'orphan.yaml');
    fs.writeFileSync(
      orphan,
      'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: { name: orphan, namespace: default }\n' +
        'spec: { parentRefs: [{ name: no-such-gateway }] }\n',
    );
    kubectl('apply', '-f', orphan);
    const problem = await portico(['status']);
    expect(problem.out).toMatch(/HTTPRoute\s+default\s+orphan\s+Gateway default\/no-such-gateway not found/);
    expect(problem.out).toMatch(/^1 route\(s\) with problems/m);
    expect(problem.code).toBe(1);
    kubectl('delete', '-f', orphan);

    // README's authoring example, synthesized from the repository's constructs: nginx runs and
    // answers through its Gateway.
    const scratch = fs.mkdtempSync(path.resolve('.scratch-readme-'));
    try {
      const readme = fs.readFileSync('README.md', 'utf8');
      const example = /```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## Authoring Gateways')))![1]!;
      fs.writeFileSync(
        path.join(scratch, 'main.ts'),
        example.replace("from 'portico'", `from '${path.resolve('constructs/index.ts')}'`),
      );
      const synth = spawnSync(process.execPath, ['--import', 'tsx', 'main.ts'], {
        cwd: scratch,
        encoding: 'utf8',
      });
      expect(synth.stderr).toBe('');
      kubectl('apply', '-f', path.join(scratch, 'dist', 'shop.k8s.yaml'));
      expect(
        kubectl('-n', 'shop', 'wait', '--for=condition=Available', 'deploy', '--all', '--timeout=240s'),
      ).toMatch(/condition met/);
      kubectl('-n', 'shop', 'wait', '--for=condition=Programmed', 'gateway/shop', '--timeout=120s');
      const vip = kubectl(
        '-n',
        'shop',
        'get',
        'gateway',
        'shop',
        '-o',
        'jsonpath={.status.addresses[0].value}',
      );
      const page = await new Promise<string>((resolve, reject) => {
        const req = http.get(
          { host: vip, path: '/', headers: { host: 'shop.example.com' }, timeout: 10000 },
          (res) => {
            let body = '';
            res.on('data', (d: Buffer) => (body += d.toString()));
            res.on('end', () => resolve(body));
          },
        );
        req.on('error', reject);
        req.on('timeout', () => req.destroy(new Error('timed out')));
      });
      expect(page).toContain('<title>Welcome to nginx!</title>');
      kubectl('delete', '-f', path.join(scratch, 'dist', 'shop.k8s.yaml'));
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }

    // Logs: pods through the API, host components from their files, -f follows.
    const operatorLogs = await portico(['logs', 'operator']);
    expect(operatorLogs.code).toBe(0);
    expect(operatorLogs.out).toMatch(/"msg":"portico operator listening"/);
    const envoyLogs = await portico(['logs', 'envoy']);
    expect(
      envoyLogs.out.match(/^\[portico-envoy-\w+ on portico-(control-plane|worker2?)\] /gm)?.length,
    ).toBeGreaterThan(3);
    const kubelet = await portico(['logs', 'kubelet']);
    expect(new Set(kubelet.out.match(/^\[portico-(control-plane|worker2?)\] /gm))).toEqual(
      new Set(['[portico-control-plane] ', '[portico-worker] ', '[portico-worker2] ']),
    );
    expect((await portico(['logs'])).out).toMatch(/^components: .*\bkube-apiserver\b.*\bkubelet\b/);
    // Killed while following (after node has had time to start on a loaded machine).
    const follow = await portico(['logs', 'apiserver', '-f'], { timeoutMs: 30000 });
    expect(follow.code).toBeNull(); // still following when killed
    expect(follow.out.length).toBeGreaterThan(0);

    const down = await portico(['down']);
    expect(down.code).toBe(0);
    expect(down.out).toMatch(/^portico: stopped; deleted the cluster's data \(.*\/cluster\)$/m);
    expect(fs.existsSync(path.join(home, 'cluster'))).toBe(false);
    // Other suites may run beside this one on their own node networks: none of this cluster's
    // node namespaces (ptc<id>-*) may be left.
    const left = netns()
      .split('\n')
      .filter((l) => l.startsWith(`ptc${id}-`));
    expect(left).toEqual([]);
    expect(spawnSync('ip', ['link', 'show', `ptcbr${id}`]).status).not.toBe(0);
    const mounts = fs.readFileSync('/proc/mounts', 'utf8');
    expect(mounts).not.toMatch(new RegExp(`/run/portico/${id}\\b`));
    expect(mounts).not.toContain(home);
    expect(fs.readdirSync('/sys/fs/cgroup/memory').filter((d) => d.startsWith(`portico${id}-`))).toEqual([]);
    expect(children(home)).toEqual(before.procs);
    expect(children('kube-apiserver.*' + home)).toEqual([]);
  }, 1200000);
});
