import { AppsV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { request } from '../local/cli/client.ts';
import { steadyClient } from '../test-support/steady-client.ts';
import { gatewayAddress, runLabChecks } from '../local/cli/demo.ts';
import { deployLabOnNodes, type Lab } from '../local/cli/lab.ts';
import { NAMESPACE, startNodesCluster, type NodesCluster } from '../local/nodes/cluster.ts';
import { run } from '../local/nodes/network.ts';
import { waitFor } from '../local/common/process.ts';
import { stringify } from 'yaml';

// The seed lab on real nodes: a control plane and two workers, each with containerd, kubelet and
// kube-proxy; Portico installed as a user installs it (operator Deployment, Envoy DaemonSet);
// the lab's Deployments as pods; Gateway addresses on the node network.
describe('the seed lab on real nodes', () => {
  let cluster: NodesCluster;
  let lab: Lab;

  beforeAll(async () => {
    cluster = await startNodesCluster({ networkId: 1 });
    const kc = cluster.controlPlane.kubeConfig;
    lab = await deployLabOnNodes(kc, (y) => cluster.controlPlane.applyYaml(y));
  }, 600000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('runs Portico as pods: the operator 1/1 and one Envoy on each of the 3 nodes', async () => {
    const apps = cluster.controlPlane.kubeConfig.makeApiClient(AppsV1Api);
    const op = await apps.readNamespacedDeployment({ namespace: NAMESPACE, name: 'portico-operator' });
    expect(op.status?.availableReplicas).toBe(1);
    const ds = await apps.readNamespacedDaemonSet({ namespace: NAMESPACE, name: 'portico-envoy' });
    expect([ds.status?.desiredNumberScheduled, ds.status?.numberReady]).toEqual([3, 3]);
  });

  it('places the lab on the workers, and the 50/50 split reaches two pods on two nodes', async () => {
    const core = cluster.controlPlane.kubeConfig.makeApiClient(CoreV1Api);
    const pods = (await core.listNamespacedPod({ namespace: 'default' })).items;
    expect(pods.length).toBeGreaterThanOrEqual(8);
    for (const p of pods) expect(p.spec?.nodeName).toMatch(/^portico-worker2?$/);
    const echoNodes = new Set(
      pods.filter((p) => /^echo-[12]-/.test(p.metadata!.name!)).map((p) => p.spec!.nodeName),
    );
    // The scheduler spreads by load; two echo pods on one worker is legal, so report it.
    if (echoNodes.size !== 2) console.log(`echo-1 and echo-2 share ${[...echoNodes].join()}`);
  });

  it('passes every check the lab makes (HTTP matches, HTTPS, passthrough, 50/50, 99/1, 75/25)', async () => {
    const checks = await runLabChecks(
      cluster.controlPlane.kubeConfig,
      lab,
      async (p) => cluster.envoyAdmin((await cluster.announcer('default', 'portico-my-gateway'))!, p),
      false,
    );
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(checks.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'GET /details/1 returns the book',
        'the same request without the header is 404',
        "TLS passthrough: the client sees the backend's own certificate",
        expect.stringMatching(/^\/echo split 99\/1/),
        expect.stringMatching(/^\/exam split 75\/25/),
      ]),
    );
  }, 300000);

  it('reaches Gateways through L2 announcements alone: the leading node answers ARP, no route', async () => {
    const kc = cluster.controlPlane.kubeConfig;
    const gw = await gatewayAddress(kc.makeApiClient(CustomObjectsApi), 'my-gateway');
    const holder = await cluster.announcer('default', 'portico-my-gateway');
    expect(holder).toBeDefined();
    // On the bridge's own subnet: the host asks by ARP, through no node in particular.
    const route = run('ip', ['route', 'get', gw]);
    expect(route).toContain(`dev ${cluster.network.bridge}`);
    expect(route).not.toContain(' via ');
    expect((await request('http', gw, 80, '/details/1')).status).toBe(200);
    const mac = /link\/ether (\S+)/.exec(run('ip', ['-n', holder!.netns, 'link', 'show', 'eth0']))![1]!;
    expect(run('ip', ['neigh', 'show', gw, 'dev', cluster.network.bridge])).toContain(mac);
  });

  it("gives a user's own LoadBalancer Service a pool address, served by kube-proxy where it is announced", async () => {
    const core = cluster.controlPlane.kubeConfig.makeApiClient(CoreV1Api);
    await cluster.controlPlane.applyYaml(
      stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'details-lb', namespace: 'default' },
        spec: { type: 'LoadBalancer', selector: { app: 'details' }, ports: [{ port: 80, targetPort: 9080 }] },
      }),
    );
    let ip = '';
    await waitFor('details-lb to get a pool address', async () => {
      const svc = await core.readNamespacedService({ namespace: 'default', name: 'details-lb' });
      ip = svc.status?.loadBalancer?.ingress?.[0]?.ip ?? '';
      return ip !== '';
    });
    expect(ip.startsWith(`172.30.${cluster.network.id}.`)).toBe(true);
    await waitFor(`http://${ip}/details/1 through kube-proxy`, async () => {
      const r = await request('http', ip, 80, '/details/1', { timeoutMs: 1000 });
      return r.status === 200 && /William Shakespeare/.test(r.body);
    });
  });

  it('moves a Gateway address to another node when the announcing agent goes away', async () => {
    const kc = cluster.controlPlane.kubeConfig;
    const core = kc.makeApiClient(CoreV1Api);
    const gw = await gatewayAddress(kc.makeApiClient(CustomObjectsApi), 'exam-gateway');
    const before = (await cluster.announcer('default', 'portico-exam-gateway'))!;
    const agent = (await core.listNamespacedPod({ namespace: NAMESPACE })).items.find(
      (p) => p.metadata!.name!.startsWith('portico-agent-') && p.spec?.nodeName === before.name,
    )!;
    const client = steadyClient(gw, '/exam');
    await new Promise((r) => setTimeout(r, 1000));
    await core.deleteNamespacedPod({ namespace: NAMESPACE, name: agent.metadata!.name! });
    await waitFor(
      'the DaemonSet to replace the agent and the address to be served',
      async () => {
        const ds = await kc
          .makeApiClient(AppsV1Api)
          .readNamespacedDaemonSet({ namespace: NAMESPACE, name: 'portico-agent' });
        return ds.status?.numberReady === 3 && (await request('http', gw, 80, '/exam')).status === 200;
      },
      { timeoutMs: 60000, intervalMs: 250 },
    );
    await new Promise((r) => setTimeout(r, 2000));
    const r = await client.stop();
    const after = await cluster.announcer('default', 'portico-exam-gateway');
    console.log(
      `agent on ${before.name} deleted: address now announced by ${after?.name}; ${r.ok} ok, ${r.failed} failed` +
        (r.failed ? ` over ${r.lastFailure - r.firstFailure} ms` : ''),
    );
    expect(r.ok).toBeGreaterThan(20);
    expect((await request('http', gw, 80, '/exam')).status).toBe(200);
  }, 120000);

  it("keeps serving one Gateway while an Envoy pod and another Gateway's backend pod are deleted", async () => {
    const kc = cluster.controlPlane.kubeConfig;
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    const gw = await gatewayAddress(kc.makeApiClient(CustomObjectsApi), 'my-gateway');
    const podOn = async (ns: string, prefix: string, node?: string) =>
      (await core.listNamespacedPod({ namespace: ns })).items.find(
        (p) => p.metadata!.name!.startsWith(prefix) && (!node || p.spec?.nodeName === node),
      )!;
    const holder = (await cluster.announcer('default', 'portico-my-gateway'))!;
    const other = cluster.nodes.find((n) => n.address.name !== holder.name)!;
    const envoyElsewhere = await podOn(NAMESPACE, 'portico-envoy-', other.address.name);
    const nginx = await podOn('default', 'my-nginx-');

    const client = steadyClient(gw, '/details/1');
    await new Promise((r) => setTimeout(r, 1000));
    await core.deleteNamespacedPod({ namespace: NAMESPACE, name: envoyElsewhere.metadata!.name! });
    await core.deleteNamespacedPod({ namespace: 'default', name: nginx.metadata!.name! });
    await waitFor(
      'the DaemonSet and the Deployment to replace their pods',
      async () => {
        const ds = await apps.readNamespacedDaemonSet({ namespace: NAMESPACE, name: 'portico-envoy' });
        const d = await apps.readNamespacedDeployment({ namespace: 'default', name: 'my-nginx' });
        const fresh = await podOn('default', 'my-nginx-');
        return (
          ds.status?.numberReady === 3 &&
          d.status?.availableReplicas === 1 &&
          fresh?.metadata?.name !== nginx.metadata!.name
        );
      },
      { timeoutMs: 60000, intervalMs: 250 },
    );
    const r = await client.stop();
    console.log(
      `while an Envoy (node ${envoyElsewhere.spec!.nodeName}) and my-nginx were deleted: ${r.ok} ok, ${r.failed} failed`,
    );
    expect(r.ok).toBeGreaterThan(20);
    expect(r.failed).toBe(0);

    // The Envoy on the node that announces the Gateway's address: the agent keeps the address
    // there, so its restart is a gap; measure it and require full recovery.
    const announcer = (await cluster.announcer('default', 'portico-my-gateway'))!;
    const vipEnvoy = await podOn(NAMESPACE, 'portico-envoy-', announcer.name);
    const client2 = steadyClient(gw, '/details/1');
    await new Promise((res) => setTimeout(res, 1000));
    const deletedAt = Date.now();
    await core.deleteNamespacedPod({ namespace: NAMESPACE, name: vipEnvoy.metadata!.name! });
    await waitFor(
      'a new Envoy on the VIP node to serve',
      async () => {
        const ds = await apps.readNamespacedDaemonSet({ namespace: NAMESPACE, name: 'portico-envoy' });
        const res = await request('http', gw, 80, '/details/1', { timeoutMs: 2000 });
        return ds.status?.numberReady === 3 && res.status === 200;
      },
      { timeoutMs: 60000, intervalMs: 250 },
    );
    await new Promise((res) => setTimeout(res, 1000));
    const r2 = await client2.stop();
    const gap = r2.failed ? r2.lastFailure - Math.max(r2.firstFailure, deletedAt) : 0;
    console.log(
      `while the VIP node's Envoy was replaced: ${r2.ok} ok, ${r2.failed} failed over ${gap} ms (${[...r2.errors].map(([k, v]) => `${k} x${v}`).join('; ')})`,
    );
    const last = await request('http', gw, 80, '/details/1');
    expect(last.status).toBe(200);
  }, 180000);
});
