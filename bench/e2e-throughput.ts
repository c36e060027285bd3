// End-to-end throughput: requests/s and p99 at 1, 16 and 64 connections through the local
// cluster's Envoy (Gateway VIP, programmed by Portico from an HTTPRoute), straight to the backend
// pod (its own network namespace), and through a second Envoy with a hand-written minimal static
// config to the same pod. wrk runs for a bounded time per figure after a short warm-up
// (5 runs of 1 + `seconds` s per connection count: about 1.5 minutes at 5 s).
//   node --import tsx bench/e2e-throughput.ts [seconds=5]
import { startEnvoy, type EnvoyHandle } from '../local/light/envoy.ts';
import { staticProxyBootstrap } from '../test-support/static-proxy.ts';
import { freePort } from '../local/common/process.ts';
import { BACKEND_PORT, emit, log, serveAll, startBench } from './e2e-setup.ts';
import { load as wrk } from './measure.ts';

const seconds = Number(process.argv[2] ?? 5);

async function load(url: string, connections: number, duration: number) {
  const r = await wrk(url, connections, duration);
  if (r.errors) log(`${url} c${connections}: ${r.errors} errors (non-2xx answers and socket errors)`);
  return r;
}

const bench = await startBench('hello');
let minimal: EnvoyHandle | undefined;
try {
  await serveAll(bench);
  const staticPort = await freePort();
  minimal = await startEnvoy(
    staticProxyBootstrap(
      { address: '127.0.0.1', port: staticPort },
      { address: bench.pod.ip, port: BACKEND_PORT },
    ),
    { logLevel: 'warn' },
  );

  const targets: [string, string][] = [
    ['direct', `http://${bench.pod.ip}:${BACKEND_PORT}/`],
    ['envoy_portico', `http://${bench.vip}:80/`],
    ['envoy_minimal', `http://127.0.0.1:${staticPort}/`],
  ];
  // The two Envoys run in the order A B B A and their figures are averaged, so drift in the
  // machine's load (2 shared cores) does not favour whichever runs first.
  const order = ['direct', 'envoy_portico', 'envoy_minimal', 'envoy_minimal', 'envoy_portico'];
  for (const connections of [1, 16, 64]) {
    const runs = new Map<string, { rps: number; p99: number; errors: number }[]>();
    for (const name of order) {
      const url = targets.find(([n]) => n === name)![1];
      await load(url, connections, 1); // warm-up: connections, JIT, Envoy's worker threads
      const r = await load(url, connections, seconds);
      log(`${name} c${connections}: ${Math.round(r.rps)} req/s, p99 ${r.p99} ms, ${r.errors} errors`);
      runs.set(name, [...(runs.get(name) ?? []), r]);
    }
    const rps: Record<string, number> = {};
    for (const [name, rs] of runs) {
      const mean = (f: (r: { rps: number; p99: number }) => number) =>
        rs.reduce((a, r) => a + f(r), 0) / rs.length;
      rps[name] = mean((r) => r.rps);
      emit(`e2e_${name}_rps_c${connections}`, rps[name], 'req/s');
      emit(
        `e2e_${name}_p99_c${connections}`,
        mean((r) => r.p99),
        'ms',
      );
      emit(
        `e2e_${name}_errors_c${connections}`,
        rs.reduce((a, r) => a + r.errors, 0),
        'count',
      );
    }
    emit(`e2e_envoy_portico_vs_direct_c${connections}`, (100 * rps.envoy_portico!) / rps.direct!, '%');
    emit(
      `e2e_envoy_portico_vs_minimal_c${connections}`,
      (100 * rps.envoy_portico!) / rps.envoy_minimal!,
      '%',
    );
  }
} finally {
  await minimal?.stop();
  await bench.stop();
}
