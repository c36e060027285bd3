// Status writes under the API server's rate limit: a kube-apiserver that serves one mutating request
// at a time answers a burst with 429 and Retry-After; every write still lands, through the retries.
import { pino } from 'pino';
import { startControlPlane, type ControlPlane } from '../local/control-plane/control-plane.ts';
import { KubeClient } from '../operator/kube/rest.ts';
import { RESOURCES, resourcePath } from '../operator/kube/resources.ts';
import { runBounded, StatusWriter, type WithStatus } from '../operator/kube/status.ts';
import { statusEqual } from '../operator/translate/index.ts';
import { createRoutes } from '../test-support/operator-harness.ts';

const ROUTES = 120;

describe('status writes against a rate-limited kube-apiserver', () => {
  let cp: ControlPlane;
  let admin: KubeClient;
  let writer: KubeClient;

  beforeAll(async () => {
    cp = await startControlPlane({
      // The plain in-flight limit answers 429 at once; system:masters is exempt, so the writer
      // below is a ServiceAccount.
      apiserverArgs: [
        '--enable-priority-and-fairness=false',
        '--max-requests-inflight=1',
        '--max-mutating-requests-inflight=1',
      ],
    });
    await cp.installGatewayCrds();
    admin = new KubeClient(cp.kubeConfig);
    await admin.request('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      method: 'POST',
      body: {
        metadata: { name: 'status-writer' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ kind: 'ServiceAccount', name: 'writer', namespace: 'default' }],
      },
    });
    writer = new KubeClient(await cp.serviceAccountKubeConfig('default', 'writer'));
    await createRoutes(admin, ROUTES, 8);
  }, 120000);

  afterAll(async () => {
    admin?.close();
    writer?.close();
    await cp?.stop();
  });

  it('retries 429s after Retry-After until every status is written', async () => {
    const list = await admin.request<{ items: WithStatus[] }>(resourcePath(RESOURCES.httpRoutes, 'default'));
    expect(list.items).toHaveLength(ROUTES);
    const statuses = new StatusWriter(writer, {
      logger: pino({ level: 'silent' }),
      equal: statusEqual,
      concurrency: 24,
    });
    const failures: unknown[] = [];
    const status = (name: string) => ({
      parents: [
        {
          parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'web' },
          controllerName: 'portico.dev/gateway-controller',
          conditions: [
            {
              type: 'Accepted',
              status: 'True',
              reason: 'Accepted',
              message: name,
              observedGeneration: 1,
              lastTransitionTime: '2026-01-01T00:00:00Z',
            },
          ],
        },
      ],
    });
    await runBounded(
      list.items.map((live) => async () => {
        await statuses
          .write(RESOURCES.httpRoutes, live, status(live.metadata!.name!))
          .catch((e: unknown) => void failures.push(e));
      }),
      statuses.concurrency,
    );
    expect(failures.map(String)).toEqual([]);
    expect(statuses.writes).toBe(ROUTES);
    // The limit was really hit: otherwise this test proves nothing.
    expect(statuses.throttled).toBeGreaterThan(0);
    const after = await admin.request<{ items: WithStatus[] }>(resourcePath(RESOURCES.httpRoutes, 'default'));
    const written = after.items.filter(
      (r) =>
        (r.status?.parents as { conditions: { message: string }[] }[] | undefined)?.[0]?.conditions[0]
          ?.message === r.metadata?.name,
    );
    expect(written).toHaveLength(ROUTES);
  }, 120000);
});
