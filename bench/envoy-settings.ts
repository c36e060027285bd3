// What each of Portico's Envoy settings costs in throughput. The local cluster's Envoy is programmed
// by Portico from an HTTPRoute; its listeners, routes, clusters and endpoints (from /config_dump) are
// then run as static config in fresh Envoys, with Portico's bootstrap, once as is and once per
// setting taken out, beside a minimal static config (test-support/static-proxy.ts). Every Envoy
// proxies to the same backend pod and runs with the same flags (concurrency 2). wrk drives 1, 16
// and 64 connections (in place of autocannon: the minimal config served 6-29 % more at c64);
// the variants run in turn, `runs` rounds, each round in a rotated order, so the machine's load
// drifts over all of them alike. Besides requests/s, each Envoy's CPU time per request (its
// threads' schedstat): on a loaded machine, the steadier figure.
//   node --import tsx bench/envoy-settings.ts [seconds=5] [runs=3] [variant,...|all] [connections=1,16,64]
// Besides the edits below, `minimal_on_pool_address` and `minimal_info_log` add copies of the
// minimal config, and `ads_standalone` an Envoy fed over ADS by this process (not part of `all`).
import os from 'node:os';
import { startEnvoy, type EnvoyHandle } from '../local/light/envoy.ts';
import { freePort } from '../local/common/process.ts';
import { renderBootstrap, XDS_CLUSTER } from '../operator/xds/bootstrap.ts';
import { staticProxyBootstrap } from '../test-support/static-proxy.ts';
import { forwardAll, loopbackHttpListener } from '../test-support/xds-ir.ts';
import { pino } from 'pino';
import { AdsServer } from '../operator/xds/server.ts';
import { translateIr } from '../operator/xds/translate.ts';
import { BACKEND_PORT, emit, log, serveAll, startBench } from './e2e-setup.ts';
import { cpuNs, load, quantile } from './measure.ts';

const seconds = Number(process.argv[2] ?? 5);
const runs = Number(process.argv[3] ?? 3);
const only = process.argv[4]?.split(',').filter((x) => x !== 'all');
const connectionCounts = (process.argv[5] ?? '1,16,64').split(',').map(Number);

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
  // The bootstrap's share against the resources' share of the difference to the minimal config.
  minimal_bootstrap: (b) => {
    delete b.overload_manager;
    delete b.stats_config;
    delete b.layered_runtime;
  },
  minimal_resources: (b, m) => {
    const address = b.static_resources.listeners[0].address;
    b.static_resources = structuredClone(m.static_resources);
    b.static_resources.listeners[0].address = address;
  },
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
let adsServer: AdsServer | undefined;
try {
  await serveAll(bench);
  const dump = JSON.parse(await bench.cluster.envoy!.admin('/config_dump?include_eds')) as Json;
  const backend = { address: bench.pod.ip, port: BACKEND_PORT };

  // Each target: its URL and its Envoy's pid (for the CPU it spends per request).
  const targets = new Map<string, { url: string; pid: number }>([
    ['envoy_portico_ads', { url: `http://${bench.vip}:80/`, pid: bench.cluster.envoy!.process.child.pid! }],
  ]);
  const start = async (
    name: string,
    bootstrap: Json,
    port: number,
    address = '127.0.0.1',
    logLevel = 'warn',
  ) => {
    const e = await startEnvoy(bootstrap, { logLevel });
    envoys.push(e);
    targets.set(name, { url: `http://${address}:${port}/`, pid: e.process.child.pid! });
  };
  const minimalPort = await freePort();
  const minimal = staticProxyBootstrap({ address: '127.0.0.1', port: minimalPort }, backend);
  await start('envoy_minimal', minimal, minimalPort);
  // Copies of the minimal config that differ from it as the ADS-fed Envoy does, outside its config:
  // an address of the pool's range (the VIP's), and the cluster Envoy's log level.
  for (const [name, address, level] of [
    ['minimal_on_pool_address', '127.0.210.250', 'warn'],
    ['minimal_info_log', '127.0.0.1', 'info'],
  ] as const) {
    if (!only?.includes(name)) continue;
    const port = await freePort();
    await start(`envoy_${name}`, staticProxyBootstrap({ address, port }, backend), port, address, level);
  }
  // Portico's translator and ADS server in this process feeding a fresh Envoy: dynamic resources
  // as the cluster's Envoy has them, outside the cluster.
  if (only?.includes('ads_standalone')) {
    const port = await freePort();
    adsServer = new AdsServer({ logger: pino({ level: 'warn' }) });
    const xdsPort = await adsServer.listenPlaintextLoopback('127.0.0.1');
    const cluster = `bench/backend/${BACKEND_PORT}`;
    adsServer.setSnapshot(
      translateIr(
        {
          httpListeners: [
            loopbackHttpListener('standalone', port, [forwardAll('ns/all/rule/0/match/0', cluster)]),
          ],
          tlsPassthroughListeners: [],
          clusters: [
            {
              name: cluster,
              service: { namespace: 'bench', name: 'backend', port: BACKEND_PORT },
              endpoints: [{ address: backend.address, port: backend.port }],
            },
          ],
        },
        'standalone',
      ),
    );
    await start(
      'envoy_ads_standalone',
      renderBootstrap({ nodeId: 'standalone', xdsAddress: '127.0.0.1', xdsPort }),
      port,
    );
    await adsServer.waitForAck('standalone', { timeoutMs: 30000 });
  }
  for (const [name, edit] of Object.entries(edits)) {
    if (only?.length && !only.includes(name)) continue;
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
    const r = await load(url, 1, 1);
    if (r.errors) throw new Error(`${name}: ${r.errors} errors in a smoke run`);
  }

  // A listener modified or removed during the runs drains the ADS-fed Envoy's connections; an LDS
  // update that changes nothing does not, but it is a push that was not needed: count both.
  const ads = bench.cluster.envoy!;
  const adsCounters = async () => {
    const text = await ads.admin(
      '/stats?filter=^listener_manager\\.(listener_(modified|removed)|lds\\.update_success)$',
    );
    const m = new Map(
      text
        .trim()
        .split('\n')
        .map((l) => [l.split(': ')[0]!, Number(l.split(': ')[1])]),
    );
    return {
      changes:
        (m.get('listener_manager.listener_modified') ?? 0) +
        (m.get('listener_manager.listener_removed') ?? 0),
      updates: m.get('listener_manager.lds.update_success') ?? 0,
    };
  };
  const countersBefore = await adsCounters();
  const names = [...targets.keys()];
  for (const connections of connectionCounts) {
    // Per round, each variant's figure and its ratio to the minimal config's in the same round:
    // runs next to each other share the machine's load, so the ratios spread less than the figures.
    const rps = new Map<string, number[]>();
    // Envoy's CPU per request depends far less on the machine's load than requests/s do.
    const cpu = new Map<string, number[]>();
    // Connection errors plus non-2xx answers, over all rounds: every variant should have none.
    const errors = new Map<string, number>();
    const add = (m: Map<string, number[]>, name: string, x: number) =>
      m.set(name, [...(m.get(name) ?? []), x]);
    for (let round = 0; round < runs; round++) {
      const order = names.map((_, i) => names[(i + round * 3) % names.length]!);
      log(`c${connections} round ${round + 1}/${runs} (load ${os.loadavg()[0]!.toFixed(1)})`);
      for (const name of order) {
        const { url, pid } = targets.get(name)!;
        await load(url, connections, 1); // warm-up
        const ns0 = cpuNs(pid);
        const r = await load(url, connections, seconds);
        add(cpu, name, (cpuNs(pid) - ns0) / Math.max(1, r.requests) / 1000);
        if (r.errors) log(`${name} c${connections}: ${r.errors} errors (non-2xx answers and socket errors)`);
        errors.set(name, (errors.get(name) ?? 0) + r.errors);
        add(rps, name, r.rps);
      }
    }
    const base = { rps: rps.get('envoy_minimal')!, cpu: cpu.get('envoy_minimal')! };
    // Medians and quartiles: a burst of other work on the machine spoils a round, not the figure.
    const figures = (name: string, xs: number[], unit: string) => {
      emit(`${name}_c${connections}`, quantile(xs, 0.5), unit);
      emit(`${name}_p25_c${connections}`, quantile(xs, 0.25), unit);
      emit(`${name}_p75_c${connections}`, quantile(xs, 0.75), unit);
    };
    for (const name of names) {
      const vs = (m: number[], b: number[]) => m.map((x, i) => (100 * x) / b[i]!);
      emit(`settings_${name}_rps_c${connections}`, quantile(rps.get(name)!, 0.5), 'req/s');
      figures(`settings_${name}_vs_minimal`, vs(rps.get(name)!, base.rps), '%');
      emit(`settings_${name}_cpu_per_request_c${connections}`, quantile(cpu.get(name)!, 0.5), 'us');
      // Other work only adds to a round's figure: the least disturbed round is the nearest to the cost.
      emit(`settings_${name}_cpu_per_request_min_c${connections}`, quantile(cpu.get(name)!, 0), 'us');
      figures(`settings_${name}_cpu_vs_minimal`, vs(cpu.get(name)!, base.cpu), '%');
      emit(`settings_${name}_errors_c${connections}`, errors.get(name) ?? 0, 'requests');
    }
  }
  const countersAfter = await adsCounters();
  emit(
    'settings_envoy_portico_ads_listener_changes',
    countersAfter.changes - countersBefore.changes,
    'listeners',
  );
  emit('settings_envoy_portico_ads_lds_updates', countersAfter.updates - countersBefore.updates, 'updates');
  log(
    `done (load ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')})`,
  );
} finally {
  for (const e of envoys) await e.stop().catch(() => undefined);
  await adsServer?.stop();
  await bench.stop();
}
