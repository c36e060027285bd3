// xDS benchmarks against a real Envoy, all on loopback. Prints one JSON object per line:
//   node --import tsx bench/xds-propagation.ts [existingRoutes=1000] [addedRoutes=200] [sotw|delta]
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { startEnvoy } from '../local/light/envoy.ts';
import { freePort } from '../local/common/process.ts';
import type { IR, Route } from '../operator/ir/index.ts';
import { renderBootstrap } from '../operator/xds/bootstrap.ts';
import { AdsServer } from '../operator/xds/server.ts';
import { translateIr } from '../operator/xds/translate.ts';
import { emit as emitFigure, quantile } from './measure.ts';

const existing = Number(process.argv[2] ?? 1000);
const added = Number(process.argv[3] ?? 200);
const delta = process.argv[4] === 'delta';
const mode = delta ? 'delta' : 'sotw';

const emit = (name: string, value: number, unit: string) => emitFigure(`${name}_${mode}`, value, unit);
const percentile = (values: number[], p: number) => quantile(values, p / 100);

const backend = http.createServer((_req, res) => res.end('ok'));
await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
const backendPort = (backend.address() as AddressInfo).port;
// A second backend to move one Service's endpoints to (an EndpointSlice change).
const moved = http.createServer((_req, res) => res.end('moved'));
await new Promise<void>((r) => moved.listen(0, '127.0.0.1', r));
const movedPort = (moved.address() as AddressInfo).port;
const listenPort = await freePort();

// One HTTPRoute per route: its own path and its own Service (cluster), as at scale. An unchanged
// route or cluster keeps its object from one IR to the next, as the operator's translator hands it.
const routeObjects: Route[] = [];
const clusterObjects: IR['clusters'][number][] = [];
function ir(n: number, svc0Port = backendPort): IR {
  const routes: Route[] = [];
  const clusters: IR['clusters'][number][] = [];
  for (let i = 0; i < n; i++) {
    routes.push(
      (routeObjects[i] ??= {
        name: `bench/route-${i}/rule/0/match/0`,
        match: { path: { type: 'PathPrefix', value: `/r${i}` }, headers: [], queryParams: [] },
        action: { type: 'Forward', backends: [{ cluster: `bench/svc-${i}/80`, weight: 1 }] },
      }),
    );
    const port = i === 0 ? svc0Port : backendPort;
    let c = clusterObjects[i];
    if (c?.endpoints[0]?.port !== port)
      clusterObjects[i] = c = {
        name: `bench/svc-${i}/80`,
        service: { namespace: 'bench', name: `svc-${i}`, port: 80 },
        endpoints: [{ address: '127.0.0.1', port }],
      };
    clusters.push(c);
  }
  return {
    httpListeners: [
      {
        name: `bench/gw/127.0.0.1/${listenPort}`,
        gateway: { namespace: 'bench', name: 'gw' },
        address: '127.0.0.1',
        port: listenPort,
        protocol: 'HTTP',
        virtualHosts: [{ name: '*', domains: ['*'], routes }],
      },
    ],
    tlsPassthroughListeners: [],
    clusters,
  };
}

const server = new AdsServer({ logger: pino({ level: 'warn' }) });
const xdsPort = await server.listenPlaintextLoopback('127.0.0.1');
const envoy = await startEnvoy(
  renderBootstrap({ nodeId: 'bench', xdsAddress: '127.0.0.1', xdsPort, delta }),
  {
    waitReady: false,
    logLevel: 'warn',
  },
);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const get = (path: string) =>
  new Promise<{ status: number; body: string }>((resolve) => {
    http
      .get({ host: '127.0.0.1', port: listenPort, path, agent }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', () => resolve({ status: 0, body: '' }));
  });
const status = async (path: string) => (await get(path)).status;

try {
  let t = performance.now();
  server.setSnapshot(translateIr(ir(existing), 'base'));
  await server.waitForAck('base', { timeoutMs: 120000 });
  emit('xds_initial_ack', performance.now() - t, 'ms');
  emit('xds_initial_routes', existing, 'routes');

  const latencies: number[] = [];
  const translateMs: number[] = [];
  for (let i = existing; i < existing + added; i++) {
    t = performance.now();
    const snap = translateIr(ir(i + 1), `add-${i}`);
    server.setSnapshot(snap);
    translateMs.push(performance.now() - t);
    while ((await status(`/r${i}`)) !== 200) {
      /* poll until the new route serves */
    }
    latencies.push(performance.now() - t);
  }
  latencies.sort((a, b) => a - b);
  translateMs.sort((a, b) => a - b);
  emit('route_propagation_p50', percentile(latencies, 50), 'ms');
  emit('route_propagation_p99', percentile(latencies, 99), 'ms');
  emit('translate_and_encode_p50', percentile(translateMs, 50), 'ms');

  // Endpoint moves: one Service's only endpoint alternates between two backends.
  const edsMs: number[] = [];
  for (let i = 0; i < 50; i++) {
    const target = i % 2 === 0 ? 'moved' : 'ok';
    t = performance.now();
    server.setSnapshot(
      translateIr(ir(existing + added, target === 'moved' ? movedPort : backendPort), `eds-${i}`),
    );
    while ((await get('/r0')).body !== target) {
      /* poll until the endpoint change serves */
    }
    edsMs.push(performance.now() - t);
  }
  edsMs.sort((a, b) => a - b);
  emit('endpoint_propagation_p50', percentile(edsMs, 50), 'ms');
  emit('endpoint_propagation_p99', percentile(edsMs, 99), 'ms');
  const memory = JSON.parse(await envoy.admin('/memory')) as { allocated: string; heap_size: string };
  emit(`envoy_memory_allocated_at_${existing + added}_routes`, Number(memory.allocated) / 2 ** 20, 'MiB');
  emit(`envoy_memory_heap_at_${existing + added}_routes`, Number(memory.heap_size) / 2 ** 20, 'MiB');
} finally {
  agent.destroy();
  await envoy.stop();
  await server.stop();
  backend.close();
  moved.close();
}
