// End-to-end route propagation: HTTPRoute applied (the API server answered) -> first 200 through
// Envoy on the route's path, on the whole local cluster, for routes added one by one on top of
// existing ones. Also Envoy's memory and the operator's RSS at that scale.
//   node --import tsx bench/e2e-propagation.ts [existing=1000] [added=200]
import http from 'node:http';
import { writeLogsTo } from '../local/common/process.ts';
import { applyRoute, emit, log, metric, rssMiB, startBench, status } from './e2e-setup.ts';
import { quantile } from './measure.ts';

// A directory: every process's whole log (the operator's, at LOG_LEVEL=debug, times each pass).
if (process.env.E2E_LOG_DIR) writeLogsTo(process.env.E2E_LOG_DIR);

const existing = Number(process.argv[2] ?? 1000);
const added = Number(process.argv[3] ?? 200);
const BATCH = 25;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const bench = await startBench('echo');
const { cluster, client, vip } = bench;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
try {
  /** Polls until the path answers 200; returns the time it did (ms, performance.now clock). */
  const firstOk = async (urlPath: string, timeoutMs: number): Promise<number> => {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if ((await status(agent, vip, 80, urlPath)) === 200) return performance.now();
      if (performance.now() > deadline) throw new Error(`${urlPath}: no 200 within ${timeoutMs} ms`);
      await sleep(1);
    }
  };

  const t0 = performance.now();
  for (let i = 0; i < existing; i += BATCH) {
    const n = Math.min(BATCH, existing - i);
    await Promise.all(
      Array.from({ length: n }, (_, j) => applyRoute(client, `base-${i + j}`, `/base-${i + j}`)),
    );
  }
  const applied = performance.now();
  log(`applied ${existing} routes in ${Math.round(applied - t0)} ms`);
  if (existing > 0) await firstOk(`/base-${existing - 1}/x`, 120000);
  // Every existing route serves before the measured phase starts.
  for (let i = 0; i < existing; i++) await firstOk(`/base-${i}/x`, 30000);
  emit(`e2e_initial_${existing}_routes_apply`, (applied - t0) / 1000, 's');
  emit(`e2e_initial_${existing}_routes_serving`, (performance.now() - t0) / 1000, 's');

  await sleep(2000); // let the status writes of the initial batch settle
  const envoyPid = cluster.envoy!.process.child.pid!;
  const operatorPid = cluster.operator!.child.pid!;
  const mem = JSON.parse(await cluster.envoy!.admin('/memory')) as { allocated: string; heap_size: string };
  emit(`e2e_envoy_memory_allocated_at_${existing}_routes`, Number(mem.allocated) / 2 ** 20, 'MiB');
  emit(`e2e_envoy_memory_heap_size_at_${existing}_routes`, Number(mem.heap_size) / 2 ** 20, 'MiB');
  emit(`e2e_envoy_rss_at_${existing}_routes`, await rssMiB(envoyPid), 'MiB');
  emit(`e2e_operator_rss_at_${existing}_routes`, await rssMiB(operatorPid), 'MiB');

  const url = cluster.operatorUrl!;
  const reconcilesBefore = await metric(url, 'portico_reconcile_total');
  const lat: number[] = [];
  for (let i = 0; i < added; i++) {
    const name = `added-${i}`;
    await applyRoute(client, name, `/${name}`);
    const start = performance.now();
    lat.push((await firstOk(`/${name}/x`, 15000)) - start);
    // A pause between routes, so each one is an isolated change (as edits by people and CI are)
    // rather than part of a burst, and the previous route's follow-ups (Envoy's ACK, status writes) are done.
    await sleep(100);
  }
  await sleep(500);
  const reconciles = (await metric(url, 'portico_reconcile_total')) - reconcilesBefore;
  const slowest = lat.map((ms, i) => [Math.round(ms), i]).sort((a, b) => b[0]! - a[0]!);
  log(`slowest (ms, route index): ${JSON.stringify(slowest.slice(0, 5))}`);
  emit(`e2e_route_propagation_p50_at_${existing}_routes`, quantile(lat, 0.5), 'ms');
  emit(`e2e_route_propagation_p99_at_${existing}_routes`, quantile(lat, 0.99), 'ms');
  emit(`e2e_route_propagation_max_at_${existing}_routes`, Math.max(...lat), 'ms');
  emit(`e2e_route_propagation_mean_at_${existing}_routes`, lat.reduce((a, b) => a + b, 0) / lat.length, 'ms');
  emit(`e2e_reconciles_per_added_route`, reconciles / added, 'count');
  const sum = await metric(url, 'portico_reconcile_duration_seconds_sum');
  const count = await metric(url, 'portico_reconcile_duration_seconds_count');
  emit(`e2e_reconcile_duration_mean`, (1000 * sum) / Math.max(1, count), 'ms');
  emit(`e2e_operator_rss_at_${existing + added}_routes`, await rssMiB(operatorPid), 'MiB');
} finally {
  // Diagnosis: with LOG_LEVEL=debug the operator logs each reconcile's stage timings.
  if (process.env.BENCH_OPERATOR_LOG) {
    const fs = await import('node:fs');
    fs.writeFileSync(process.env.BENCH_OPERATOR_LOG, cluster.operator?.logs() ?? '');
  }
  agent.destroy();
  await bench.stop();
}
