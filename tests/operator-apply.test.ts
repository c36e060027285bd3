// Owned objects: server-side applied once, not re-applied when unchanged, repaired after drift,
// pruned when no longer desired; status writes stay of the order of the number of routes.
import type { ControlPlane } from '../local/control-plane/control-plane.ts';
import { parseFlags, runOperator, type RunningOperator } from '../operator/main.ts';
import type { KubeClient } from '../operator/kube/rest.ts';
import { RESOURCES, resourcePath } from '../operator/kube/resources.ts';
import {
  backendYaml,
  cond,
  del,
  eventually,
  get,
  metric,
  operatorFlags,
  parentStatus,
  startCluster,
  webGatewayYaml,
} from '../test-support/operator-harness.ts';

const GATEWAY = webGatewayYaml([
  { name: 'http', port: 80 },
  { name: 'alt', port: 8080 },
]);

describe('operator: owned objects and write economy (real kube-apiserver)', () => {
  let cp: ControlPlane;
  let client: KubeClient;
  let op: RunningOperator;

  beforeAll(async () => {
    ({ cp, client } = await startCluster());
    await cp.applyYaml(GATEWAY + '---\n' + backendYaml('app', 8080, '10.244.3.10'));
    op = await runOperator(parseFlags(operatorFlags(cp.kubeconfigPath)));
  });
  afterAll(async () => {
    await op?.stop();
    client?.close();
    await cp?.stop();
  });

  const ports = async () => {
    const svc = await get(client, 'services', 'portico-web');
    return (svc?.spec?.ports as { port: number }[] | undefined)?.map((p) => p.port).sort((a, b) => a - b);
  };

  it('applies the per-Gateway Service with one port per listener port and an owner reference', async () => {
    const svc = await eventually('Service portico-web', () => get(client, 'services', 'portico-web'));
    expect(await ports()).toEqual([80, 8080]);
    const owner = (
      svc.metadata as { ownerReferences?: { kind: string; name: string; controller: boolean }[] }
    ).ownerReferences;
    expect(owner).toEqual([expect.objectContaining({ kind: 'Gateway', name: 'web', controller: true })]);
  });

  it('does not re-apply an unchanged Service when other events arrive', async () => {
    await op.controller.idle();
    const before = await metric(op.metricsPort, 'portico_apply_total', 'action="apply"');
    const reconciles = await metric(op.metricsPort, 'portico_reconcile_total', 'result="ok"');
    // Unrelated changes: each triggers a reconcile.
    for (let i = 0; i < 3; i++) {
      await cp.applyYaml(backendYaml(`noise-${i}`, 80, `10.244.3.${20 + i}`));
      await eventually(
        'reconcile',
        async () => (await metric(op.metricsPort, 'portico_reconcile_total', 'result="ok"')) > reconciles + i,
      );
    }
    await op.controller.idle();
    expect(await metric(op.metricsPort, 'portico_apply_total', 'action="apply"')).toBe(before);
  });

  it('recreates the Service after someone deletes it', async () => {
    const old = await get(client, 'services', 'portico-web');
    await del(client, 'services', 'portico-web');
    const svc = await eventually('Service recreated', async () => {
      const s = await get(client, 'services', 'portico-web');
      return s && s.metadata.uid !== old?.metadata.uid && s;
    });
    expect(svc.spec).toMatchObject({ type: 'LoadBalancer' });
  });

  it('repairs the Service after someone edits it', async () => {
    await client.request(resourcePath(RESOURCES.services, 'default', 'portico-web'), {
      method: 'PATCH',
      patchType: 'merge',
      body: { spec: { ports: [{ name: 'port-80', port: 81, protocol: 'TCP', targetPort: 81 }] } },
    });
    await eventually('ports repaired', async () => JSON.stringify(await ports()) === '[80,8080]');
  });

  it('follows the Gateway: a removed listener port leaves the Service, a deleted Gateway prunes it', async () => {
    await cp.applyYaml(`
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: web, namespace: default }
spec:
  gatewayClassName: portico
  listeners: [{ name: http, protocol: HTTP, port: 80 }]
`);
    await eventually('port 8080 removed', async () => JSON.stringify(await ports()) === '[80]');
    await cp.applyYaml(`
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: gone, namespace: default }
spec:
  gatewayClassName: portico
  listeners: [{ name: http, protocol: HTTP, port: 80 }]
`);
    await eventually('Service portico-gone', () => get(client, 'services', 'portico-gone'));
    await del(client, 'gateways', 'gone');
    await eventually(
      'Service portico-gone pruned',
      async () => (await get(client, 'services', 'portico-gone')) === undefined,
    );
  });

  it('writes each route status about once when 100 routes attach, and not again on no-op events', async () => {
    const n = 100;
    const before = await metric(op.metricsPort, 'portico_status_writes_total', 'kind="HTTPRoute"');
    const docs = Array.from(
      { length: n },
      (_, i) => `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: r-${i}, namespace: default }
spec:
  parentRefs: [{ name: web }]
  rules: [{ matches: [{ path: { type: PathPrefix, value: /r${i} } }], backendRefs: [{ name: app, port: 8080 }] }]
`,
    );
    await cp.applyYaml(docs.join('---\n'));
    await eventually(
      'all routes Accepted',
      async () => {
        for (const i of [0, n / 2, n - 1]) {
          const p = parentStatus(await get(client, 'httpRoutes', `r-${i}`), 'web');
          if (cond(p?.conditions, 'Accepted')?.status !== 'True') return false;
        }
        const list = await client.request<{ items: { status?: { parents?: unknown[] } }[] }>(
          resourcePath(RESOURCES.httpRoutes, 'default'),
        );
        return list.items.filter((r) => r.status?.parents?.length).length >= n;
      },
      60000,
    );
    await op.controller.idle();
    const writes = (await metric(op.metricsPort, 'portico_status_writes_total', 'kind="HTTPRoute"')) - before;
    process.stdout.write(`status writes for ${n} routes: ${writes}\n`);
    expect(writes).toBeGreaterThanOrEqual(n);
    expect(writes).toBeLessThanOrEqual(2 * n);
    // A label change bumps resourceVersion but not the status: no write. (Counted before the
    // patch: an idle queue reconciles at once, possibly before the patch call returns.)
    const reconciles = await metric(op.metricsPort, 'portico_reconcile_total', 'result="ok"');
    await client.request(resourcePath(RESOURCES.httpRoutes, 'default', 'r-0'), {
      method: 'PATCH',
      patchType: 'merge',
      body: { metadata: { labels: { touched: 'yes' } } },
    });
    await eventually(
      'reconcile after touch',
      async () => (await metric(op.metricsPort, 'portico_reconcile_total', 'result="ok"')) > reconciles,
    );
    await op.controller.idle();
    expect((await metric(op.metricsPort, 'portico_status_writes_total', 'kind="HTTPRoute"')) - before).toBe(
      writes,
    );
  });
});
