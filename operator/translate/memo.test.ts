// The memos must never change results: a warm translation equals a cold one on fresh objects.
import {
  httpRoute,
  loadBalancingRoute,
  seedLab,
  service,
  slice,
} from '../../test-support/translate/fixtures.ts';
import { translate } from './translate.ts';
import type { Snapshot } from './types.ts';

const cold = (s: Snapshot) => translate(structuredClone(s));

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
