// Operator benchmark: reconcile latency (HTTPRoute created -> its Accepted status observed on a
// watch) on top of existing routes, against a real kube-apiserver with the operator in-process.
// Prints one JSON object per figure and line: {"name","value","unit"}.
//   node --import tsx bench/operator.ts [--existing 500] [--added 100]
import { parseArgs } from 'node:util';
import { Watch } from '@kubernetes/client-node';
import { parseFlags, runOperator } from '../operator/main.ts';
import { emit, quantile } from './measure.ts';
import { RESOURCES, resourcePath } from '../operator/kube/resources.ts';
import {
  backendYaml,
  claimPool,
  metric,
  operatorFlags,
  poolYaml,
  startCluster,
} from '../test-support/operator-harness.ts';

const { values } = parseArgs({
  options: { existing: { type: 'string', default: '500' }, added: { type: 'string', default: '100' } },
});
const existing = Number(values.existing);
const added = Number(values.added);

const print = (name: string, value: number, unit: string) => emit(name, value, unit, 3);

const route = (name: string) => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name, namespace: 'default' },
  spec: {
    parentRefs: [{ name: 'web' }],
    rules: [
      {
        matches: [{ path: { type: 'PathPrefix', value: `/${name}` } }],
        backendRefs: [{ name: 'app', port: 8080 }],
      },
    ],
  },
});

interface RouteEvent {
  metadata?: { name?: string };
  status?: { parents?: { controllerName?: string; conditions?: { type: string; status: string }[] }[] };
}

const { cp, client } = await startCluster();
try {
  await cp.applyYaml(`
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: portico }
spec: { controllerName: portico.dev/gateway-controller }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: web, namespace: default }
spec:
  gatewayClassName: portico
  listeners: [{ name: http, protocol: HTTP, port: 80 }]
---
${poolYaml(claimPool(cp))}
---
${backendYaml('app', 8080, '10.244.9.10')}`);
  const op = await runOperator(parseFlags(operatorFlags(cp.kubeconfigPath)));

  const accepted = new Map<string, number>();
  const watch = await new Watch(cp.kubeConfig).watch(
    resourcePath(RESOURCES.httpRoutes, 'default'),
    {},
    (_type: string, o: RouteEvent) => {
      const name = o.metadata?.name;
      if (!name || accepted.has(name)) return;
      const ok = o.status?.parents?.some(
        (p) =>
          p.controllerName === 'portico.dev/gateway-controller' &&
          p.conditions?.some((c) => c.type === 'Accepted' && c.status === 'True'),
      );
      if (ok) accepted.set(name, performance.now());
    },
    () => undefined,
  );
  const waitAccepted = async (name: string, timeoutMs = 30000) => {
    const deadline = Date.now() + timeoutMs;
    while (!accepted.has(name)) {
      if (Date.now() > deadline) throw new Error(`${name} not Accepted within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 2));
    }
    return accepted.get(name)!;
  };
  const create = (name: string) =>
    client.request(resourcePath(RESOURCES.httpRoutes, 'default'), { method: 'POST', body: route(name) });

  const t0 = performance.now();
  for (let i = 0; i < existing; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, existing - i) }, (_, j) => create(`base-${i + j}`)));
  }
  if (existing > 0) await waitAccepted(`base-${existing - 1}`, 120000);
  for (let i = 0; i < existing; i++) await waitAccepted(`base-${i}`, 120000);
  print(`operator_initial_accept_${existing}_routes`, (performance.now() - t0) / 1000, 's');
  await op.controller.idle();
  const writesBase = await metric(op.metricsPort, 'portico_status_writes_total', 'kind="HTTPRoute"');
  print(`operator_route_status_writes_per_route_${existing}`, writesBase / Math.max(1, existing), 'writes');

  const lat: number[] = [];
  for (let i = 0; i < added; i++) {
    const name = `added-${i}`;
    const start = performance.now();
    await create(name);
    lat.push((await waitAccepted(name)) - start);
  }
  print(`operator_reconcile_latency_p50_at_${existing}_routes`, quantile(lat, 0.5), 'ms');
  print(`operator_reconcile_latency_p99_at_${existing}_routes`, quantile(lat, 0.99), 'ms');
  const sum = await metric(op.metricsPort, 'portico_reconcile_duration_seconds_sum');
  const count = await metric(op.metricsPort, 'portico_reconcile_duration_seconds_count');
  print(
    `operator_reconcile_duration_mean_at_${existing + added}_routes`,
    (1000 * sum) / Math.max(1, count),
    'ms',
  );
  print('operator_heap_used', process.memoryUsage().heapUsed / 1024 / 1024, 'MiB');
  watch.abort();
  await op.stop();
} finally {
  client.close();
  await cp.stop();
}
