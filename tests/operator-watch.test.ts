// The list+watch cache against a real kube-apiserver: it waits out a missing CRD with backoff,
// follows changes, and a periodic relist that finds nothing new emits nothing.
import { App, Chart } from 'cdk8s';
import { pino } from 'pino';
import { loadBalancerIpPoolCrd } from '../constructs/lb-ip-pool.ts';
import { PorticoCrd } from '../constructs/portico-crds.ts';
import { startControlPlane, type ControlPlane } from '../local/control-plane/control-plane.ts';
import { ClusterCache } from '../operator/kube/cache.ts';
import { LAST_APPLIED, Reflector, type EventType } from '../operator/kube/reflector.ts';
import { RESOURCES } from '../operator/kube/resources.ts';
import { KubeClient } from '../operator/kube/rest.ts';
import { eventually } from '../test-support/operator-harness.ts';

const logger = pino({ level: 'silent' });

describe('operator/kube Reflector (real kube-apiserver)', () => {
  let cp: ControlPlane;
  let client: KubeClient;
  const reflectors: Reflector[] = [];

  beforeAll(async () => {
    cp = await startControlPlane();
    client = new KubeClient(cp.kubeConfig);
  });
  afterAll(async () => {
    for (const r of reflectors) r.stop();
    client?.close();
    await cp?.stop();
  });

  it('treats a kind whose CRD is missing as empty, then picks it up once installed', async () => {
    const r = new Reflector(client, RESOURCES.ipPools, {
      logger,
      backoffInitialMs: 50,
      backoffMaxMs: 200,
    });
    reflectors.push(r);
    const events: string[] = [];
    r.on((type, o) => events.push(`${type} ${o.metadata?.name}`));
    r.start();
    await eventually('list errors', async () => r.errors >= 2);
    // Empty, not unknown: the rest of the operator runs without Portico's CRDs.
    expect(r.synced).toBe(true);
    expect(r.items()).toEqual([]);

    const app = new App({ outdir: '/nonexistent' });
    const chart = new Chart(app, 'crds');
    new PorticoCrd(chart, 'pools', loadBalancerIpPoolCrd);
    await cp.applyYaml(
      chart
        .toJson()
        .map((o) => JSON.stringify(o))
        .join('\n---\n'),
    );
    await cp.applyYaml(
      'apiVersion: portico.dev/v1alpha1\nkind: LoadBalancerIPPool\nmetadata: { name: p1 }\nspec: { blocks: [{ cidr: 127.0.210.0/28 }] }',
    );
    await r.waitForSync();
    await eventually('p1 in cache', async () => r.get('p1') !== undefined);
    expect(r.get('p1')).toMatchObject({ apiVersion: 'portico.dev/v1alpha1', kind: 'LoadBalancerIPPool' });

    await cp.applyYaml(
      'apiVersion: portico.dev/v1alpha1\nkind: LoadBalancerIPPool\nmetadata: { name: p1 }\nspec: { blocks: [{ cidr: 127.0.211.0/28 }] }',
    );
    await eventually('p1 modified', async () => events.includes('MODIFIED p1'));
    await client.request('/apis/portico.dev/v1alpha1/loadbalancerippools/p1', { method: 'DELETE' });
    await eventually('p1 deleted', async () => events.includes('DELETED p1'));
    expect(r.get('p1')).toBeUndefined();
  });

  it('stores a Secret without what translation never reads: managedFields, the last-applied copy, other keys', async () => {
    const cache = new ClusterCache(client, { logger });
    const r = cache.reflectors.secrets;
    reflectors.push(r);
    const lastApplied = JSON.stringify({ kind: 'Secret', data: { release: 'x'.repeat(1000) } });
    await client.request('/api/v1/namespaces/default/secrets', {
      method: 'POST',
      body: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: 'cert',
          annotations: { [LAST_APPLIED]: lastApplied, team: 'shop' },
          labels: { app: 'shop' },
        },
        type: 'kubernetes.io/tls',
        data: { 'tls.crt': 'Y3J0', 'tls.key': 'a2V5', release: 'x'.repeat(4000) },
      },
    });
    r.start();
    await eventually('cert in cache', async () => r.get('default/cert') !== undefined);
    const stored = r.get('default/cert') as Record<string, unknown> & { metadata: Record<string, unknown> };
    expect(stored.data).toEqual({ 'tls.crt': 'Y3J0', 'tls.key': 'a2V5' });
    expect(stored.type).toBe('kubernetes.io/tls');
    expect(stored.metadata.annotations).toEqual({ team: 'shop' });
    expect(stored.metadata.labels).toEqual({ app: 'shop' });
    expect(stored.metadata).not.toHaveProperty('managedFields');
    expect(stored.metadata).toMatchObject({ name: 'cert', namespace: 'default' });
    expect(typeof stored.metadata.resourceVersion).toBe('string');
    expect(typeof stored.metadata.uid).toBe('string');
  });

  it('relists periodically without emitting events for objects that did not change', async () => {
    await cp.applyYaml('apiVersion: v1\nkind: Namespace\nmetadata: { name: quiet }');
    const r = new Reflector(client, RESOURCES.namespaces, { logger, resyncMs: 1000 });
    reflectors.push(r);
    const events: [EventType, string][] = [];
    r.on((type, o) => events.push([type, o.metadata?.name ?? '']));
    r.start();
    await r.waitForSync();
    const afterSync = events.length;
    expect(events.map((e) => e[1])).toContain('quiet');
    const quiet = r.get('quiet');
    await eventually('three relists', async () => r.lists >= 3, 10000);
    expect(events.slice(afterSync).filter(([, n]) => n === 'quiet')).toEqual([]);
    // The same object, not an equal copy: the translator's memos are keyed by identity.
    expect(r.get('quiet')).toBe(quiet);
  });

  it('without a relist period, resumes each watch from its resourceVersion instead of listing again', async () => {
    const r = new Reflector(client, RESOURCES.namespaces, { logger, resyncMs: 0, watchMs: 1000 });
    reflectors.push(r);
    const events: string[] = [];
    r.on((type, o) => events.push(`${type} ${o.metadata?.name ?? ''}`));
    r.start();
    await r.waitForSync();
    // Several watch requests end (the server closes each after a second) and are resumed.
    await new Promise((res) => setTimeout(res, 3500));
    await cp.applyYaml('apiVersion: v1\nkind: Namespace\nmetadata: { name: resumed }');
    await eventually('resumed added', async () => events.includes('ADDED resumed'));
    expect(r.lists).toBe(1);
  });
});
