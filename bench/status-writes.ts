// The API server's own rate for route status writes, with nothing else running: N HTTPRoutes,
// then one status write each through the operator's StatusWriter at several concurrencies, as a
// merge patch (what the operator sends) and as a server-side apply.
//   node --import tsx bench/status-writes.ts [routes=1000]
import os from 'node:os';
import { pino } from 'pino';
import { startControlPlane } from '../local/control-plane/control-plane.ts';
import { KubeClient } from '../operator/kube/rest.ts';
import { RESOURCES, resourcePath } from '../operator/kube/resources.ts';
import { runBounded, StatusWriter, type WithStatus } from '../operator/kube/status.ts';
import { statusEqual } from '../operator/translate/index.ts';
import { emit, log } from './e2e-setup.ts';

const ROUTES = Number(process.argv[2] ?? 1000);
const NS = 'default';
const load = () => `load ${os.loadavg()[0]!.toFixed(2)}`;

const cp = await startControlPlane();
const client = new KubeClient(cp.kubeConfig);
try {
  await cp.installGatewayCrds();
  await runBounded(
    Array.from({ length: ROUTES }, (_, i) => async () => {
      await client.request(resourcePath(RESOURCES.httpRoutes, NS), {
        method: 'POST',
        body: {
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind: 'HTTPRoute',
          metadata: { name: `r-${i}`, namespace: NS },
          spec: { parentRefs: [{ name: 'web' }], rules: [{ backendRefs: [{ name: 'svc', port: 80 }] }] },
        },
      });
    }),
    50,
  );
  const status = (round: number) => ({
    parents: [
      {
        parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'web' },
        controllerName: 'portico.dev/gateway-controller',
        conditions: ['Accepted', 'ResolvedRefs'].map((type) => ({
          type,
          status: 'True',
          reason: type,
          message: `round ${round}`,
          observedGeneration: 1,
          lastTransitionTime: '2026-01-01T00:00:00Z',
        })),
      },
    ],
  });
  let round = 0;
  for (const concurrency of [16, 64, 16, 64]) {
    round++;
    const list = await client.request<{ items: WithStatus[] }>(resourcePath(RESOURCES.httpRoutes, NS));
    const writer = new StatusWriter(client, {
      logger: pino({ level: 'silent' }),
      equal: statusEqual,
      concurrency,
    });
    const t0 = performance.now();
    await runBounded(
      list.items.map(
        (live) => async () => void (await writer.write(RESOURCES.httpRoutes, live, status(round))),
      ),
      concurrency,
    );
    const rate = writer.writes / ((performance.now() - t0) / 1000);
    log(`merge patch, ${concurrency} at once: ${writer.writes} writes (${load()})`);
    emit(`status_merge_patches_per_s_at_${concurrency}`, Math.round(rate), '/s');
  }
  for (const concurrency of [16, 64]) {
    round++;
    const t0 = performance.now();
    await runBounded(
      Array.from({ length: ROUTES }, (_, i) => async () => {
        await client.request(resourcePath(RESOURCES.httpRoutes, NS, `r-${i}`, 'status'), {
          method: 'PATCH',
          patchType: 'apply',
          query: { fieldManager: 'portico-apply', force: true },
          body: {
            apiVersion: 'gateway.networking.k8s.io/v1',
            kind: 'HTTPRoute',
            metadata: { name: `r-${i}`, namespace: NS },
            status: status(round),
          },
        });
      }),
      concurrency,
    );
    log(`server-side apply, ${concurrency} at once (${load()})`);
    emit(
      `status_applies_per_s_at_${concurrency}`,
      Math.round(ROUTES / ((performance.now() - t0) / 1000)),
      '/s',
    );
  }
} finally {
  client.close();
  await cp.stop();
}
