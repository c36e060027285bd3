// The operator (in-process) against a real kube-apiserver: the seed lab's objects reach the
// statuses the lab shows, and the spec's negative cases get the spec's reasons.
import type { ControlPlane } from '../local/control-plane/control-plane.ts';
import { parseFlags, runOperator, type RunningOperator } from '../operator/main.ts';
import type { KubeClient } from '../operator/kube/rest.ts';
import {
  SEED_LAB_YAML,
  backendYaml,
  claimPool,
  cond,
  eventually,
  get,
  parentStatus,
  startCluster,
  poolYaml,
  tlsSecretYaml,
  type Condition,
  type Obj,
} from '../test-support/operator-harness.ts';

describe('operator: seed lab statuses (real kube-apiserver)', () => {
  let cp: ControlPlane;
  let client: KubeClient;
  let op: RunningOperator;
  let pool: string;

  beforeAll(async () => {
    ({ cp, client } = await startCluster());
    pool = claimPool(cp);
    await cp.applyYaml(SEED_LAB_YAML + '---\n' + poolYaml(pool));
    await cp.applyYaml(
      tlsSecretYaml('demo-cert', 'default', ['bookinfo.cilium.rocks', 'hipstershop.cilium.rocks']),
    );
    op = await runOperator(
      parseFlags([
        '--kubeconfig',
        cp.kubeconfigPath,
        '--metrics-address',
        '127.0.0.1',
        '--metrics-port',
        '0',
        '--xds-port=-1',
        '--leader-election-id=',
        '--log-level',
        'warn',
      ]),
    );
  });
  afterAll(async () => {
    await op?.stop();
    client?.close();
    await cp?.stop();
  });

  const seenIps = new Set<string>();
  const accepted = (o: Obj | undefined) => cond(o?.status?.conditions, 'Accepted')?.status === 'True' && o;

  it('accepts the GatewayClass', async () => {
    const gc = await eventually('GatewayClass Accepted', async () =>
      accepted(await get(client, 'gatewayClasses', 'portico')),
    );
    expect(cond(gc.status?.conditions, 'Accepted')?.reason).toBe('Accepted');
  });

  it.each(['my-gateway', 'tls-gateway', 'cilium-tls-gateway'])(
    'accepts Gateway %s and creates its Service',
    async (name) => {
      await eventually(`Gateway ${name} Accepted`, async () => accepted(await get(client, 'gateways', name)));
      const svc = await eventually(`Service portico-${name}`, () =>
        get(client, 'services', `portico-${name}`),
      );
      expect(svc.spec).toMatchObject({ type: 'LoadBalancer' });
      expect(svc.metadata.labels).toMatchObject({
        'service.kubernetes.io/service-proxy-name': 'portico',
        'app.kubernetes.io/managed-by': 'portico',
      });
    },
  );

  it.each(['my-gateway', 'tls-gateway', 'cilium-tls-gateway'])(
    'gives Gateway %s a distinct address from the loopback pool',
    async (name) => {
      const gw = await eventually(`Gateway ${name} address`, async () => {
        const g = await get(client, 'gateways', name);
        return g?.status?.addresses?.[0]?.value;
      });
      const ip = gw;
      expect(ip.split('.').slice(0, 3)).toEqual(pool.split('.').slice(0, 3));
      const svc = await get(client, 'services', `portico-${name}`);
      expect(svc?.status?.loadBalancer?.ingress?.map((i) => i.ip)).toEqual([ip]);
      seenIps.add(ip);
    },
  );

  it('counts the pool usage in the pool status', async () => {
    expect(seenIps.size).toBe(3);
    const pool = await eventually('pool status', async () => {
      const p = await get(client, 'ipPools', 'loopback');
      return (p?.status?.ipCounts as { used?: number } | undefined)?.used === 3 && p;
    });
    expect(pool.status?.ipCounts).toMatchObject({ used: 3, total: 254 });
  });

  it('records Kubernetes Events for the Gateway and Service transitions', async () => {
    const events = await eventually('Events for my-gateway', async () => {
      const list = await client.request<{
        items: { reason: string; type: string; involvedObject: { kind: string; name: string } }[];
      }>('/api/v1/namespaces/default/events');
      const mine = list.items.filter((e) =>
        ['my-gateway', 'portico-my-gateway'].includes(e.involvedObject.name),
      );
      return (
        mine.some((e) => e.involvedObject.kind === 'Service') &&
        mine.some((e) => e.reason === 'Accepted') &&
        mine
      );
    });
    expect(events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'Normal',
          reason: 'Accepted',
          involvedObject: expect.objectContaining({ kind: 'Gateway' }),
        }),
        expect.objectContaining({ type: 'Normal', reason: 'IPAMRequestSatisfied' }),
      ]),
    );
  });

  it('gives the TLSRoute an Accepted + ResolvedRefs parent, like the lab', async () => {
    const p = await eventually('TLSRoute nginx parent', async () => {
      const s = parentStatus(await get(client, 'tlsRoutes', 'nginx'), 'cilium-tls-gateway');
      return cond(s?.conditions, 'ResolvedRefs') && s;
    });
    expect(cond(p.conditions, 'Accepted')).toMatchObject({ status: 'True', reason: 'Accepted' });
    expect(cond(p.conditions, 'ResolvedRefs')).toMatchObject({ status: 'True', reason: 'ResolvedRefs' });
  });

  it('accepts the HTTPRoutes on my-gateway and tls-gateway', async () => {
    for (const [route, gw] of [
      ['http-app-1', 'my-gateway'],
      ['https-app-route-1', 'tls-gateway'],
      ['https-app-route-2', 'tls-gateway'],
    ] as const) {
      const p = await eventually(`${route} Accepted`, async () => {
        const s = parentStatus(await get(client, 'httpRoutes', route), gw);
        return cond(s?.conditions, 'Accepted')?.status === 'True' && s;
      });
      expect(cond(p.conditions, 'ResolvedRefs')?.status).toBe('True');
    }
  });

  describe('negative cases', () => {
    beforeAll(async () => {
      await cp.applyYaml(`
apiVersion: v1
kind: Namespace
metadata: { name: other }
---
${backendYaml('other-svc', 8080, '10.244.2.10', 'other')}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: foreign, namespace: other }
spec:
  parentRefs: [{ name: my-gateway, namespace: default }]
  rules: [{ backendRefs: [{ name: other-svc, port: 8080 }] }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: cross-ns-backend, namespace: default }
spec:
  parentRefs: [{ name: my-gateway }]
  rules: [{ backendRefs: [{ name: other-svc, namespace: other, port: 8080 }] }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: missing-backend, namespace: default }
spec:
  parentRefs: [{ name: my-gateway }]
  rules: [{ backendRefs: [{ name: does-not-exist, port: 8080 }] }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: wrong-host, namespace: default }
spec:
  parentRefs: [{ name: tls-gateway }]
  hostnames: [nomatch.example.com]
  rules: [{ backendRefs: [{ name: details, port: 9080 }] }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: no-secret, namespace: default }
spec:
  gatewayClassName: portico
  listeners:
  - name: https
    protocol: HTTPS
    port: 8443
    hostname: secure.example.com
    tls: { certificateRefs: [{ kind: Secret, name: not-there }] }
`);
    });

    const parentCond = async (
      kind: 'httpRoutes' | 'tlsRoutes',
      route: string,
      gw: string,
      type: string,
      ns = 'default',
    ) =>
      eventually(`${route} ${type}`, async () => {
        const c = cond(parentStatus(await get(client, kind, route, ns), gw)?.conditions, type);
        return c?.status === 'False' && c;
      });

    it('rejects a route from another namespace on a from: Same listener (NotAllowedByListeners)', async () => {
      const c = await parentCond('httpRoutes', 'foreign', 'my-gateway', 'Accepted', 'other');
      expect(c.reason).toBe('NotAllowedByListeners');
    });

    it('refuses a cross-namespace backend without ReferenceGrant (RefNotPermitted), then admits it', async () => {
      const c = await parentCond('httpRoutes', 'cross-ns-backend', 'my-gateway', 'ResolvedRefs');
      expect(c.reason).toBe('RefNotPermitted');
      await cp.applyYaml(`
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: { name: allow-default-routes, namespace: other }
spec:
  from: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: default }]
  to: [{ group: '', kind: Service }]
`);
      const ok = await eventually('cross-ns-backend ResolvedRefs True', async () => {
        const x = cond(
          parentStatus(await get(client, 'httpRoutes', 'cross-ns-backend'), 'my-gateway')?.conditions,
          'ResolvedRefs',
        );
        return x?.status === 'True' && x;
      });
      expect(ok.reason).toBe('ResolvedRefs');
    });

    it('reports a missing Service as BackendNotFound', async () => {
      const c = await parentCond('httpRoutes', 'missing-backend', 'my-gateway', 'ResolvedRefs');
      expect(c.reason).toBe('BackendNotFound');
    });

    it('rejects a route whose hostnames match no listener (NoMatchingListenerHostname)', async () => {
      const c = await parentCond('httpRoutes', 'wrong-host', 'tls-gateway', 'Accepted');
      expect(c.reason).toBe('NoMatchingListenerHostname');
    });

    it('sets a condition on a Service when its pool is exhausted, and keeps running', async () => {
      const svc = (name: string) => `
apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: default, labels: { pool: tiny } }
spec: { type: LoadBalancer, ports: [{ port: 80, protocol: TCP }] }
`;
      await cp.applyYaml(`
apiVersion: portico.dev/v1alpha1
kind: LoadBalancerIPPool
metadata: { name: tiny }
spec:
  blocks: [{ start: 127.0.201.1, stop: 127.0.201.1 }]
  serviceSelector: { matchLabels: { pool: tiny } }
---
${svc('tiny-a')}
---
${svc('tiny-b')}
`);
      const ipamCond = (o: Obj | undefined) =>
        cond(o?.status?.conditions as Condition[] | undefined, 'portico.dev/IPAMRequestSatisfied');
      const [a, b] = await eventually('both tiny Services decided', async () => {
        const x = await get(client, 'services', 'tiny-a');
        const y = await get(client, 'services', 'tiny-b');
        return ipamCond(x) && ipamCond(y) && ([x, y] as const);
      });
      const winner = a?.status?.loadBalancer?.ingress?.length ? a : b;
      const loser = winner === a ? b : a;
      expect(winner?.status?.loadBalancer?.ingress).toEqual([{ ip: '127.0.201.1', ipMode: 'VIP' }]);
      expect(loser?.status?.loadBalancer?.ingress ?? []).toEqual([]);
      expect(ipamCond(loser)).toMatchObject({ status: 'False', reason: 'PoolExhausted' });
      // Still reconciling: the seed lab's Gateways keep their status.
      expect(accepted(await get(client, 'gateways', 'my-gateway'))).toBeTruthy();
      expect(op.controller.ready).toBe(true);
    });

    it("leaves other controllers' status.parents entries alone and removes only its own", async () => {
      const route = (parents: string) => `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: shared, namespace: default }
spec:
  parentRefs: ${parents}
  rules: [{ backendRefs: [{ name: details, port: 9080 }] }]
`;
      await cp.applyYaml(route('[{ name: my-gateway }, { name: elsewhere }]'));
      await eventually('Portico entry on shared', async () =>
        parentStatus(await get(client, 'httpRoutes', 'shared'), 'my-gateway'),
      );
      const other = {
        parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'elsewhere' },
        controllerName: 'example.com/other-controller',
        conditions: [
          {
            type: 'Accepted',
            status: 'True',
            reason: 'Accepted',
            message: 'other',
            lastTransitionTime: '2026-01-01T00:00:00Z',
          },
        ],
      };
      // Written as the other controller would: read, add its entry, write with the read version.
      await eventually('other controller entry written', async () => {
        const live = await get(client, 'httpRoutes', 'shared');
        const parents = [...(live?.status?.parents ?? []), other];
        await client.request(
          '/apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes/shared/status',
          {
            method: 'PATCH',
            patchType: 'merge',
            body: { metadata: { resourceVersion: live?.metadata.resourceVersion }, status: { parents } },
          },
        );
        return true;
      });
      await cp.applyYaml(route('[{ name: elsewhere }]'));
      const final = await eventually('Portico entry removed', async () => {
        const r = await get(client, 'httpRoutes', 'shared');
        return r && !parentStatus(r, 'my-gateway') && r;
      });
      expect(final.status?.parents).toEqual([
        expect.objectContaining({ controllerName: 'example.com/other-controller' }),
      ]);
    });

    it('marks an HTTPS listener with a missing Secret ResolvedRefs=False, InvalidCertificateRef', async () => {
      const l = await eventually('no-secret listener ResolvedRefs False', async () => {
        const gw = await get(client, 'gateways', 'no-secret');
        const li = gw?.status?.listeners?.find((x) => x.name === 'https');
        return cond(li?.conditions, 'ResolvedRefs')?.status === 'False' && li;
      });
      expect(cond(l.conditions, 'ResolvedRefs')?.reason).toBe('InvalidCertificateRef');
    });
  });
});
