import {
  CustomObjectsApi,
  RbacAuthorizationV1Api,
  Watch,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { etcdCall, startControlPlane, type ControlPlane } from '../local/control-plane/control-plane.ts';

const GW = { group: 'gateway.networking.k8s.io', version: 'v1' };
const ns = 'default';

describe('local control plane (real etcd + kube-apiserver)', () => {
  let cp: ControlPlane;
  let api: CustomObjectsApi;

  let onRestart: (why: string) => Promise<void> = async () => {};
  const restarts: string[] = [];

  beforeAll(async () => {
    cp = await startControlPlane({
      onApiserverRestart: (why) => {
        restarts.push(why);
        return onRestart(why);
      },
    });
    await cp.installGatewayCrds();
    api = cp.kubeConfig.makeApiClient(CustomObjectsApi);
  });
  afterAll(() => cp?.stop());

  it('stores Gateway API objects of every kind the lab uses and reads them back', async () => {
    await api.createClusterCustomObject({
      ...GW,
      plural: 'gatewayclasses',
      body: {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'GatewayClass',
        metadata: { name: 'portico' },
        spec: { controllerName: 'portico.dev/gateway-controller' },
      },
    });
    await cp.applyYaml(`
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: my-gateway, namespace: default }
spec:
  gatewayClassName: portico
  listeners:
  - { name: web-gw, protocol: HTTP, port: 80, allowedRoutes: { namespaces: { from: Same } } }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: http-app-1, namespace: default }
spec:
  parentRefs: [{ name: my-gateway }]
  rules:
  - matches: [{ path: { type: PathPrefix, value: /details } }]
    backendRefs: [{ name: details, port: 9080 }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: { name: nginx, namespace: default }
spec:
  parentRefs: [{ name: cilium-tls-gateway }]
  hostnames: [nginx.cilium.rocks]
  rules:
  - backendRefs: [{ name: my-nginx, port: 443 }]
`);
    const route = (await api.getNamespacedCustomObject({
      ...GW,
      namespace: ns,
      plural: 'httproutes',
      name: 'http-app-1',
    })) as {
      spec: { rules: { backendRefs: { name: string; weight: number }[] }[] };
    };
    // The CRD's defaulting ran in the real API server: weight defaults to 1.
    expect(route.spec.rules[0]!.backendRefs[0]).toMatchObject({ name: 'details', weight: 1 });
    const tls = (await api.getNamespacedCustomObject({
      ...GW,
      namespace: ns,
      plural: 'tlsroutes',
      name: 'nginx',
    })) as {
      apiVersion: string;
    };
    expect(tls.apiVersion).toBe('gateway.networking.k8s.io/v1');
    const gc = (await api.getClusterCustomObject({ ...GW, plural: 'gatewayclasses', name: 'portico' })) as {
      spec: { controllerName: string };
    };
    expect(gc.spec.controllerName).toBe('portico.dev/gateway-controller');
  });

  it('installs the CRDs whole: every CEL rule and default of the pinned files is stored', async () => {
    const { findToolchain } = await import('../local/toolchain/install.ts');
    const fs = await import('node:fs');
    const file = `${findToolchain().gatewayCrds}/gateway.networking.k8s.io_httproutes.yaml`;
    const want = fs.readFileSync(file, 'utf8').match(/x-kubernetes-validations:/g)!.length;
    const crd = await cp.kubeConfig
      .makeApiClient((await import('@kubernetes/client-node')).ApiextensionsV1Api)
      .readCustomResourceDefinition({ name: 'httproutes.gateway.networking.k8s.io' });
    const count = (o: unknown): number =>
      o && typeof o === 'object'
        ? Object.entries(o).reduce(
            (n, [k, v]) =>
              n + (k === 'x_kubernetes_validations' || k === 'x-kubernetes-validations' ? 1 : 0) + count(v),
            0,
          )
        : 0;
    expect(want).toBeGreaterThan(50);
    expect(count(crd.spec)).toBe(want);
  });

  it('rejects an invalid object through the CRD schema with a readable message', async () => {
    await expect(
      cp.applyYaml(`
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: bad-weight, namespace: default }
spec:
  parentRefs: [{ name: my-gateway }]
  rules: [{ backendRefs: [{ name: details, port: 9080, weight: -1 }] }]
`),
    ).rejects.toThrow(/apply HTTPRoute default\/bad-weight: .*weight/);
  });

  it('delivers a watch event for an update', async () => {
    const watch = new Watch(cp.kubeConfig);
    const seen: string[] = [];
    const updated = new Promise<void>((resolve, reject) => {
      void watch
        .watch(
          `/apis/gateway.networking.k8s.io/v1/namespaces/${ns}/httproutes`,
          {},
          (type: string, obj: KubernetesObject & { spec?: { hostnames?: string[] } }) => {
            seen.push(`${type} ${obj.metadata?.name}`);
            if (type === 'MODIFIED' && obj.spec?.hostnames?.includes('watched.example')) resolve();
          },
          reject,
        )
        .then((req) => updated.finally(() => req.abort()));
    });
    // Wait for the initial ADDED events, then change the route.
    await new Promise((r) => setTimeout(r, 300));
    await cp.applyYaml(
      'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: { name: http-app-1, namespace: default }\nspec: { hostnames: [watched.example] }',
    );
    await updated;
    expect(seen).toContain('ADDED http-app-1');
    expect(seen).toContain('MODIFIED http-app-1');
  });

  it('authorizes with RBAC: a ServiceAccount may list routes only once a Role allows it', async () => {
    const sa = await cp.serviceAccountKubeConfig(ns, 'reader');
    const asReader = sa.makeApiClient(CustomObjectsApi);
    const list = () => asReader.listNamespacedCustomObject({ ...GW, namespace: ns, plural: 'httproutes' });
    await expect(list()).rejects.toMatchObject({ code: 403 });
    const rbac = cp.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: ns,
      body: {
        metadata: { name: 'route-reader' },
        rules: [{ apiGroups: [GW.group], resources: ['httproutes'], verbs: ['list'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'route-reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'route-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: ns }],
      },
    });
    const items = (await list()) as { items: unknown[] };
    expect(items.items.length).toBeGreaterThan(0);
  });

  it('restarts a kube-apiserver stuck on its first Service IP repair, which it never retries', async () => {
    // A node-port range etcd holds but nobody can decode fails that repair (as in
    // kubernetes/kubernetes#136288, where admission not yet ready fails it); the restart hook
    // removes it, so the apiserver started next passes.
    const range = Buffer.from('/registry/ranges/servicenodeports').toString('base64');
    await etcdCall(cp.etcdUrl, 'kv/put', {
      key: range,
      value: Buffer.from('not a range').toString('base64'),
    });
    onRestart = async () => void (await etcdCall(cp.etcdUrl, 'kv/deleterange', { key: range }));
    await cp.restartApiserver();
    expect(restarts).toEqual([expect.stringContaining('unable to refresh the port allocations')]);
    const routes = await api.listNamespacedCustomObject({ ...GW, namespace: ns, plural: 'httproutes' });
    expect((routes as { items: unknown[] }).items.length).toBeGreaterThan(0);
  }, 120000);
});
