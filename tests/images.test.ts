// The images as containerd runs them: imported into a throwaway containerd (no registry reachable),
// then run with ctr; traffic only inside network namespaces the containers get.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { TlsPassthroughChart } from '../charts/examples/tls-passthrough.ts';
import { ensureImages, type BuiltImage } from '../local/images/build.ts';
import {
  COREDNS_IMAGE,
  ECHO_IMAGE,
  NGINX_IMAGE,
  OPERATOR_IMAGE,
  PAUSE_IMAGE,
} from '../local/images/catalog.ts';
import { ENVOY_IMAGE } from '../constructs/envoy-daemon-set.ts';
import { importImages, parseImageList } from '../local/images/import.ts';
import { fullName } from '../local/images/oci.ts';
import { waitFor } from '../local/common/process.ts';
import { startContainerd, type ThrowawayContainerd } from '../test-support/throwaway-containerd.ts';
import { testApp } from '../test-support/cdk8s.ts';

const run = promisify(execFile);

let cd: ThrowawayContainerd;
let images: BuiltImage[];
const started: string[] = [];

beforeAll(async () => {
  images = await ensureImages();
  cd = await startContainerd();
}, 600000);

afterAll(async () => {
  for (const id of started) {
    await cd.ctr(['task', 'kill', '-s', 'SIGKILL', id]).catch(() => {});
    await cd.ctr(['task', 'delete', '-f', id]).catch(() => {});
    await cd.ctr(['containers', 'delete', id]).catch(() => {});
  }
  await cd?.stop();
});

/** Runs `image` to completion (--rm) with `args` replacing its command; returns its output. */
function runOnce(image: string, id: string, args: string[], flags: string[] = []): Promise<string> {
  return cd.ctr([
    'run',
    '--rm',
    '--cgroup',
    `${cd.cgroupParent}/${id}`,
    ...flags,
    fullName(image),
    id,
    ...args,
  ]);
}

/** Starts `image` detached with its own command; returns the task's pid. */
async function runDetached(image: string, id: string, flags: string[] = []): Promise<number> {
  started.push(id);
  await cd.ctr([
    'run',
    '-d',
    '--null-io',
    '--cgroup',
    `${cd.cgroupParent}/${id}`,
    ...flags,
    fullName(image),
    id,
  ]);
  return taskPid(id);
}

async function taskStatus(id: string): Promise<{ pid: number; status: string } | undefined> {
  for (const line of (await cd.ctr(['task', 'ls'])).split('\n').slice(1)) {
    const [task, pid, status] = line.trim().split(/\s+/);
    if (task === id) return { pid: Number(pid), status: status ?? '' };
  }
  return undefined;
}

async function taskPid(id: string): Promise<number> {
  const t = await taskStatus(id);
  if (!t) throw new Error(`no task ${id}`);
  return t.pid;
}

/** Runs `cmd` in the network namespace of process `pid` (a container's, not the host's). */
async function inNetns(pid: number, cmd: string[]): Promise<string> {
  const { stdout } = await run('nsenter', [`--net=/proc/${pid}/ns/net`, ...cmd]);
  return stdout;
}

test('every image imports under its chart name at the built digest; a second import skips them', async () => {
  const first = await importImages(cd.ctrOptions);
  expect([...first.imported].sort()).toEqual(images.map((i) => i.name).sort());
  const listed = parseImageList(await cd.ctr(['images', 'ls']));
  for (const i of images) expect(listed.get(fullName(i.name))).toBe(i.digest);
  const again = await importImages(cd.ctrOptions);
  expect(again.imported).toEqual([]);
  expect(again.skipped).toHaveLength(images.length);
}, 300000);

test('a second build is a cache hit with the same digests', async () => {
  const again = await ensureImages();
  expect(again.every((i) => i.cached)).toBe(true);
  expect(again.map((i) => i.digest)).toEqual(images.map((i) => i.digest));
});

test('the operator runs as 65532 on a read-only root and resolves its Envoy protos', async () => {
  const help = await runOnce(
    OPERATOR_IMAGE,
    'op-help',
    ['/usr/local/bin/node', '/app/main.js', '--help'],
    ['--read-only'],
  );
  expect(help).toContain('portico operator');
  // The resolution operator/envoy/codec.ts does, from /app/main.js, loading the protos it needs.
  const script = `
    const { createRequire } = require('node:module');
    const path = require('node:path'), fs = require('node:fs');
    const r = createRequire('/app/main.js');
    const deps = path.join(path.dirname(r.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
    const dirs = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => path.join(deps, d));
    dirs.push(path.dirname(r.resolve('protobufjs/package.json')));
    const protobuf = r('protobufjs');
    const root = new protobuf.Root();
    root.resolvePath = (o, t) => dirs.map((d) => path.join(d, t)).find((c) => fs.existsSync(c)) ?? t;
    root.loadSync(['envoy/service/discovery/v3/ads.proto', 'envoy/config/listener/v3/listener.proto'], { keepCase: true });
    root.resolveAll();
    console.log('uid', process.getuid(), 'type', root.lookupType('envoy.config.listener.v3.Listener').fullName);`;
  const out = await runOnce(
    OPERATOR_IMAGE,
    'op-protos',
    ['/usr/local/bin/node', '-e', script],
    ['--read-only'],
  );
  expect(out).toContain('uid 65532 type .envoy.config.listener.v3.Listener');
}, 60000);

test('envoy runs as 101 and CoreDNS runs', async () => {
  expect(await runOnce(ENVOY_IMAGE, 'envoy-version', ['envoy', '--version'], ['--read-only'])).toContain(
    'version:',
  );
  expect(await runOnce(COREDNS_IMAGE, 'coredns-version', ['/coredns', '-version'])).toContain(
    'CoreDNS-1.12.2',
  );
}, 60000);

test('pause holds until SIGTERM and exits 0', async () => {
  // Attached: ctr run exits with the container's status (a failure rejects).
  const exited = runOnce(PAUSE_IMAGE, 'pause', []);
  await waitFor('pause to run', async () => (await taskStatus('pause'))?.status === 'RUNNING');
  await new Promise((r) => setTimeout(r, 200));
  expect((await taskStatus('pause'))?.status).toBe('RUNNING');
  await cd.ctr(['task', 'kill', '-s', 'SIGTERM', 'pause']);
  await exited;
}, 30000);

test('the echo stand-in answers with its hostname inside its network namespace', async () => {
  const pid = await runDetached(ECHO_IMAGE, 'echo', ['--env', 'POD_NAME=echo-7d9f']);
  await inNetns(pid, ['ip', 'link', 'set', 'lo', 'up']);
  let body = '';
  await waitFor('echo to answer', async () => {
    body = await inNetns(pid, ['curl', '-sf', 'http://127.0.0.1:8080/echo?x=1']);
    return true;
  });
  expect(body).toContain('Hostname: echo-7d9f');
  expect(body).toContain('real path=/echo');
}, 30000);

test("nginx serves TLS with the lab chart's config and certificate", async () => {
  const app = testApp();
  const chart = new TlsPassthroughChart(app, 'tls');
  const cm = chart.toJson().find((o: { kind: string }) => o.kind === 'ConfigMap') as {
    data: Record<string, string>;
  };
  const dir = path.join(cd.dir, 'nginx');
  fs.mkdirSync(path.join(dir, 'certs'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'nginx.conf'), cm.data['nginx.conf']!);
  fs.writeFileSync(path.join(dir, 'index.html'), cm.data['index.html']!);
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=nginx.cilium.rocks',
    '-keyout',
    path.join(dir, 'certs', 'tls.key'),
    '-out',
    path.join(dir, 'certs', 'tls.crt'),
  ]);
  const bind = (src: string, dst: string) => ['--mount', `type=bind,src=${src},dst=${dst},options=rbind:ro`];
  const pid = await runDetached(NGINX_IMAGE, 'nginx', [
    ...bind(path.join(dir, 'nginx.conf'), '/etc/nginx/nginx.conf'),
    ...bind(path.join(dir, 'index.html'), '/usr/share/nginx/html/index.html'),
    ...bind(path.join(dir, 'certs'), '/etc/nginx-server-certs'),
  ]);
  await inNetns(pid, ['ip', 'link', 'set', 'lo', 'up']);
  let body = '';
  await waitFor('nginx to answer', async () => {
    body = await inNetns(pid, [
      'curl',
      '-sfk',
      '--resolve',
      'nginx.cilium.rocks:443:127.0.0.1',
      'https://nginx.cilium.rocks/',
    ]);
    return true;
  });
  expect(body).toContain('Cilium rocks.');
}, 30000);
