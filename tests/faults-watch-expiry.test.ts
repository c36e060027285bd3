// A watch the API server has expired: the operator's connection to kube-apiserver is cut (a relay
// that resets it), routes are created, edited and deleted meanwhile, and etcd is compacted past the
// reflector's resourceVersion. When the connection comes back the watch resumes from that version,
// gets 410 Gone, and the relist must deliver every change, deletes included.
import { pino } from 'pino';
import { kubeConfigFor, type ControlPlane } from '../local/control-plane/control-plane.ts';
import { startTcpProxy, type TcpProxy } from '../test-support/tcp-proxy.ts';
import { Reflector, type EventType } from '../operator/kube/reflector.ts';
import { RESOURCES } from '../operator/kube/resources.ts';
import { KubeClient } from '../operator/kube/rest.ts';
import { del, eventually, startCluster } from '../test-support/operator-harness.ts';

const logger = pino({ level: process.env.DEBUG_FAULTS ? 'debug' : 'silent' });

const route = (name: string, label = 'v1') => `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${name}, namespace: default, labels: { edit: ${label} } }
spec:
  parentRefs: [{ name: gw }]
`;

describe('faults: a watch expired by the API server (410 Gone)', () => {
  let cp: ControlPlane;
  let admin: KubeClient;
  let proxy: TcpProxy;
  let proxied: KubeClient;
  let reflector: Reflector;

  beforeAll(async () => {
    // Without the watch cache, a watch reads etcd's history, which compaction removes (the cache
    // keeps minutes of events of its own, so a test would have to wait those out).
    ({ cp, client: admin } = await startCluster({ apiserverArgs: ['--watch-cache=false'] }));
    const server = new URL(cp.server);
    proxy = await startTcpProxy({ host: server.hostname, port: Number(server.port) });
    const token = cp.kubeConfig.getCurrentUser()!.token!;
    proxied = new KubeClient(kubeConfigFor(`https://127.0.0.1:${proxy.port}`, cp.caPem, 'admin', token));
  });
  afterAll(async () => {
    reflector?.stop();
    proxied?.close();
    admin?.close();
    await proxy?.close();
    await cp?.stop();
  });

  it('relists after 410 and misses nothing done while the watch was gone', async () => {
    await cp.applyYaml(['keep', 'edit', 'gone', 'again'].map((n) => route(n)).join('---\n'));
    reflector = new Reflector(proxied, RESOURCES.httpRoutes, {
      logger,
      backoffInitialMs: 100,
      backoffMaxMs: 500,
    });
    const events: [EventType, string][] = [];
    reflector.on((type, o) => events.push([type, o.metadata?.name ?? '']));
    reflector.start();
    await reflector.waitForSync();
    const againUid = reflector.get('default/again')?.metadata?.uid;
    expect(againUid).toBeDefined();
    const listsBefore = reflector.lists;
    events.length = 0;

    proxy.cut();
    await eventually('watch cut', async () => reflector.errors > 0);
    await cp.applyYaml(route('new'));
    await cp.applyYaml(route('edit', 'v2'));
    await del(admin, 'httpRoutes', 'gone');
    await del(admin, 'httpRoutes', 'again');
    await cp.applyYaml(route('again'));
    // Plenty of later history, then all of it compacted: the reflector's version is gone for good.
    for (let i = 0; i < 20; i++) await cp.applyYaml(route('churn', `c${i}`));
    await del(admin, 'httpRoutes', 'churn');
    const revision = await cp.compactEtcd();
    proxy.restore();

    await eventually('watch expired and relisted', async () => reflector.expired > 0, 30000);
    await eventually('cache matches the API server', async () => {
      const names = reflector
        .items()
        .map((o) => o.metadata?.name)
        .sort();
      return JSON.stringify(names) === JSON.stringify(['again', 'edit', 'keep', 'new']);
    });
    process.stdout.write(
      `watch expiry: compacted at revision ${revision}; ${reflector.expired} expired watch(es), ` +
        `${reflector.lists - listsBefore} relist(s), ${reflector.errors} connection error(s)\n`,
    );
    expect(reflector.lists).toBeGreaterThan(listsBefore);
    expect(reflector.get('default/edit')?.metadata).toMatchObject({ labels: { edit: 'v2' } });
    // Recreated under the same name: a new object (the relist sees the new resourceVersion).
    expect(reflector.get('default/again')?.metadata?.uid).not.toBe(againUid);
    expect(events).toEqual(
      expect.arrayContaining([
        ['ADDED', 'new'],
        ['MODIFIED', 'edit'],
        ['DELETED', 'gone'],
        ['MODIFIED', 'again'],
      ]),
    );
    expect(events.filter(([, n]) => n === 'keep')).toEqual([]);
    expect(reflector.rejected).toBe(0);
  }, 90000);
});
