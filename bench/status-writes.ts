// The API server's own cost of route status writes, with nothing else running: N HTTPRoutes,
// then one status write each, per way of writing it: the API server's CPU seconds per 1,000
// writes (robust on a shared machine) and the rate. The operator sends a merge patch with the
// resourceVersion read and fieldManager=portico; the others are what it could send instead.
// The creates' own cost is the yardstick: a burst pays one create and one status write per route.
//   node --import tsx bench/status-writes.ts [routes=1000]
import os from 'node:os';
import { startControlPlane } from '../local/control-plane/control-plane.ts';
import { KubeClient, type RequestOptions } from '../operator/kube/rest.ts';
import { RESOURCES, resourcePath, type KubeObject } from '../operator/kube/resources.ts';
import { runBounded } from '../operator/kube/status.ts';
import { cpuSeconds, emit, log } from './e2e-setup.ts';

const ROUTES = Number(process.argv[2] ?? 1000);
const CONCURRENCY = 16;
const NS = 'default';
const load = () => `load ${os.loadavg()[0]!.toFixed(2)}`;

const status = (round: number) => ({
  parents: [
    {
      parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'web' },
      controllerName: 'portico.dev/gateway-controller',
      conditions: ['Accepted', 'ResolvedRefs'].map((type) => ({
        type,
        status: 'True',
        reason: type,
        message: `round ${round}`,
        observedGeneration: 1,
        lastTransitionTime: '2026-01-01T00:00:00Z',
      })),
    },
  ],
});

/** One request per route: its path and options, given the route as last read and the round. */
type Variant = (live: KubeObject & { status?: unknown }, round: number) => [string, RequestOptions];
const statusPath = (live: KubeObject) =>
  resourcePath(RESOURCES.httpRoutes, NS, live.metadata!.name!, 'status');
const VARIANTS: [string, Variant][] = [
  [
    'merge patch, resourceVersion, fieldManager (the operator)',
    (live, round) => [
      statusPath(live),
      {
        method: 'PATCH',
        patchType: 'merge',
        query: { fieldManager: 'portico' },
        body: { metadata: { resourceVersion: live.metadata!.resourceVersion }, status: status(round) },
      },
    ],
  ],
  [
    'merge patch, no resourceVersion, no fieldManager',
    (live, round) => [
      statusPath(live),
      { method: 'PATCH', patchType: 'merge', body: { status: status(round) } },
    ],
  ],
  [
    'json patch, replace /status',
    (live, round) => [
      statusPath(live),
      {
        method: 'PATCH',
        patchType: 'json',
        query: { fieldManager: 'portico' },
        body: [{ op: 'replace', path: '/status', value: status(round) }],
      },
    ],
  ],
  [
    'update (PUT) of the status subresource',
    (live, round) => [
      statusPath(live),
      { method: 'PUT', query: { fieldManager: 'portico' }, body: { ...live, status: status(round) } },
    ],
  ],
  [
    'server-side apply',
    (live, round) => [
      statusPath(live),
      {
        method: 'PATCH',
        patchType: 'apply',
        query: { fieldManager: 'portico-apply', force: true },
        body: {
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind: 'HTTPRoute',
          metadata: { name: live.metadata!.name, namespace: NS },
          status: status(round),
        },
      },
    ],
  ],
];

const cp = await startControlPlane();
const client = new KubeClient(cp.kubeConfig);
const pid = (name: string) => cp.processes.find((p) => p.name === name)!.child.pid!;
const [apiserver, etcd] = [pid('kube-apiserver'), pid('etcd')];
/** Runs `jobs` CONCURRENCY at once: API server CPU seconds per 1,000 and requests per second. */
const measure = async (name: string, jobs: (() => Promise<unknown>)[]) => {
  const c0 = await cpuSeconds(apiserver);
  const e0 = await cpuSeconds(etcd);
  const t0 = performance.now();
  await runBounded(
    jobs.map((j) => async () => void (await j())),
    CONCURRENCY,
  );
  const wall = (performance.now() - t0) / 1000;
  const cpu = ((await cpuSeconds(apiserver)) - c0) * (1000 / jobs.length);
  const etcdCpu = ((await cpuSeconds(etcd)) - e0) * (1000 / jobs.length);
  log(
    `${name}: CPU s per 1000: API server ${cpu.toFixed(2)}, etcd ${etcdCpu.toFixed(2)}; ` +
      `${Math.round(jobs.length / wall)}/s (${load()})`,
  );
  return { cpu, rate: jobs.length / wall };
};
try {
  await cp.installGatewayCrds();
  const created = await measure(
    'create (POST)',
    Array.from(
      { length: ROUTES },
      (_, i) => () =>
        client.request(resourcePath(RESOURCES.httpRoutes, NS), {
          method: 'POST',
          body: {
            apiVersion: 'gateway.networking.k8s.io/v1',
            kind: 'HTTPRoute',
            metadata: { name: `r-${i}`, namespace: NS },
            spec: {
              parentRefs: [{ name: 'web' }],
              rules: [
                {
                  matches: [{ path: { type: 'PathPrefix', value: `/r-${i}` } }],
                  backendRefs: [{ name: 'svc', port: 80 }],
                },
              ],
            },
          },
        }),
    ),
  );
  emit('status_writes_create_cpu_s_per_1000', created.cpu, 's');
  // Twice each, alternately: the first round of the first variant also adds the status.
  let round = 0;
  for (const pass of [1, 2])
    for (const [name, variant] of VARIANTS) {
      round++;
      const { items } = await client.request<{ items: (KubeObject & { status?: unknown })[] }>(
        resourcePath(RESOURCES.httpRoutes, NS),
      );
      const r = round;
      const m = await measure(
        `${name} (pass ${pass})`,
        items.map((live) => () => client.request(...variant(live, r))),
      );
      if (pass === 2) {
        const id = name.replace(/\W+/g, '_').replace(/^_|_$/g, '').toLowerCase();
        emit(`status_writes_${id}_cpu_s_per_1000`, m.cpu, 's');
        emit(`status_writes_${id}_per_s`, Math.round(m.rate), '/s');
      }
    }
} finally {
  client.close();
  await cp.stop();
}
