// Portico at scale on the whole local cluster (kube-apiserver, the operator as a child process, a
// real Envoy over delta ADS): 100 Gateways, then
//   1. 1,000 HTTPRoutes created at once: time until all are Accepted, and until all serve;
//   2. operator RSS and heap at 1,000 routes, then at 10,000 (9,000 more);
//   3. route propagation at 10,000: HTTPRoute applied -> first 200 through Envoy, one route at a time;
//   4. endpoint propagation at 10,000: a pod added to an EndpointSlice -> first request it serves;
//   5. operator CPU: the minute after the last change (what the changes leave), then a minute at rest
//      (nothing changes; one periodic resync in each);
//   6. Gateway propagation at 10,000: a new Gateway and its route applied -> first 200 on its address.
// The operator runs as its image runs it (the esbuild bundle, no tsx).
//   node --import tsx bench/e2e-scale.ts [routes=10000] [samples=200]
// samples=0 measures memory only (steps 1 and 2).
// Its own VIP range (127.0.212.0/24), apart from the other benchmarks and the suites.
import http from 'node:http';
import os from 'node:os';
import { Watch } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { writeLogsTo } from '../local/common/process.ts';
import { startLocalCluster } from '../local/light/cluster.ts';
import type { Pod } from '../local/light/pods.ts';
import { endpointSliceYaml, startBackend } from '../local/light/workloads.ts';
import { serviceYaml } from '../test-support/service-yaml.ts';
import { KubeClient } from '../operator/kube/rest.ts';
import { RESOURCES, resourcePath } from '../operator/kube/resources.ts';
import { runBounded } from '../operator/kube/status.ts';
import {
  apiserverGet,
  apiserverMetrics,
  BACKEND_PORT,
  cpuSeconds,
  emit,
  log,
  metric,
  operatorBundle,
  rssMiB,
  sampleDelta,
  sampleSums,
  status,
} from './e2e-setup.ts';
import { quantile } from './measure.ts';

const ROUTES = Number(process.argv[2] ?? 10000);
const SAMPLES = Number(process.argv[3] ?? 200);
// A directory: a heap snapshot of the operator is written there at each memory step. The operator
// must run with NODE_OPTIONS=--heapsnapshot-signal=SIGUSR2 (bench/heap-holders.ts reads them).
const SNAPSHOTS = process.env.E2E_HEAP_SNAPSHOTS;
// A file: the API server's CPU profile over the burst's first E2E_APISERVER_PROFILE_S seconds
// (default 6), for `go tool pprof`.
const PROFILE = process.env.E2E_APISERVER_PROFILE;
// A directory: every process's whole log (the operator's, at LOG_LEVEL=debug, times each pass).
if (process.env.E2E_LOG_DIR) writeLogsTo(process.env.E2E_LOG_DIR);
const GATEWAYS = 100;
/** Gateways added one at a time at the end (step 6). */
const GATEWAY_SAMPLES = 10;
const BURST = Math.min(1000, ROUTES);
const NS = 'default';
const CONTROLLER = 'portico.dev/gateway-controller';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// The machine is shared: every figure is logged with the load average it was measured under.
const load = () =>
  `load ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`;

interface RouteObj {
  metadata?: { name?: string };
  status?: { parents?: { controllerName?: string; conditions?: { type: string; status: string }[] }[] };
}

/** Signals the operator and waits for its snapshot to be written, then names it after `label`. */
async function heapSnapshot(pid: number, dir: string, label: string): Promise<void> {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const cwd = `/proc/${pid}/cwd`;
  const before = new Set(fs.readdirSync(cwd));
  process.kill(pid, 'SIGUSR2');
  for (let deadline = Date.now() + 600000, last = -1; ; await sleep(2000)) {
    if (Date.now() > deadline) throw new Error('no heap snapshot within 600 s');
    const file = fs.readdirSync(cwd).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (!file) continue;
    const size = fs.statSync(path.join(cwd, file)).size;
    const tail = Buffer.alloc(2);
    if (size > 2) {
      const fd = fs.openSync(path.join(cwd, file), 'r');
      fs.readSync(fd, tail, 0, 2, size - 2);
      fs.closeSync(fd);
    }
    if (size === last && tail.toString() === ']}') {
      fs.copyFileSync(path.join(cwd, file), path.join(dir, `${label}.heapsnapshot`));
      fs.rmSync(path.join(cwd, file));
      log(`heap snapshot at ${label}: ${(size / 2 ** 20).toFixed(0)} MiB file`);
      return;
    }
    last = size;
  }
}

const gw = (i: number) => `gw-${i}`;
const svc = (i: number) => `svc-${i}`;
const routeName = (i: number) => `r-${i}`;

function gateway(i: number): Record<string, unknown> {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: gw(i), namespace: NS },
    spec: { gatewayClassName: 'portico', listeners: [{ name: 'http', protocol: 'HTTP', port: 80 }] },
  };
}

function route(name: string, gateway: number, service: number): Record<string, unknown> {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace: NS },
    spec: {
      parentRefs: [{ name: gw(gateway) }],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: `/${name}` } }],
          backendRefs: [{ name: svc(service), port: BACKEND_PORT }],
        },
      ],
    },
  };
}

const cluster = await startLocalCluster({
  poolCidr: '127.0.212.0/24',
  log,
  operatorScript: await operatorBundle(),
  // more node flags for the operator, e.g. E2E_OPERATOR_NODE_ARGS='--max-semi-space-size=8'
  operatorNodeArgs: process.env.E2E_OPERATOR_NODE_ARGS?.split(' ').filter(Boolean),
  apiserverArgs: PROFILE ? ['--profiling=true'] : [],
});
const pods: Pod[] = [];
const client = new KubeClient(cluster.controlPlane.kubeConfig);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let watching = true;
let abortWatch = () => {};
try {
  const cp = cluster.controlPlane;
  pods.push(
    await startBackend('scale-a', 'echo', BACKEND_PORT),
    await startBackend('scale-b', 'echo', BACKEND_PORT),
  );
  const [a, b] = pods as [Pod, Pod];
  const docs: string[] = [];
  for (let i = 0; i < GATEWAYS; i++) {
    docs.push(serviceYaml(svc(i), BACKEND_PORT, BACKEND_PORT, [a.ip], NS));
    docs.push(stringify(gateway(i)));
  }
  await cp.applyYaml(docs.join('\n---\n'));
  const vips: string[] = [];
  for (let deadline = Date.now() + 120000; ;) {
    const list = await client.request<{
      items: { metadata: { name: string }; status?: { addresses?: { value: string }[] } }[];
    }>(resourcePath(RESOURCES.gateways, NS));
    for (const g of list.items) {
      const ip = g.status?.addresses?.[0]?.value;
      if (ip) vips[Number(g.metadata.name.slice(3))] = ip;
    }
    if (vips.filter(Boolean).length === GATEWAYS) break;
    if (Date.now() > deadline) throw new Error('Gateways got no addresses within 120 s');
    await sleep(200);
  }
  log(`${GATEWAYS} Gateways have addresses`);
  const vipOf = (i: number) => vips[i % GATEWAYS]!;

  // `pollMs`: the burst's wait polls coarsely, so that the bench does not take the CPU it measures.
  const firstOk = async (i: number, timeoutMs: number, pollMs = 1): Promise<number> => {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const code = await status(agent, vipOf(i), 80, `/${routeName(i)}/x`);
      if (code === 200) return performance.now();
      if (performance.now() > deadline)
        throw new Error(`${routeName(i)}: no 200 within ${timeoutMs} ms (last answer ${code}, ${load()})`);
      await sleep(pollMs);
    }
  };
  // A plain create: the API server answers it about 1.6 times as fast as a server-side apply here
  // (no field-set merge against the large HTTPRoute schema), which keeps 10,000 routes in minutes.
  const create = (i: number) =>
    client.request(resourcePath(RESOURCES.httpRoutes, NS), {
      method: 'POST',
      body: route(routeName(i), i % GATEWAYS, i % GATEWAYS),
    });

  // Accepted as the watch sees it, per route name. A busy API server ends watches (429, timeouts):
  // start it again, its first events are the current state.
  const accepted = new Map<string, number>();
  // Status versions each route went through (MODIFIED events): the writes it cost.
  const modified = new Map<string, number>();
  const onRoute = (t: string, o: RouteObj) => {
    const name = o.metadata?.name;
    if (name && t === 'MODIFIED') modified.set(name, (modified.get(name) ?? 0) + 1);
    if (!name || accepted.has(name)) return;
    const ok = o.status?.parents?.some(
      (p) =>
        p.controllerName === CONTROLLER &&
        p.conditions?.some((c) => c.type === 'Accepted' && c.status === 'True'),
    );
    if (ok) accepted.set(name, performance.now());
  };
  let watches = 0;
  void (async () => {
    while (watching) {
      watches++;
      await new Promise<void>((resolve) => {
        new Watch(cp.kubeConfig)
          .watch(resourcePath(RESOURCES.httpRoutes, NS), {}, onRoute, () => resolve())
          .then((c) => (abortWatch = () => c.abort()))
          .catch(() => resolve());
      });
      if (watching) await sleep(200);
    }
  })();

  // What the API server served during the burst, by verb and resource; its APF queueing.
  const url = cluster.operatorUrl!;
  const serverSide = async () => {
    const text = await apiserverMetrics(cp);
    const op = await (await fetch(`${url}/metrics`)).text();
    return {
      requests: sampleSums(text, 'apiserver_request_total', ['verb', 'resource', 'subresource', 'code']),
      seconds: sampleSums(text, 'apiserver_request_duration_seconds_sum', [
        'verb',
        'resource',
        'subresource',
      ]),
      apfWait: sampleSums(text, 'apiserver_flowcontrol_request_wait_duration_seconds_sum', [
        'priority_level',
        'execute',
      ]),
      apfRejected: sampleSums(text, 'apiserver_flowcontrol_rejected_requests_total', ['priority_level']),
      operator: new Map([
        ...sampleSums(op, 'portico_status_writes_total', ['kind']),
        ...[...sampleSums(op, 'portico_status_writes_skipped_total', ['kind', 'reason'])].map(
          ([k, v]) => [`skipped ${k}`, v] as const,
        ),
        ...[...sampleSums(op, 'portico_reconcile_total', ['phase', 'result'])].map(
          ([k, v]) => [`reconcile ${k}`, v] as const,
        ),
        ...[...sampleSums(op, 'portico_status_throttled_total', ['kind'])].map(
          ([k, v]) => [`throttled ${k}`, v] as const,
        ),
      ]),
    };
  };
  // CPU seconds of every process of the cluster over the burst: who the two cores went to.
  const pids: [string, number][] = [
    ...cp.processes.map((p) => [p.name, p.child.pid!] as [string, number]),
    ['operator', cluster.operator!.child.pid!],
    ['envoy', cluster.envoy!.process.child.pid!],
  ];
  const cpu = async () => Promise.all(pids.map(([, pid]) => cpuSeconds(pid).catch(() => NaN)));
  const selfCpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const before = await serverSide();
  const cpu0 = await cpu();
  const self0 = selfCpu();

  // 1. A burst of 1,000 routes at once (50 requests in flight, as a GitOps sync would send them).
  const profiled = PROFILE
    ? apiserverGet(cp, `/debug/pprof/profile?seconds=${process.env.E2E_APISERVER_PROFILE_S ?? 6}`)
    : undefined;
  const t0 = performance.now();
  await runBounded(
    Array.from({ length: BURST }, (_, i) => async () => void (await create(i))),
    50,
  );
  const created = performance.now();
  log(`burst: ${accepted.size} of ${BURST} Accepted at the last create`);
  // Serving is polled beside the Accepted wait: Envoy may serve before every status is written.
  const [, serving] = await Promise.all([
    (async () => {
      for (let deadline = Date.now() + 300000; accepted.size < BURST; await sleep(20))
        if (Date.now() > deadline) throw new Error(`only ${accepted.size}/${BURST} Accepted within 300 s`);
      // Logged at once: the serving wait below may still fail.
      const last = Math.max(...accepted.values());
      log(`burst: all Accepted ${((last - created) / 1000).toFixed(2)} s after the last create (${load()})`);
    })(),
    (async () => {
      for (let i = 0; i < BURST; i++) await firstOk(i, 120000, 20);
      return performance.now();
    })(),
  ]);
  const allAccepted = Math.max(...accepted.values());
  log(`burst: created in ${Math.round(created - t0)} ms (${load()})`);
  const cpu1 = await cpu();
  const cpuUse: Record<string, number> = { bench: Math.round((selfCpu() - self0) * 10) / 10 };
  pids.forEach(([name], i) => (cpuUse[name] = Math.round((cpu1[i]! - cpu0[i]!) * 10) / 10));
  log(
    `burst: CPU seconds until all Accepted and serving: ${JSON.stringify(cpuUse)}; bench watches ${watches}`,
  );
  if (profiled) {
    const fs = await import('node:fs/promises');
    await fs.writeFile(PROFILE!, await profiled);
    log(`API server CPU profile of the burst written to ${PROFILE}`);
  }
  await sleep(3000); // the last writes and their echoes
  const after = await serverSide();
  for (const k of ['requests', 'seconds', 'apfWait', 'apfRejected', 'operator'] as const)
    log(`burst ${k}: ${JSON.stringify(sampleDelta(before[k], after[k]))}`);
  const perRoute = new Map<number, number>();
  for (let i = 0; i < BURST; i++) {
    const n = modified.get(routeName(i)) ?? 0;
    perRoute.set(n, (perRoute.get(n) ?? 0) + 1);
  }
  log(`burst: routes by status versions: ${JSON.stringify(Object.fromEntries(perRoute))}`);
  emit(`e2e_burst_${BURST}_routes_all_accepted`, (allAccepted - t0) / 1000, 's');
  emit(`e2e_burst_${BURST}_routes_all_serving`, (serving - t0) / 1000, 's');
  // The API server's create rate bounds the figures above; these count from its last answer.
  emit(
    `e2e_burst_${BURST}_routes_accepted_after_last_create`,
    Math.max(0, allAccepted - created) / 1000,
    's',
  );
  emit(`e2e_burst_${BURST}_routes_serving_after_last_create`, (serving - created) / 1000, 's');

  const operatorPid = cluster.operator!.child.pid!;
  const memory = async (routes: number) => {
    await sleep(3000); // status writes and their echoes settle
    log(`memory at ${routes} routes (${load()}; t=${Date.now()})`);
    emit(`e2e_operator_rss_at_${routes}_routes`, await rssMiB(operatorPid), 'MiB');
    emit(
      `e2e_operator_heap_used_at_${routes}_routes`,
      (await metric(url, 'nodejs_heap_size_used_bytes')) / 2 ** 20,
      'MiB',
    );
    // What RSS holds besides live objects: the heap V8 keeps (garbage and free pages), and Buffers.
    emit(
      `e2e_operator_heap_total_at_${routes}_routes`,
      (await metric(url, 'nodejs_heap_size_total_bytes')) / 2 ** 20,
      'MiB',
    );
    emit(
      `e2e_operator_new_space_at_${routes}_routes`,
      (await metric(url, 'nodejs_heap_space_size_total_bytes', 'space="new"')) / 2 ** 20,
      'MiB',
    );
    emit(
      `e2e_operator_external_at_${routes}_routes`,
      (await metric(url, 'nodejs_external_memory_bytes')) / 2 ** 20,
      'MiB',
    );
    emit(`e2e_envoy_rss_at_${routes}_routes`, await rssMiB(cluster.envoy!.process.child.pid!), 'MiB');
    // The second sample: once V8 has had time to give back its young generation and garbage.
    await sleep(20000);
    log(`memory at ${routes} routes, 20 s later (${load()}; t=${Date.now()})`);
    emit(`e2e_operator_rss_settled_at_${routes}_routes`, await rssMiB(operatorPid), 'MiB');
    emit(
      `e2e_operator_heap_total_settled_at_${routes}_routes`,
      (await metric(url, 'nodejs_heap_size_total_bytes')) / 2 ** 20,
      'MiB',
    );
    // The idle collections (operator/idle-gc.ts) in the operator's kept log: when, and their pauses.
    const idle = cluster
      .operator!.logs()
      .split('\n')
      .filter((l) => l.includes('"idle collection"'));
    log(`idle collections: ${idle.length}; ${idle.slice(-3).join(' ')}`);
    if (SNAPSHOTS) await heapSnapshot(operatorPid, SNAPSHOTS, `${routes}-routes`);
  };
  await memory(BURST);

  // 2. Up to ROUTES.
  const t1 = performance.now();
  await runBounded(
    Array.from({ length: ROUTES - BURST }, (_, j) => async () => void (await create(BURST + j))),
    50,
  );
  log(`created ${ROUTES - BURST} more routes in ${Math.round(performance.now() - t1)} ms`);
  await firstOk(ROUTES - 1, 300000);
  for (let i = 0; i < ROUTES; i++) await firstOk(i, 60000);
  emit(`e2e_initial_${ROUTES}_routes_serving`, (performance.now() - t1) / 1000, 's');
  await memory(ROUTES);

  if (SAMPLES > 0) {
    // 3. Route propagation: a new route each time, an isolated change (a pause between them).
    const lat: number[] = [];
    const slow: string[] = [];
    for (let s = 0; s < SAMPLES; s++) {
      const i = ROUTES + s;
      const at = new Date().toISOString();
      await create(i);
      const start = performance.now();
      lat.push((await firstOk(i, 30000)) - start);
      // When: to find in the operator's log (E2E_LOG_DIR) what it was doing.
      if (lat.at(-1)! > 100) slow.push(`${routeName(i)} created ${at}: ${Math.round(lat.at(-1)!)} ms`);
      await sleep(100);
    }
    if (slow.length) log(`changes over 100 ms: ${slow.join('; ')}`);
    log(
      `route propagation (${load()}); slowest ms: ${JSON.stringify(
        [...lat]
          .sort((x, y) => y - x)
          .slice(0, 5)
          .map(Math.round),
      )}`,
    );
    emit(`e2e_route_propagation_p50_at_${ROUTES}_routes`, quantile(lat, 0.5), 'ms');
    emit(`e2e_route_propagation_p99_at_${ROUTES}_routes`, quantile(lat, 0.99), 'ms');
    emit(`e2e_route_propagation_max_at_${ROUTES}_routes`, Math.max(...lat), 'ms');

    // 4. Endpoint propagation: pod b joins Service k's slice -> first request through k served by b.
    const served = async (i: number): Promise<string | undefined> =>
      new Promise((resolve) => {
        const req = http.get(
          { host: vipOf(i), port: 80, path: `/${routeName(i)}/x`, agent, timeout: 2000 },
          (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () => resolve(/Hostname: (\S+)/.exec(body)?.[1]));
            res.on('error', () => resolve(undefined));
          },
        );
        req.on('timeout', () => req.destroy());
        req.on('error', () => resolve(undefined));
      });
    const slice = (k: number, ips: string[]) =>
      endpointSliceYaml(
        {
          metadata: { name: svc(k), namespace: NS },
          spec: { ports: [{ name: 'http', port: BACKEND_PORT, targetPort: BACKEND_PORT, protocol: 'TCP' }] },
        },
        ips,
      );
    const reconcilesBefore = await metric(url, 'portico_reconcile_total', 'result="ok"');
    const eds: number[] = [];
    for (let s = 0; s < SAMPLES; s++) {
      const k = s % GATEWAYS;
      await cp.applyYaml(slice(k, [a.ip, b.ip]));
      const start = performance.now();
      for (let deadline = start + 30000; (await served(k)) !== b.name; await sleep(1))
        if (performance.now() > deadline) throw new Error(`${svc(k)}: pod b not serving within 30 s`);
      eds.push(performance.now() - start);
      await cp.applyYaml(slice(k, [a.ip]));
      await sleep(100);
    }
    const reconciles = (await metric(url, 'portico_reconcile_total', 'result="ok"')) - reconcilesBefore;
    log(`endpoint propagation (${load()}); translations meanwhile: ${reconciles}`);
    emit(`e2e_endpoint_propagation_p50_at_${ROUTES}_routes`, quantile(eds, 0.5), 'ms');
    emit(`e2e_endpoint_propagation_p99_at_${ROUTES}_routes`, quantile(eds, 0.99), 'ms');
    emit(`e2e_translations_per_endpoint_change_at_${ROUTES}_routes`, reconciles / (2 * SAMPLES), 'count');

    // 5. CPU at rest: three minutes one after the other, a periodic resync in each. The first starts
    // 3 s after the last change and holds what the changes leave: the idle collection
    // (operator/idle-gc.ts), then V8's memory reducer, which hands back the heap's unused pages in a
    // few full collections some 30-70 s after the last one, in the first minute or the second. The
    // third is the operator at rest.
    const idleCollections = () =>
      cluster
        .operator!.logs()
        .split('\n')
        .filter((l) => l.includes('"idle collection"')).length;
    await sleep(3000);
    for (const name of ['cpu_first_minute_after_changes', 'cpu_second_minute_after_changes', 'cpu_at_rest']) {
      const c0 = await cpuSeconds(operatorPid);
      const w0 = performance.now();
      const gcs0 = idleCollections();
      await sleep(60000);
      const cpu = (await cpuSeconds(operatorPid)) - c0;
      log(`${name}: ${idleCollections() - gcs0} idle collections in the minute (${load()})`);
      emit(`e2e_operator_${name}_${ROUTES}_routes`, (100 * cpu) / ((performance.now() - w0) / 1000), '%');
    }

    // 6. Gateway propagation, last (it adds Gateways): a new Gateway and a route to it applied ->
    // its address in status -> first 200 on it. What a team adding its Gateway to a busy cluster waits.
    const gwLat: number[] = [];
    for (let s = 0; s < GATEWAY_SAMPLES; s++) {
      // Gateways and routes numbered after those of the earlier steps.
      const g = GATEWAYS + s;
      const name = gw(g);
      const r = routeName(ROUTES + SAMPLES + s);
      const start = performance.now();
      await cp.applyYaml([gateway(g), route(r, g, 0)].map((o) => stringify(o)).join('---\n'));
      let vip: string | undefined;
      for (const deadline = start + 30000; !vip; await sleep(2)) {
        if (performance.now() > deadline) throw new Error(`${name}: no address within 30 s`);
        const live = await client.request<{ status?: { addresses?: { value: string }[] } }>(
          `${resourcePath(RESOURCES.gateways, NS)}/${name}`,
        );
        vip = live.status?.addresses?.[0]?.value;
      }
      for (const deadline = start + 30000; (await status(agent, vip, 80, `/${r}/x`)) !== 200; await sleep(1))
        if (performance.now() > deadline) throw new Error(`${name}: no 200 within 30 s`);
      gwLat.push(performance.now() - start);
      await sleep(500);
    }
    log(`Gateway propagation (${load()}): ${JSON.stringify(gwLat.map(Math.round))} ms`);
    emit(`e2e_gateway_propagation_p50_at_${ROUTES}_routes`, quantile(gwLat, 0.5), 'ms');
    emit(`e2e_gateway_propagation_max_at_${ROUTES}_routes`, Math.max(...gwLat), 'ms');
  }
} finally {
  watching = false;
  abortWatch();
  agent.destroy();
  client.close();
  for (const p of pods) await p.stop().catch(() => undefined);
  await cluster.stop();
}
