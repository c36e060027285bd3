// Small IR pieces for suites that drive a real Envoy straight from IR (no translator).
import type { HttpListener, Route } from '../operator/ir/index.ts';

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
