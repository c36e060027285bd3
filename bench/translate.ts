// Translation benchmark: 100 Gateways x 10,000 HTTPRoutes. Prints one JSON object per line.
// Run: node --expose-gc --import tsx bench/translate.ts
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import type { Gateway, HTTPRoute } from '../operator/api/index.ts';
import { translate } from '../operator/translate/index.ts';
import { emit } from './measure.ts';
import type { Snapshot } from '../operator/translate/index.ts';

const GATEWAYS = 100;
const ROUTES = 10_000;
const SERVICES = 1_000;

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function route(i: number, generation = 1): HTTPRoute {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: {
      name: `route-${i}`,
      namespace: 'default',
      uid: `r-${i}`,
      generation,
      creationTimestamp: `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}Z`,
    },
    spec: {
      parentRefs: [{ name: `gw-${i % GATEWAYS}` }],
      hostnames: [`app-${i}.example.com`],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: `/api/v${generation}` } }],
          backendRefs: [
            { name: `svc-${i % SERVICES}`, port: 80, weight: 90 },
            { name: `svc-${(i + 1) % SERVICES}`, port: 80, weight: 10 },
          ],
        },
        {
          matches: [
            { path: { type: 'Exact', value: '/healthz' }, headers: [{ name: 'x-env', value: 'prod' }] },
          ],
          backendRefs: [{ name: `svc-${i % SERVICES}`, port: 80 }],
        },
      ],
    },
  };
}

export function bigSnapshot(): Snapshot {
  const gateways: Gateway[] = [];
  const services: V1Service[] = [];
  const endpointSlices: V1EndpointSlice[] = [];
  for (let g = 0; g < GATEWAYS; g++) {
    gateways.push({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: `gw-${g}`, namespace: 'default', uid: `g-${g}`, generation: 1 },
      spec: { gatewayClassName: 'portico', listeners: [{ name: 'http', protocol: 'HTTP', port: 80 }] },
    });
    services.push({
      metadata: { name: `portico-gw-${g}`, namespace: 'default' },
      spec: { type: 'LoadBalancer', ports: [{ port: 80 }] },
      status: { loadBalancer: { ingress: [{ ip: `10.200.${g >> 8}.${g & 255}` }] } },
    });
  }
  for (let s = 0; s < SERVICES; s++) {
    services.push({
      metadata: { name: `svc-${s}`, namespace: 'default' },
      spec: { ports: [{ name: 'http', port: 80 }] },
    });
    endpointSlices.push({
      addressType: 'IPv4',
      metadata: {
        name: `svc-${s}-x`,
        namespace: 'default',
        labels: { 'kubernetes.io/service-name': `svc-${s}` },
      },
      ports: [{ name: 'http', port: 8080 }],
      endpoints: [0, 1, 2].map((k) => ({
        addresses: [`10.${k + 1}.${s >> 8}.${s & 255}`],
        conditions: { ready: true },
      })),
    });
  }
  return {
    gatewayClasses: [
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'GatewayClass',
        metadata: { name: 'portico', generation: 1 },
        spec: { controllerName: 'portico.dev/gateway-controller' },
      },
    ],
    gateways,
    httpRoutes: Array.from({ length: ROUTES }, (_, i) => route(i)),
    tlsRoutes: [],
    referenceGrants: [],
    services,
    endpointSlices,
    secrets: [],
    namespaces: [{ metadata: { name: 'default' } }],
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

if (process.argv[1]?.endsWith('translate.ts')) main();
function cpuMs(f: () => void): { wall: number; cpu: number } {
  const c = process.cpuUsage();
  const t = performance.now();
  f();
  const d = process.cpuUsage(c);
  return { wall: performance.now() - t, cpu: (d.user + d.system) / 1000 };
}

function main(): void {
  const snap = bigSnapshot();
  // Fresh route objects defeat the per-route memo, so "full" is a cold translation.
  const fresh = (): Snapshot => ({ ...snap, httpRoutes: snap.httpRoutes.map((r) => structuredClone(r)) });
  gc();
  const baseline = process.memoryUsage().heapUsed;
  let result = translate(fresh()); // also warms up the JIT
  const full: { wall: number; cpu: number }[] = [];
  for (let i = 0; i < 5; i++) {
    const input = fresh();
    full.push(cpuMs(() => (result = translate(input))));
  }
  gc();
  emit('translate_full_100gw_10k_routes_ms', median(full.map((x) => x.wall)), 'ms');
  emit('translate_full_100gw_10k_routes_cpu_ms', median(full.map((x) => x.cpu)), 'ms');
  // Heap held by the last result and the memos (the snapshot itself is in the baseline).
  emit('translate_result_and_memo_heap_mb', (process.memoryUsage().heapUsed - baseline) / 1048576, 'MB');
  emit('translate_total_heap_used_mb', process.memoryUsage().heapUsed / 1048576, 'MB');

  // One route edited: translate() runs again on the whole snapshot, but unchanged objects hit
  // the memos, so the cost is attachment bookkeeping, one Gateway's routes and the statuses.
  const base = fresh();
  translate(base);
  const change: { wall: number; cpu: number }[] = [];
  for (let i = 0; i < 9; i++) {
    const routes = [...base.httpRoutes];
    routes[1234] = route(1234, 2 + i);
    const input = { ...base, httpRoutes: routes };
    change.push(cpuMs(() => (result = translate(input))));
  }
  emit('translate_one_route_change_ms', median(change.map((x) => x.wall)), 'ms');
  emit('translate_one_route_change_cpu_ms', median(change.map((x) => x.cpu)), 'ms');

  // A Service appears (no route names it yet), then one Service used by 20 routes gains a port:
  // each route model is checked against what it read; only the routes that use it are re-modeled.
  let cur: Snapshot = { ...base, httpRoutes: base.httpRoutes };
  translate(cur);
  const added: { wall: number; cpu: number }[] = [];
  const ported: { wall: number; cpu: number }[] = [];
  for (let i = 0; i < 9; i++) {
    cur = {
      ...cur,
      services: [
        ...cur.services,
        { metadata: { name: `new-${i}`, namespace: 'default' }, spec: { ports: [{ port: 80 }] } },
      ],
    };
    const input = cur;
    added.push(cpuMs(() => (result = translate(input))));
    const k = 100 + i;
    cur = {
      ...cur,
      services: cur.services.map((x) =>
        x.metadata?.name === `svc-${k}`
          ? {
              ...x,
              spec: {
                ports: [
                  { name: 'http', port: 80 },
                  { name: 'admin', port: 9000 },
                ],
              },
            }
          : x,
      ),
    };
    const input2 = cur;
    ported.push(cpuMs(() => (result = translate(input2))));
  }
  emit('translate_service_added_ms', median(added.map((x) => x.wall)), 'ms');
  emit('translate_service_port_added_ms', median(ported.map((x) => x.wall)), 'ms');

  // A Gateway joins with one route, then its address arrives: only that route attaches again.
  const joined: { wall: number; cpu: number }[] = [];
  const addressed: { wall: number; cpu: number }[] = [];
  for (let i = 0; i < 9; i++) {
    const name = `gw-new-${i}`;
    const gw = {
      ...cur.gateways[0]!,
      metadata: { name, namespace: 'default', uid: `g-new-${i}`, generation: 1 },
    };
    const r = route(ROUTES + i);
    r.spec.parentRefs = [{ name }];
    cur = { ...cur, gateways: [...cur.gateways, gw], httpRoutes: [...cur.httpRoutes, r] };
    const input = cur;
    joined.push(cpuMs(() => (result = translate(input))));
    const svc: V1Service = {
      metadata: { name: `portico-${name}`, namespace: 'default' },
      spec: { type: 'LoadBalancer', ports: [{ port: 80 }] },
      status: { loadBalancer: { ingress: [{ ip: `172.18.254.${i + 1}` }] } },
    };
    cur = { ...cur, services: [...cur.services, svc] };
    const input2 = cur;
    addressed.push(cpuMs(() => (result = translate(input2))));
  }
  emit('translate_gateway_added_ms', median(joined.map((x) => x.wall)), 'ms');
  emit('translate_gateway_address_ms', median(addressed.map((x) => x.wall)), 'ms');
  if (result.routeStatuses.length !== ROUTES + 9)
    throw new Error('benchmark snapshot did not attach every route');
}
