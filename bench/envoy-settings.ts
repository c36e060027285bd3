// What each of Portico's Envoy settings costs in throughput. The local cluster's Envoy is programmed
// by Portico from an HTTPRoute; its listeners, routes, clusters and endpoints (from /config_dump) are
// then run as static config in fresh Envoys, with Portico's bootstrap, once as is and once per
// setting taken out, beside a minimal static config (test-support/static-proxy.ts). Every Envoy
// proxies to the same backend pod and runs with the same flags (concurrency 2). autocannon (Node)
// drives 1, 16 and 64 connections; the variants run in turn, `runs` rounds, each round in a rotated
// order, so the machine's load drifts over all of them alike. Besides requests/s, each Envoy's CPU
// time per request (its threads' schedstat): on a loaded machine, the steadier figure.
//   node --import tsx bench/envoy-settings.ts [seconds=5] [runs=3] [variant,...]
import os from 'node:os';
import { startEnvoy, type EnvoyHandle } from '../local/light/envoy.ts';
import { freePort } from '../local/common/process.ts';
import { renderBootstrap, XDS_CLUSTER } from '../operator/xds/bootstrap.ts';
import { staticProxyBootstrap } from '../test-support/static-proxy.ts';
import { BACKEND_PORT, emit, log, serveAll, startBench } from './e2e-setup.ts';
import { cpuNs, load as autocannon } from './measure.ts';

const seconds = Number(process.argv[2] ?? 5);
const runs = Number(process.argv[3] ?? 3);
const only = process.argv[4]?.split(',');

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const HCM = 'envoy.filters.network.http_connection_manager';

/** Portico's dynamic resources from a config dump, as static resources (RDS and EDS inlined). */
function staticResources(dump: Json, listen: { address: string; port: number }): Json {
  const of = (kind: string) => dump.configs.find((c: Json) => String(c['@type']).endsWith(`.${kind}`)) ?? {};
  // A dumped resource carries its type; a bootstrap's static resource may not.
  const bare = ({ '@type': _, ...rest }: Json) => structuredClone(rest);
  const routes = new Map<string, Json>(
    (of('RoutesConfigDump').dynamic_route_configs ?? []).map((r: Json) => [
      r.route_config.name,
      bare(r.route_config),
    ]),
  );
  // The addresses only: the dump fills in defaults (weight 0) that a static config refuses.
  const endpoints = new Map<string, Json>(
    (of('EndpointsConfigDump').dynamic_endpoint_configs ?? []).map((e: Json) => [
      e.endpoint_config.cluster_name,
      {
        cluster_name: e.endpoint_config.cluster_name,
        endpoints: [
          {
            lb_endpoints: e.endpoint_config.endpoints.flatMap((l: Json) =>
              l.lb_endpoints.map((x: Json) => ({ endpoint: { address: x.endpoint.address } })),
            ),
          },
        ],
      },
    ]),
  );
  const listeners = (of('ListenersConfigDump').dynamic_listeners ?? [])
    .map((l: Json) => l.active_state?.listener)
    .filter((l: Json | undefined) => l?.address?.socket_address?.port_value === 80);
  if (listeners.length !== 1) throw new Error(`expected one listener on port 80, got ${listeners.length}`);
  const listener = bare(listeners[0]);
  listener.address = { socket_address: { address: listen.address, port_value: listen.port } };
  for (const chain of listener.filter_chains)
    for (const f of chain.filters)
      if (f.name === HCM) {
        const name = f.typed_config.rds.route_config_name;
        delete f.typed_config.rds;
        f.typed_config.route_config = routes.get(name) ?? { name };
      }
  const clusters = (of('ClustersConfigDump').dynamic_active_clusters ?? [])
    .map((c: Json) => bare(c.cluster))
    .filter((c: Json) => c.name !== XDS_CLUSTER)
    .map((c: Json) => {
      if (c.type !== 'EDS') return c;
      delete c.eds_cluster_config;
      return { ...c, type: 'STATIC', load_assignment: endpoints.get(c.name) };
    });
  return { listeners: [listener], clusters };
}

/** Portico's bootstrap (overload manager, stats matcher, runtime) around static resources. */
function porticoBootstrap(resources: Json): Json {
  const b: Json = renderBootstrap({ xdsAddress: '127.0.0.1', xdsPort: 1 });
  delete b.dynamic_resources;
  b.static_resources = resources;
  return b;
}

const hcmOf = (b: Json): Json =>
  b.static_resources.listeners[0].filter_chains[0].filters.find((f: Json) => f.name === HCM).typed_config;

/** Each variant: Portico's config with one thing taken out (or swapped for the minimal one's). */
const edits: Record<string, (b: Json, minimal: Json) => void> = {
  portico: () => {},
  no_overload_manager: (b) => delete b.overload_manager,
  no_stats_matcher: (b) => delete b.stats_config,
  no_layered_runtime: (b) => delete b.layered_runtime,
  no_use_remote_address: (b) => delete hcmOf(b).use_remote_address,
  no_normalize_path: (b) => delete hcmOf(b).normalize_path,
  no_upgrade_configs: (b) => delete hcmOf(b).upgrade_configs,
  no_freebind: (b) => delete b.static_resources.listeners[0].freebind,
  minimal_route_table: (b, m) => {
    const ours = hcmOf(b).route_config;
    const theirs = structuredClone(hcmOf(m).route_config);
    theirs.virtual_hosts[0].routes[0].route.cluster = b.static_resources.clusters[0].name;
    hcmOf(b).route_config = { ...theirs, name: ours.name };
  },
  minimal_cluster: (b, m) => {
    const name = b.static_resources.clusters[0].name;
    const theirs = structuredClone(m.static_resources.clusters[0]);
    b.static_resources.clusters[0] = {
      ...theirs,
      name,
      load_assignment: { ...theirs.load_assignment, cluster_name: name },
    };
  },
};

const bench = await startBench('hello');
const envoys: EnvoyHandle[] = [];
try {
  await serveAll(bench);
  const dump = JSON.parse(await bench.cluster.envoy!.admin('/config_dump?include_eds')) as Json;
  const backend = { address: bench.pod.ip, port: BACKEND_PORT };

  // Each target: its URL and its Envoy's pid (for the CPU it spends per request).
  const targets = new Map<string, { url: string; pid: number }>([
    ['envoy_portico_ads', { url: `http://${bench.vip}:80/`, pid: bench.cluster.envoy!.process.child.pid! }],
  ]);
  const start = async (name: string, bootstrap: Json, port: number) => {
    const e = await startEnvoy(bootstrap, { logLevel: 'warn' });
    envoys.push(e);
    targets.set(name, { url: `http://127.0.0.1:${port}/`, pid: e.process.child.pid! });
  };
  const minimalPort = await freePort();
  const minimal = staticProxyBootstrap({ address: '127.0.0.1', port: minimalPort }, backend);
  await start('envoy_minimal', minimal, minimalPort);
  for (const [name, edit] of Object.entries(edits)) {
    if (only && !only.includes(name)) continue;
    const port = await freePort();
    const b = porticoBootstrap(staticResources(dump, { address: '127.0.0.1', port }));
    if (name === 'portico') {
      log(`Portico's HCM: ${JSON.stringify({ ...hcmOf(b), route_config: undefined })}`);
      log(`Portico's route table: ${JSON.stringify(hcmOf(b).route_config)}`);
      log(`Portico's cluster: ${JSON.stringify(b.static_resources.clusters[0])}`);
    }
    edit(b, minimal);
    await start(`envoy_${name}`, b, port);
  }
  for (const [name, { url }] of targets) {
    const r = await autocannon(url, 1, 1);
    if (r.errors) throw new Error(`${name}: ${r.errors} errors in a smoke run`);
  }

  const names = [...targets.keys()];
  for (const connections of [1, 16, 64]) {
    const rps = new Map<string, number[]>();
    // Envoy's CPU per request depends far less on the machine's load than requests/s do.
    const cpu = new Map<string, { ns: number; requests: number }>();
    for (let round = 0; round < runs; round++) {
      const order = names.map((_, i) => names[(i + round * 3) % names.length]!);
      log(`c${connections} round ${round + 1}/${runs} (load ${os.loadavg()[0]!.toFixed(1)})`);
      for (const name of order) {
        const { url, pid } = targets.get(name)!;
        await autocannon(url, connections, 1); // warm-up
        const ns0 = cpuNs(pid);
        const r = await autocannon(url, connections, seconds);
        const c = cpu.get(name) ?? { ns: 0, requests: 0 };
        cpu.set(name, { ns: c.ns + cpuNs(pid) - ns0, requests: c.requests + r.requests });
        if (r.errors) log(`${name} c${connections}: ${r.errors} errors`);
        rps.set(name, [...(rps.get(name) ?? []), r.rps]);
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
    const usPerRequest = (name: string) => cpu.get(name)!.ns / cpu.get(name)!.requests / 1000;
    const base = mean(rps.get('envoy_minimal')!);
    for (const [name, xs] of rps) {
      emit(`settings_${name}_rps_c${connections}`, mean(xs), 'req/s');
      emit(`settings_${name}_vs_minimal_c${connections}`, (100 * mean(xs)) / base, '%');
      emit(`settings_${name}_cpu_per_request_c${connections}`, usPerRequest(name), 'us');
      emit(
        `settings_${name}_cpu_vs_minimal_c${connections}`,
        (100 * usPerRequest(name)) / usPerRequest('envoy_minimal'),
        '%',
      );
    }
  }
  log(
    `done (load ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')})`,
  );
} finally {
  for (const e of envoys) await e.stop().catch(() => undefined);
  await bench.stop();
}
