// Shared helpers for the translator's scenario tests: a small cluster and status readers.
import type { Condition, HTTPRoute } from '../../operator/api/index.ts';
import { gatewayClass, gatewayService, httpRoute, namespace, service, slice } from './fixtures.ts';
import type { Snapshot, TranslateResult } from '../../operator/translate/types.ts';

export const cond = (cs: readonly Condition[] | undefined, type: string) => {
  const c = cs?.find((x) => x.type === type);
  return c ? `${c.status}/${c.reason}` : 'missing';
};
export const parent = (r: TranslateResult, route: string, i = 0) =>
  r.routeStatuses.find((x) => x.name === route)?.parents[i]?.conditions;
export const listener = (r: TranslateResult, g: string, l: string) =>
  r.gatewayStatuses.find((x) => x.name === g)?.status.listeners?.find((x) => x.name === l);

export function snap(p: Partial<Snapshot>): Snapshot {
  return {
    gatewayClasses: [gatewayClass()],
    gateways: [],
    httpRoutes: [],
    tlsRoutes: [],
    referenceGrants: [],
    services: [
      service('web', [{ port: 80 }]),
      service('web', [{ port: 80 }], 'other'),
      gatewayService('my-gateway', '10.0.0.1'),
    ],
    endpointSlices: [
      slice('web', [{ port: 8080 }], [{ ip: '10.244.0.5' }]),
      slice('web', [{ port: 8080 }], [{ ip: '10.244.9.5' }], 'other'),
    ],
    secrets: [],
    namespaces: [namespace('default'), namespace('other', { team: 'a' })],
    ...p,
  };
}
export const route = (name: string, spec: Partial<HTTPRoute['spec']>, ns = 'default'): HTTPRoute =>
  httpRoute(
    name,
    {
      parentRefs: [{ name: 'my-gateway', namespace: 'default' }],
      rules: [{ backendRefs: [{ name: 'web', port: 80 }] }],
      ...spec,
    },
    ns,
  );
export const vhostRoutes = (r: TranslateResult) =>
  r.ir.httpListeners[0]?.virtualHosts.flatMap((v) => v.routes) ?? [];
