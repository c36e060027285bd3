// The memos must never change results: a warm translation equals a cold one on fresh objects.
import {
  gateway,
  gatewayService,
  httpRoute,
  loadBalancingRoute,
  namespace,
  referenceGrant,
  seedLab,
  service,
  slice,
} from '../../test-support/translate/fixtures.ts';
import { translationCounts } from './memo.ts';
import { forgetPasses } from './pass-memos.ts';
import { translate } from './translate.ts';
import type { Snapshot } from './types.ts';

const cold = (s: Snapshot) => {
  forgetPasses();
  return translate(structuredClone(s));
};

it('one changed route: warm result equals a cold translation', () => {
  const s = seedLab();
  translate(s);
  const routes = s.httpRoutes.map((r) =>
    r.metadata.name === 'load-balancing-route' ? loadBalancingRoute(99, 1) : r,
  );
  const next = { ...s, httpRoutes: routes };
  const warm = translate(next);
  expect(warm).toEqual(cold(next));
  const vh = warm.ir.httpListeners.find((l) => l.gateway.name === 'my-gateway')?.virtualHosts[0];
  const echo = vh?.routes.find((r) => r.name.startsWith('default/load-balancing-route'));
  expect(echo?.action).toEqual({
    type: 'Forward',
    backends: [
      { cluster: 'default/echo-1/8080', weight: 99 },
      { cluster: 'default/echo-2/8090', weight: 1 },
    ],
  });
});

it('a Service appearing re-resolves unchanged routes', () => {
  const s = seedLab();
  const extra = httpRoute('late', {
    parentRefs: [{ name: 'my-gateway' }],
    rules: [{ backendRefs: [{ name: 'late', port: 80 }] }],
  });
  const before = translate({ ...s, httpRoutes: [...s.httpRoutes, extra] });
  expect(before.routeStatuses.find((r) => r.name === 'late')?.parents[0]?.conditions[1]?.reason).toBe(
    'BackendNotFound',
  );
  const next = {
    ...s,
    httpRoutes: [...s.httpRoutes, extra],
    services: [...s.services, service('late', [{ port: 80 }])],
  };
  const after = translate(next);
  expect(after.routeStatuses.find((r) => r.name === 'late')?.parents[0]?.conditions[1]?.reason).toBe(
    'ResolvedRefs',
  );
  expect(after).toEqual(cold(next));
});

it('an EndpointSlice change reaches the cluster, and nothing else changes', () => {
  const s = seedLab();
  const first = translate(s);
  const slices = s.endpointSlices.map((x) =>
    x.metadata?.labels?.['kubernetes.io/service-name'] === 'echo-2'
      ? slice('echo-2', [{ name: 'high', port: 8080 }], [{ ip: '10.244.3.99' }])
      : x,
  );
  const next = { ...s, endpointSlices: slices };
  const second = translate(next);
  expect(second.ir.clusters.find((c) => c.name === 'default/echo-2/8090')?.endpoints).toEqual([
    { address: '10.244.3.99', port: 8080 },
  ]);
  expect(second.ir.httpListeners).toEqual(first.ir.httpListeners);
  expect(second).toEqual(cold(next));
});

/** Three Gateways with two routes each: enough to see that a change stays within its Gateway. */
function threeGateways(): Snapshot {
  const s = seedLab();
  const names = ['gw-a', 'gw-b', 'gw-c'];
  return {
    ...s,
    gateways: names.map((n) => gateway(n, [{ name: 'http', protocol: 'HTTP', port: 80 }])),
    services: [...s.services, ...names.map((n, i) => gatewayService(n, `172.18.255.${10 + i}`))],
    httpRoutes: names.flatMap((n) =>
      [1, 2].map((i) =>
        httpRoute(`${n}-route-${i}`, {
          parentRefs: [{ name: n }],
          rules: [
            {
              matches: [{ path: { type: 'PathPrefix', value: `/${i}` } }],
              backendRefs: [{ name: 'echo-1', port: 8080 }],
            },
          ],
        }),
      ),
    ),
    tlsRoutes: [],
  };
}

/** What translating `next` after `before` really recomputed. */
/** Counts of a pass that rebuilt nothing. */
const NOTHING: typeof translationCounts = {
  gatewayModels: 0,
  routeModels: 0,
  routeAttachments: 0,
  portGroups: 0,
  routeStageRebuilds: 0,
};

function countsOf(before: Snapshot, next: Snapshot): typeof translationCounts {
  translate(before);
  const start = { ...translationCounts };
  translate(next);
  return {
    gatewayModels: translationCounts.gatewayModels - start.gatewayModels,
    routeModels: translationCounts.routeModels - start.routeModels,
    routeAttachments: translationCounts.routeAttachments - start.routeAttachments,
    portGroups: translationCounts.portGroups - start.portGroups,
    routeStageRebuilds: translationCounts.routeStageRebuilds - start.routeStageRebuilds,
  };
}

it("a change to one route re-attaches only it and rebuilds only its Gateway's listener", () => {
  const s = threeGateways();
  const routes = s.httpRoutes.map((r) =>
    r.metadata.name === 'gw-b-route-1'
      ? httpRoute('gw-b-route-1', { ...r.spec, hostnames: ['b.example.com'] })
      : r,
  );
  const next = { ...s, httpRoutes: routes };
  expect(countsOf(s, next)).toEqual({
    gatewayModels: 0,
    routeModels: 1,
    routeAttachments: 1,
    portGroups: 1,
    routeStageRebuilds: 0,
  });
  const warm = translate(next);
  expect(warm).toEqual(cold(next));
  const gwB = warm.ir.httpListeners.find((l) => l.gateway.name === 'gw-b');
  expect(gwB?.virtualHosts.map((v) => v.domains)).toContainEqual(['b.example.com']);
});

it('a route moved to another Gateway rebuilds the one it left and the one it joined', () => {
  const s = threeGateways();
  const routes = s.httpRoutes.map((r) =>
    r.metadata.name === 'gw-b-route-1'
      ? httpRoute('gw-b-route-1', { ...r.spec, parentRefs: [{ name: 'gw-c' }] })
      : r,
  );
  const next = { ...s, httpRoutes: routes };
  expect(countsOf(s, next)).toEqual({
    gatewayModels: 0,
    routeModels: 1,
    routeAttachments: 1,
    portGroups: 2,
    routeStageRebuilds: 0,
  });
  expect(translate(next)).toEqual(cold(next));
});

it("a Gateway's status echo rebuilds nothing, and its transition times come from the live status", () => {
  const s = threeGateways();
  const first = translate(s);
  const written = first.gatewayStatuses.find((g) => g.name === 'gw-a')!.status;
  // Our write coming back: a new object, a new resourceVersion, the status we wrote.
  const echoed = s.gateways.map((g) =>
    g.metadata.name === 'gw-a'
      ? { ...g, metadata: { ...g.metadata, resourceVersion: '2' }, status: structuredClone(written) }
      : g,
  );
  const next = { ...s, gateways: echoed };
  expect(countsOf(s, next)).toEqual(NOTHING);
  // Later, the carried times are those of the live status, as a cold translation finds them.
  const later = { ...next, now: '2030-01-01T00:00:00Z' };
  expect(translate(later).gatewayStatuses).toEqual(cold(later).gatewayStatuses);
});

/** `n` routes on gw-a, each a new object of its own. */
function manyRoutes(n: number): Snapshot {
  const s = threeGateways();
  const routes = Array.from({ length: n }, (_, i) =>
    httpRoute(`many-${i}`, {
      parentRefs: [{ name: 'gw-a' }],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: `/m${i}` } }],
          backendRefs: [{ name: 'echo-1', port: 8080 }],
        },
      ],
    }),
  );
  return { ...s, httpRoutes: [...s.httpRoutes, ...routes] };
}

/** Every route as our status write hands it back: new object, new resourceVersion, that status. */
function echoed(s: Snapshot, result: ReturnType<typeof translate>): Snapshot {
  const statuses = new Map(result.routeStatuses.map((r) => [`${r.namespace}/${r.name}`, r.parents]));
  return {
    ...s,
    httpRoutes: s.httpRoutes.map((r) => ({
      ...r,
      metadata: { ...r.metadata, resourceVersion: '2' },
      status: { parents: structuredClone(statuses.get(`${r.metadata.namespace}/${r.metadata.name}`) ?? []) },
    })),
  };
}

it("routes' status echoes, more than a pass splices, rebuild and re-attach nothing", () => {
  // A burst's writes land after its last translation: the next pass meets them all at once.
  const s = manyRoutes(600);
  const next = echoed(s, translate(s));
  expect(countsOf(s, next)).toEqual(NOTHING);
  expect(translate(next)).toEqual(cold(next));
  // And one real change among them is still seen.
  const edited = {
    ...next,
    httpRoutes: next.httpRoutes.map((r) =>
      r.metadata.name === 'many-7'
        ? {
            ...r,
            metadata: { ...r.metadata, generation: 2 },
            spec: { ...r.spec, hostnames: ['seven.example.com'] },
          }
        : r,
    ),
  };
  expect(countsOf(next, edited).routeAttachments).toBe(1);
  expect(translate(edited)).toEqual(cold(edited));
});

it('a new Service re-models only the routes that name it, and a changed one those that use it', () => {
  const s = manyRoutes(600);
  const late = (i: number) =>
    httpRoute(`late-${i}`, {
      parentRefs: [{ name: 'gw-b' }],
      rules: [{ backendRefs: [{ name: 'late', port: 80 }] }],
    });
  const before = { ...s, httpRoutes: [...s.httpRoutes, late(1), late(2), late(3)] };
  const next = { ...before, services: [...before.services, service('late', [{ port: 80 }])] };
  expect(countsOf(before, next)).toEqual({
    gatewayModels: 0,
    routeModels: 3,
    routeAttachments: 3,
    portGroups: 1,
    routeStageRebuilds: 0,
  });
  const warm = translate(next);
  expect(warm.routeStatuses.find((r) => r.name === 'late-2')?.parents[0]?.conditions[1]?.reason).toBe(
    'ResolvedRefs',
  );
  expect(warm).toEqual(cold(next));
  // Every route uses echo-1: a new port on it is one rebuild, not 600 splices.
  const ported = {
    ...next,
    services: next.services.map((x) =>
      x.metadata?.name === 'echo-1' ? service('echo-1', [{ port: 8080 }, { port: 9090 }]) : x,
    ),
  };
  expect(countsOf(next, ported).routeStageRebuilds).toBe(1);
  expect(translate(ported)).toEqual(cold(ported));
});

it('a ReferenceGrant to Services re-models only the routes that reach into its namespace', () => {
  const s = manyRoutes(600);
  const far = httpRoute('far-route', {
    parentRefs: [{ name: 'gw-b' }],
    rules: [{ backendRefs: [{ name: 'far', namespace: 'other', port: 80 }] }],
  });
  const before = {
    ...s,
    httpRoutes: [...s.httpRoutes, far],
    services: [...s.services, service('far', [{ port: 80 }], 'other')],
  };
  const grant = referenceGrant('to-far', 'other', {
    from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'default' }],
    to: [{ group: '', kind: 'Service' }],
  });
  const next = { ...before, referenceGrants: [grant] };
  const reason = (x: Snapshot) =>
    translate(x).routeStatuses.find((r) => r.name === 'far-route')?.parents[0]?.conditions[1]?.reason;
  expect(reason(before)).toBe('RefNotPermitted');
  expect(countsOf(before, next)).toEqual({
    gatewayModels: 0,
    routeModels: 1,
    routeAttachments: 1,
    portGroups: 1,
    routeStageRebuilds: 0,
  });
  expect(reason(next)).toBe('ResolvedRefs');
  expect(translate(next)).toEqual(cold(next));
});

it('a ReferenceGrant to Secrets that no Gateway uses re-attaches no route', () => {
  // Gateway models read grants to Secrets (certificates): they are built again, come out the same
  // and are kept, so no attachment is asked again.
  const s = manyRoutes(600);
  const grant = referenceGrant('to-certs', 'other', {
    from: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'default' }],
    to: [{ group: '', kind: 'Secret' }],
  });
  const next = { ...s, referenceGrants: [grant] };
  expect(countsOf(s, next)).toEqual({
    gatewayModels: 1,
    routeModels: 0,
    routeAttachments: 0,
    portGroups: 0,
    routeStageRebuilds: 0,
  });
  expect(translate(next)).toEqual(cold(next));
});

it('a route naming no Portico Gateway gets no status result, whatever its live status holds', () => {
  // The status writer clears Portico's old entries from the live object; the result must not
  // depend on live status, or a status echo could not keep a route's model.
  const s = threeGateways();
  const orphan = httpRoute('orphan', {
    parentRefs: [{ name: 'gw-gone' }],
    rules: [{ backendRefs: [{ name: 'echo-1', port: 8080 }] }],
  });
  const entry = {
    parentRef: { name: 'gw-gone' },
    controllerName: 'portico.dev/gateway-controller',
    conditions: [],
  };
  for (const parents of [[entry], []]) {
    const next = { ...s, httpRoutes: [...s.httpRoutes, { ...orphan, status: { parents } }] };
    expect(translate(next).routeStatuses.find((r) => r.name === 'orphan')).toBeUndefined();
    expect(translate(next)).toEqual(cold(next));
  }
});

it("a Gateway's spec change still rebuilds the models", () => {
  const s = threeGateways();
  const changed = s.gateways.map((g) =>
    g.metadata.name === 'gw-a'
      ? gateway('gw-a', [{ name: 'http', protocol: 'HTTP', port: 80, hostname: 'a.example.com' }])
      : g,
  );
  const next = { ...s, gateways: changed };
  expect(countsOf(s, next).gatewayModels).toBe(1);
  expect(translate(next)).toEqual(cold(next));
});

it('at 100 Gateways x 10,000 routes, one route edit rebuilds one route config, and the xDS of no other Gateway', () => {
  const s = seedLab();
  const gws = Array.from({ length: 100 }, (_, g) => `scale-${g}`);
  const route = (i: number, prefix = `/r${i}`) =>
    httpRoute(`scale-r${i}`, {
      parentRefs: [{ name: gws[i % gws.length]! }],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: prefix } }],
          backendRefs: [{ name: 'echo-1', port: 8080 }],
        },
      ],
    });
  const big: Snapshot = {
    ...s,
    gateways: gws.map((n) => gateway(n, [{ name: 'http', protocol: 'HTTP', port: 80 }])),
    services: [...s.services, ...gws.map((n, g) => gatewayService(n, `172.19.${g >> 8}.${(g & 255) + 1}`))],
    httpRoutes: Array.from({ length: 10000 }, (_, i) => route(i)),
    tlsRoutes: [],
  };
  const before = translate(big);
  const next = { ...big, httpRoutes: big.httpRoutes.map((r, i) => (i === 4321 ? route(i, '/edited') : r)) };
  expect(countsOf(big, next)).toEqual({
    gatewayModels: 0,
    routeModels: 1,
    routeAttachments: 1,
    portGroups: 1,
    routeStageRebuilds: 0,
  });
  const after = translate(next);
  // Route configs are per listener: only the edited route's Gateway has new virtual hosts, so
  // the xDS layer (which caches by identity) re-encodes one route config out of 100.
  const rebuilt = after.ir.httpListeners.filter(
    (l, i) => l.virtualHosts !== before.ir.httpListeners[i]?.virtualHosts,
  );
  expect(before.ir.httpListeners).toHaveLength(100);
  expect(rebuilt.map((l) => l.gateway.name)).toEqual([gws[4321 % 100]]);
  // The other Gateways' listeners are the very objects made before: the xDS layer neither digests
  // nor rebuilds them.
  const remade = after.ir.httpListeners.filter((l, i) => l !== before.ir.httpListeners[i]);
  expect(remade.map((l) => l.gateway.name)).toEqual([gws[4321 % 100]]);
  // The cluster list is the very list built before: no cluster is looked at again.
  expect(after.ir.clusters).toBe(before.ir.clusters);
});

describe('a Gateway change re-attaches only the routes that name it', () => {
  const all = { namespaces: { from: 'All' as const } };
  const gw = (name: string, allowedRoutes: object = all) =>
    gateway(name, [{ name: 'http', protocol: 'HTTP', port: 80, allowedRoutes }]);
  const to = (name: string, parent: string, ns = 'default') =>
    httpRoute(name, { parentRefs: [{ name: parent, namespace: 'default' }], rules: [{}] }, ns);
  const accepted = (r: ReturnType<typeof translate>, name: string) =>
    r.routeStatuses.find((x) => x.name === name)?.parents[0]?.conditions[0]?.reason;
  const routes = Array.from({ length: 20 }, (_, i) => to(`r${i}`, 'gw-a'));

  it('a new Gateway: its route attaches, the others keep their attachment', () => {
    const a = gw('gw-a');
    const s: Snapshot = { ...seedLab(), gateways: [a], httpRoutes: [...routes, to('late', 'gw-b')] };
    const first = translate(s);
    expect(accepted(first, 'late')).toBeUndefined(); // names no Gateway of ours yet
    const attachments = translationCounts.routeAttachments;
    const next = { ...s, gateways: [a, gw('gw-b')] };
    const warm = translate(next);
    expect(translationCounts.routeAttachments - attachments).toBe(1);
    expect(accepted(warm, 'late')).toBe('Accepted');
    expect(warm).toEqual(cold(next));
  });

  it('an address for one Gateway: only its routes attach again', () => {
    const s: Snapshot = {
      ...seedLab(),
      gateways: [gw('gw-a'), gw('gw-b')],
      httpRoutes: [...routes, to('late', 'gw-b')],
    };
    translate(s);
    const attachments = translationCounts.routeAttachments;
    const next = { ...s, services: [...s.services, gatewayService('gw-b', '172.18.255.30')] };
    const warm = translate(next);
    expect(translationCounts.routeAttachments - attachments).toBe(1);
    expect(warm).toEqual(cold(next));
  });

  it("a namespace's labels: routes under a Gateway that selects by them attach again", () => {
    const selector = { namespaces: { from: 'Selector' as const, selector: { matchLabels: { team: 'a' } } } };
    const s: Snapshot = {
      ...seedLab(),
      namespaces: [namespace('default'), namespace('other')],
      gateways: [gw('gw-a'), gw('gw-b', selector)],
      httpRoutes: [...routes, to('late', 'gw-b', 'other')],
    };
    expect(accepted(translate(s), 'late')).toBe('NotAllowedByListeners');
    const attachments = translationCounts.routeAttachments;
    const next = { ...s, namespaces: [namespace('default'), namespace('other', { team: 'a' })] };
    const warm = translate(next);
    expect(accepted(warm, 'late')).toBe('Accepted');
    expect(translationCounts.routeAttachments - attachments).toBe(1);
    expect(warm).toEqual(cold(next));
  });
});
