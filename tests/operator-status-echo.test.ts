// A burst's status writes come back from the watch after the pass that made them. The next pass
// must know its own writes by the version they made instead of comparing every status again (at
// 10,000 routes, thousands of comparisons on the way of the next change), and still put right a
// status someone else changed.
import { pino } from 'pino';
import type { ControlPlane } from '../local/control-plane/control-plane.ts';
import { Reconciler } from '../operator/controller/reconciler.ts';
import { Applier } from '../operator/kube/apply.ts';
import { ClusterCache } from '../operator/kube/cache.ts';
import type { KubeClient } from '../operator/kube/rest.ts';
import { RESOURCES, resourcePath } from '../operator/kube/resources.ts';
import { StatusWriter, type WithStatus } from '../operator/kube/status.ts';
import { statusEqual, translate } from '../operator/translate/index.ts';
import { createRoutes, eventually, startCluster, webGatewayYaml } from '../test-support/operator-harness.ts';

// More than a status pass takes one by one (route-status-plan.ts): the pass after re-indexes all.
const ROUTES = 600;
const logger = pino({ level: 'silent' });

describe('status echoes after a burst (real kube-apiserver)', () => {
  let cp: ControlPlane;
  let client: KubeClient;
  let cache: ClusterCache;

  beforeAll(async () => {
    ({ cp, client } = await startCluster());
    await cp.applyYaml(webGatewayYaml([{ name: 'http', port: 80 }]));
    cache = new ClusterCache(client, { logger });
    cache.start();
    await cache.waitForSync();
  }, 120000);

  afterAll(async () => {
    cache?.stop();
    client?.close();
    await cp?.stop();
  });

  const routes = () => cache.snapshot().httpRoutes as WithStatus[];
  const ourParents = (r: WithStatus | undefined) =>
    ((r?.status?.parents ?? []) as { controllerName?: string }[]).filter(
      (p) => p.controllerName === 'portico.dev/gateway-controller',
    );

  it('the pass after a burst compares none of the statuses it wrote, and repairs one changed by another', async () => {
    // Route statuses compared by the writer (Gateway statuses hold no `parents`).
    let compared = 0;
    const equal = (a: unknown, b: unknown) => {
      if (a && typeof a === 'object' && 'parents' in a) compared++;
      return statusEqual(a, b);
    };
    const writer = new StatusWriter(client, { logger, equal });
    const reconciler = new Reconciler({
      cache,
      translate,
      applier: new Applier(client, { logger }),
      statusWriter: writer,
      isLeader: () => true,
      logger,
    });
    // The Gateway's own Service first: a new Service makes every route model anew, as it should.
    await reconciler.reconcile();
    await eventually('the Gateway Service in the cache', async () => cache.snapshot().services.length > 0);
    await reconciler.reconcile();

    await createRoutes(client, ROUTES, 16);
    await eventually('all routes in the cache', async () => routes().length === ROUTES);

    const first = await reconciler.reconcile();
    expect(first.statusWrites).toBeGreaterThanOrEqual(ROUTES);
    await eventually('every status write back in the cache', async () =>
      routes().every((r) => ourParents(r).length === 1),
    );

    compared = 0;
    const second = await reconciler.reconcile();
    expect(second.statusWrites).toBe(0);
    expect(compared).toBe(0);

    // Another writer drops Portico's entry from one route: not our echo, so it is looked at again.
    const path = resourcePath(RESOURCES.httpRoutes, 'default', 'r-7', 'status');
    const live = routes().find((r) => r.metadata?.name === 'r-7');
    await client.request(path, {
      method: 'PATCH',
      patchType: 'merge',
      body: { metadata: { resourceVersion: live?.metadata?.resourceVersion }, status: { parents: [] } },
    });
    await eventually('the change in the cache', async () => {
      const r = routes().find((x) => x.metadata?.name === 'r-7');
      return r && ourParents(r).length === 0;
    });
    const third = await reconciler.reconcile();
    expect(third.statusWrites).toBe(1);
    const repaired = await client.request<WithStatus>(resourcePath(RESOURCES.httpRoutes, 'default', 'r-7'));
    expect(ourParents(repaired)).toHaveLength(1);
  }, 120000);
});
