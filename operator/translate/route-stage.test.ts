// The incremental route stage must never change results: every translation of a random sequence
// of cluster changes equals a cold translation of the same snapshot on fresh objects.
import fc from 'fast-check';
import type { V1Service } from '@kubernetes/client-node';
import {
  gateway,
  gatewayService,
  httpRoute,
  namespace,
  referenceGrant,
  seedLab,
  service,
  slice,
} from '../../test-support/translate/fixtures.ts';
import type { HTTPRoute } from '../api/index.ts';
import { translationCounts } from './memo.ts';
import { forgetPasses } from './pass-memos.ts';
import { translate } from './translate.ts';
import type { Snapshot, TranslateResult } from './types.ts';

const NOW = '2026-06-01T00:00:00Z';
const NAMES = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7'];
const PARENTS: { name: string; sectionName?: string; kind?: string; group?: string }[][] = [
  [{ name: 'gw-a' }],
  [{ name: 'gw-b' }],
  [{ name: 'gw-a', sectionName: 'extra' }],
  [{ name: 'gw-a' }, { name: 'gw-b' }],
  [{ name: 'tls-gateway' }],
  [{ name: 'my-gateway' }],
  [{ name: 'gw-missing' }],
  [{ name: 'ls-1', kind: 'ListenerSet', group: 'gateway.networking.k8s.io' }],
];
const HOSTNAMES = [[], ['a.example.com'], ['*.example.com'], ['bookinfo.cilium.rocks'], ['x.other.org']];
const BACKENDS = [
  { name: 'echo-1', port: 8080 },
  { name: 'echo-2', port: 8090 },
  { name: 'far', namespace: 'other', port: 80 },
  { name: 'missing', port: 80 },
];

const routeArb = fc.record({
  name: fc.constantFrom(...NAMES),
  ns: fc.constantFrom('default', 'other'),
  parents: fc.constantFrom(...PARENTS),
  hostnames: fc.constantFrom(...HOSTNAMES),
  path: fc.constantFrom('/', '/a', '/a/b', '/c'),
  backends: fc.subarray(BACKENDS, { minLength: 1 }),
  second: fc.nat(59),
});

type RouteSpec = typeof routeArb extends fc.Arbitrary<infer T> ? T : never;

const opArb = fc.oneof(
  { arbitrary: fc.record({ t: fc.constant('put' as const), route: routeArb }), weight: 6 },
  { arbitrary: fc.record({ t: fc.constant('delete' as const), at: fc.nat() }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant('routeEcho' as const), at: fc.nat() }), weight: 2 },
  {
    arbitrary: fc.record({
      t: fc.constant('gateway' as const),
      hostname: fc.constantFrom(undefined, 'a.example.com', '*.example.com'),
      port: fc.constantFrom(80, 8080),
    }),
    weight: 1,
  },
  { arbitrary: fc.record({ t: fc.constant('gatewayEcho' as const), at: fc.nat() }), weight: 1 },
  // gw-missing comes and goes; gw-b selects route namespaces by label; namespace other's labels;
  // a ListenerSet no Gateway admits, under one parent or another.
  { arbitrary: fc.record({ t: fc.constant('newGateway' as const), on: fc.boolean() }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant('selector' as const), on: fc.boolean() }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant('nsLabel' as const), on: fc.boolean() }), weight: 1 },
  {
    arbitrary: fc.record({
      t: fc.constant('listenerSet' as const),
      parent: fc.constantFrom(undefined, 'gw-a', 'gw-missing'),
    }),
    weight: 1,
  },
  { arbitrary: fc.record({ t: fc.constant('grant' as const), on: fc.boolean() }), weight: 1 },
  {
    arbitrary: fc.record({ t: fc.constant('servicePort' as const), port: fc.constantFrom(8090, 8091) }),
    weight: 1,
  },
  { arbitrary: fc.record({ t: fc.constant('address' as const), ip: fc.nat(3) }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant('endpoints' as const), ip: fc.nat(3) }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constantFrom('duplicate' as const, 'reverse' as const) }), weight: 1 },
);

type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

function route(r: RouteSpec): HTTPRoute {
  return httpRoute(
    r.name,
    {
      parentRefs: r.parents.map((p) => ({ ...p, namespace: 'default' })),
      hostnames: r.hostnames,
      rules: [{ matches: [{ path: { type: 'PathPrefix', value: r.path } }], backendRefs: r.backends }],
    },
    r.ns,
    { creationTimestamp: `2026-01-01T00:00:${String(r.second).padStart(2, '0')}Z` },
  );
}

/** A cluster as an informer cache holds it: objects by key, a change keeps its place. */
class Cluster {
  readonly routes = new Map<string, unknown>();
  readonly gateways = new Map<string, unknown>();
  readonly services = new Map<string, unknown>();
  readonly slices = new Map<string, unknown>();
  grants: unknown[] = [];
  listenerSets: unknown[] = [];
  private readonly lab = seedLab();
  private namespaces = [namespace('default'), namespace('other')];

  constructor() {
    const ours = [
      gateway('gw-a', [
        { name: 'http', protocol: 'HTTP', port: 80, allowedRoutes: { namespaces: { from: 'All' } } },
        { name: 'extra', protocol: 'HTTP', port: 80, hostname: '*.example.com' },
      ]),
      gateway('gw-b', [
        { name: 'http', protocol: 'HTTP', port: 80, allowedRoutes: { namespaces: { from: 'All' } } },
      ]),
    ];
    for (const g of [...this.lab.gateways, ...ours]) this.gateways.set(g.metadata.name ?? '', g);
    const services = [
      ...this.lab.services,
      gatewayService('gw-a', '172.18.255.10'),
      gatewayService('gw-b', '172.18.255.11'),
      service('far', [{ port: 80 }], 'other'),
    ];
    for (const s of services) this.services.set(`${s.metadata?.namespace}/${s.metadata?.name}`, s);
    for (const s of this.lab.endpointSlices) this.slices.set(s.metadata?.name ?? '', s);
    for (const r of this.lab.httpRoutes) this.routes.set(`default/${r.metadata.name}`, r);
  }

  snapshot(op?: Op): Snapshot {
    let httpRoutes = [...this.routes.values()] as HTTPRoute[];
    if (op?.t === 'duplicate' && httpRoutes[0]) httpRoutes = [...httpRoutes, structuredClone(httpRoutes[0])];
    if (op?.t === 'reverse') httpRoutes = httpRoutes.reverse();
    return {
      ...this.lab,
      now: NOW,
      gateways: [...this.gateways.values()] as Snapshot['gateways'],
      httpRoutes,
      services: [...this.services.values()] as V1Service[],
      endpointSlices: [...this.slices.values()] as Snapshot['endpointSlices'],
      referenceGrants: this.grants as Snapshot['referenceGrants'],
      namespaces: this.namespaces,
      listenerSets: this.listenerSets as Snapshot['listenerSets'],
    };
  }

  apply(op: Op, last: TranslateResult | undefined): void {
    const keys = [...this.routes.keys()];
    const pick = (at: number) => keys[at % Math.max(keys.length, 1)];
    switch (op.t) {
      case 'put': {
        const r = route(op.route);
        this.routes.set(`${op.route.ns}/${op.route.name}`, r);
        break;
      }
      case 'delete': {
        const k = pick(op.at);
        if (k) this.routes.delete(k);
        break;
      }
      case 'routeEcho': {
        // Our status write coming back: a new object with the same spec and the written status.
        const k = pick(op.at);
        const live = k ? (this.routes.get(k) as HTTPRoute) : undefined;
        if (!live || !k) break;
        const parents = last?.routeStatuses.find(
          (s) => `${s.namespace}/${s.name}` === k && s.kind === 'HTTPRoute',
        )?.parents;
        this.routes.set(k, { ...live, status: { parents: structuredClone(parents ?? []) } });
        break;
      }
      case 'gateway': {
        const g = gateway('gw-a', [
          { name: 'http', protocol: 'HTTP', port: op.port, allowedRoutes: { namespaces: { from: 'All' } } },
          { name: 'extra', protocol: 'HTTP', port: 80, ...(op.hostname ? { hostname: op.hostname } : {}) },
        ]);
        this.gateways.set('gw-a', g);
        break;
      }
      case 'gatewayEcho': {
        const names = [...this.gateways.keys()];
        const name = names[op.at % names.length] ?? '';
        const status = last?.gatewayStatuses.find((g) => g.name === name)?.status;
        const live = this.gateways.get(name) as object;
        this.gateways.set(name, { ...live, status: structuredClone(status) });
        break;
      }
      case 'grant':
        this.grants = op.on
          ? [
              referenceGrant('to-far', 'other', {
                from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'default' }],
                to: [{ group: '', kind: 'Service' }],
              }),
            ]
          : [];
        break;
      case 'newGateway':
        if (op.on)
          this.gateways.set(
            'gw-missing',
            gateway('gw-missing', [
              { name: 'http', protocol: 'HTTP', port: 80, allowedRoutes: { namespaces: { from: 'All' } } },
            ]),
          );
        else this.gateways.delete('gw-missing');
        break;
      case 'selector':
        this.gateways.set(
          'gw-b',
          gateway('gw-b', [
            {
              name: 'http',
              protocol: 'HTTP',
              port: 80,
              allowedRoutes: {
                namespaces: op.on
                  ? { from: 'Selector', selector: { matchLabels: { team: 'a' } } }
                  : { from: 'All' },
              },
            },
          ]),
        );
        break;
      case 'nsLabel':
        this.namespaces = [namespace('default'), namespace('other', op.on ? { team: 'a' } : {})];
        break;
      case 'listenerSet':
        this.listenerSets = op.parent
          ? [
              {
                apiVersion: 'gateway.networking.k8s.io/v1',
                kind: 'ListenerSet',
                metadata: { name: 'ls-1', namespace: 'default', generation: 1 },
                spec: {
                  parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: op.parent },
                  listeners: [{ name: 'ls-http', protocol: 'HTTP', port: 80 }],
                },
              },
            ]
          : [];
        break;
      case 'servicePort':
        this.services.set('default/echo-2', service('echo-2', [{ name: 'high', port: op.port }]));
        break;
      case 'address':
        this.services.set('default/portico-gw-b', gatewayService('gw-b', `172.18.255.${20 + op.ip}`));
        break;
      case 'endpoints':
        this.slices.set(
          'echo-1-abc',
          slice('echo-1', [{ name: 'high', port: 8080 }], [{ ip: `10.244.3.${30 + op.ip}` }]),
        );
        break;
      default:
        break;
    }
  }
}

it('any sequence of changes: every warm translation equals a cold one', () => {
  let passes = 0;
  let rebuilds = 0;
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 1, maxLength: 12 }), (ops) => {
      const cluster = new Cluster();
      const snapshots: Snapshot[] = [cluster.snapshot()];
      const warm: TranslateResult[] = [translate(snapshots[0]!)];
      for (const op of ops) {
        cluster.apply(op, warm[warm.length - 1]);
        const s = cluster.snapshot(op);
        snapshots.push(s);
        const before = translationCounts.routeStageRebuilds;
        warm.push(translate(s));
        rebuilds += translationCounts.routeStageRebuilds - before;
      }
      passes += ops.length;
      // Cold translations only after the warm chain, which they would break.
      snapshots.forEach((s, i) => {
        forgetPasses();
        expect(warm[i]).toEqual(translate(structuredClone(s)));
      });
    }),
    { numRuns: 150 },
  );
  // Most passes must take the incremental path, or this test proves nothing about it.
  expect(rebuilds).toBeLessThan(passes / 2);
});
