// Small IR pieces for suites that drive a real Envoy straight from IR (no translator).
import type { HttpListener, IR, Route } from '../operator/ir/index.ts';

/** A plain HTTP listener on 127.0.0.1:port, serving every host with `routes`. */
export function loopbackHttpListener(gateway: string, port: number, routes: Route[]): HttpListener {
  return {
    name: `ns/${gateway}/127.0.0.1/${port}`,
    gateway: { namespace: 'ns', name: gateway },
    address: '127.0.0.1',
    port,
    protocol: 'HTTP',
    virtualHosts: [{ name: '*', domains: ['*'], routes }],
  };
}

/** `PathPrefix /` to one cluster. */
export function forwardAll(name: string, cluster: string, extra: Partial<Route> = {}): Route {
  return {
    name,
    match: { path: { type: 'PathPrefix', value: '/' }, headers: [], queryParams: [] },
    action: { type: 'Forward', backends: [{ cluster, weight: 1 }] },
    ...extra,
  };
}

/**
 * The smallest IR that serves: one HTTP listener per port on 127.0.0.1, every path to one cluster
 * (`ns/svc/80`) whose endpoint is `backendPort` on loopback; `x-config: <tag>` on every response.
 */
export function oneRouteIr(ports: readonly number[], backendPort: number, tag = ''): IR {
  const responseHeaders = { set: [{ name: 'x-config', value: tag }], add: [], remove: [] };
  return {
    httpListeners: ports.map((port) =>
      loopbackHttpListener('gw', port, [forwardAll('ns/r/rule/0/match/0', 'ns/svc/80', { responseHeaders })]),
    ),
    tlsPassthroughListeners: [],
    clusters: [
      {
        name: 'ns/svc/80',
        service: { namespace: 'ns', name: 'svc', port: 80 },
        endpoints: [{ address: '127.0.0.1', port: backendPort }],
      },
    ],
  };
}
