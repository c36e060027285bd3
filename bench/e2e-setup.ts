// Shared setup for the end-to-end benchmarks: the whole local cluster (kube-apiserver, the operator
// as a child process, a real Envoy over delta ADS), one backend pod in its own network namespace
// behind a selector-less Service with a hand-made EndpointSlice, and one HTTP Gateway.
import http from 'node:http';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { startLocalCluster, type LocalCluster } from '../local/light/cluster.ts';
import { gatewayAddress } from '../local/cli/demo.ts';
import type { Pod } from '../local/light/pods.ts';
import { startBackend } from '../local/light/workloads.ts';
import { serviceYaml } from '../test-support/service-yaml.ts';
import { KubeClient } from '../operator/kube/rest.ts';
import { RESOURCES, resourcePath } from '../operator/kube/resources.ts';

export const BACKEND_PORT = 8080;
const NS = 'default';

export { emit } from './measure.ts';

export const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

export interface Bench {
  cluster: LocalCluster;
  pod: Pod;
  client: KubeClient;
  /** The Gateway's VIP (loopback pool); its HTTP listener is on port 80. */
  vip: string;
  stop(): Promise<void>;
}

/** `kind`: a stand-in kind of local/backends/server.ts (`hello` for throughput runs). */
export async function startBench(kind = 'echo'): Promise<Bench> {
  // Its own VIP range, apart from the test suites' (two Envoys on one VIP:port would share it).
  const cluster = await startLocalCluster({
    poolCidr: '127.0.210.0/24',
    log,
    operatorScript: await operatorBundle(),
  });
  const cleanups: (() => Promise<void>)[] = [() => cluster.stop()];
  const stop = async () => {
    for (const c of cleanups.reverse()) await c().catch((e: unknown) => log(`cleanup: ${String(e)}`));
  };
  try {
    const pod = await startBackend('bench-backend', kind, BACKEND_PORT);
    cleanups.push(() => pod.stop());
    const cp = cluster.controlPlane;
    await cp.applyYaml(serviceYaml('backend', BACKEND_PORT, BACKEND_PORT, [pod.ip], NS));
    await cp.applyYaml(
      stringify({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'Gateway',
        metadata: { name: 'bench', namespace: NS },
        spec: { gatewayClassName: 'portico', listeners: [{ name: 'http', protocol: 'HTTP', port: 80 }] },
      }),
    );
    const vip = await gatewayAddress(cp.kubeConfig.makeApiClient(CustomObjectsApi), 'bench');
    const client = new KubeClient(cp.kubeConfig);
    cleanups.push(async () => client.close());
    return { cluster, pod, client, vip, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export function httpRoute(name: string, pathPrefix: string): Record<string, unknown> {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace: NS },
    spec: {
      parentRefs: [{ name: 'bench' }],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: pathPrefix } }],
          backendRefs: [{ name: 'backend', port: BACKEND_PORT }],
        },
      ],
    },
  };
}

/** Server-side apply, as `kubectl apply --server-side` does; resolves when the API server answered. */
export function applyRoute(client: KubeClient, name: string, pathPrefix: string): Promise<unknown> {
  return client.request(resourcePath(RESOURCES.httpRoutes, NS, name), {
    method: 'PATCH',
    patchType: 'apply',
    query: { fieldManager: 'bench', force: true },
    body: httpRoute(name, pathPrefix),
  });
}

/** Applies the HTTPRoute `all` (every path to the backend) and waits until Envoy serves it. */
export async function serveAll(bench: Bench, timeoutMs = 60000): Promise<void> {
  await applyRoute(bench.client, 'all', '/');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const deadline = Date.now() + timeoutMs;
    while ((await status(agent, bench.vip, 80, '/')) !== 200) {
      if (Date.now() > deadline) throw new Error('the route never served 200 through Envoy');
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    agent.destroy();
  }
}

/** One GET on a kept-alive connection; resolves with the status (0 on a connection error). */
export function status(agent: http.Agent, host: string, port: number, urlPath: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: urlPath, agent, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/**
 * The operator as its image runs it: esbuild's bundle of operator/main.ts (node without tsx, which
 * alone adds about 100 MiB of RSS). Written under node_modules/.cache so it finds the packages.
 */
export async function operatorBundle(): Promise<string> {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const { bundle, repoRoot } = await import('../local/images/node-apps.ts');
  const dir = path.join(repoRoot, 'node_modules', '.cache', 'portico-bench');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'operator.mjs');
  fs.writeFileSync(file, (await bundle('operator/main.ts')).code);
  return file;
}

/** The sum of a metric's samples (optionally only lines containing `labels`) at an operator's /metrics. */
export async function metric(url: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n'))
    if (line.startsWith(name) && line.includes(labels) && !line.startsWith('#'))
      sum += Number(line.split(' ').pop());
  return sum;
}

/** CPU time (user + system) a process has used, from /proc (seconds). */
export async function cpuSeconds(pid: number): Promise<number> {
  const fs = await import('node:fs/promises');
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

/** Resident set size of a process, from /proc (MiB). */
export async function rssMiB(pid: number): Promise<number> {
  const fs = await import('node:fs/promises');
  const m = /VmRSS:\s+(\d+) kB/.exec(await fs.readFile(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** The API server's Prometheus text at /metrics, read as the cluster admin. */
export async function apiserverMetrics(cp: ControlPlaneAccess): Promise<string> {
  return (await apiserverGet(cp, '/metrics')).toString('utf8');
}

interface ControlPlaneAccess {
  server: string;
  caPem: string;
  kubeConfig: { getCurrentUser(): { token?: string } | null };
}

/** A GET on the API server as the cluster admin, the raw body (e.g. a pprof profile). */
export async function apiserverGet(cp: ControlPlaneAccess, path: string): Promise<Buffer> {
  const https = await import('node:https');
  const token = cp.kubeConfig.getCurrentUser()?.token ?? '';
  return new Promise((resolve, reject) => {
    https
      .get(`${cp.server}${path}`, { ca: cp.caPem, headers: { authorization: `Bearer ${token}` } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/**
 * Sums of one metric family's samples, keyed by the values of `labels` joined with spaces
 * (e.g. apiserver_request_total by verb, resource, subresource, code).
 */
export function sampleSums(text: string, name: string, labels: readonly string[]): Map<string, number> {
  const sums = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.lastIndexOf('}');
    const set = new Map<string, string>();
    for (const m of line.slice(name.length + 1, close).matchAll(/(\w+)="([^"]*)"/g)) set.set(m[1]!, m[2]!);
    const key = labels.map((l) => set.get(l) ?? '').join(' ');
    sums.set(key, (sums.get(key) ?? 0) + Number(line.slice(close + 1).trim()));
  }
  return sums;
}

/** `after - before` per key, zero differences left out. */
export function sampleDelta(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const d: Record<string, number> = {};
  for (const [k, v] of after) {
    const x = Math.round((v - (before.get(k) ?? 0)) * 1000) / 1000;
    if (x !== 0) d[k] = x;
  }
  return d;
}
