// Test fixtures: the seed lab's objects as the API server returns them, plus builders.
// A self-signed P-256 certificate for *.cilium.rocks (test only, valid until 2126).
export const CERT_PEM = `-----BEGIN CERTIFICATE-----
MIIBpTCCAUqgAwIBAgIUTfJBWttOdATRNawb13OncjtuzdYwCgYIKoZIzj0EAwIw
GTEXMBUGA1UEAwwOKi5jaWxpdW0ucm9ja3MwIBcNMjYxMTI2MjI1MjAwWhgPMjEy
NjExMDIyMjUyMDBaMBkxFzAVBgNVBAMMDiouY2lsaXVtLnJvY2tzMFkwEwYHKoZI
zj0CAQYIKoZIzj0DAQcDQgAExMa2jEqFo7wyqDJRqle+zfqKZindacnA+1CxZzrc
QrmLxtkiwdx08mQirJQoitWLX1aFd2j/wit+2Uz5r6xIXKNuMGwwHQYDVR0OBBYE
FHr/qMSaFt43+RUxNz9L4WengMfaMB8GA1UdIwQYMBaAFHr/qMSaFt43+RUxNz9L
4WengMfaMA8GA1UdEwEB/wQFMAMBAf8wGQYDVR0RBBIwEIIOKi5jaWxpdW0ucm9j
a3MwCgYIKoZIzj0EAwIDSQAwRgIhAI68aK8t4Q7IeqJ6zUg/jhmuF4f9gAq7dBRQ
/R3Fqdx7AiEAyOMMhlgC9NGqvQUXXfIXZQ/dKRTZl5UkRRliv9+DCt8=
-----END CERTIFICATE-----
`;
export const KEY_PEM = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg9cJxYKlSinpSG8/I
ZuFZnGzY/yveeD8Ua77UkjETMvShRANCAATExraMSoWjvDKoMlGqV77N+opmKd1p
ycD7ULFnOtxCuYvG2SLB3HTyZCKslCiK1YtfVoV3aP/CK37ZTPmvrEhc
-----END PRIVATE KEY-----
`;

import type { V1EndpointSlice, V1Namespace, V1Secret, V1Service } from '@kubernetes/client-node';
import type { Gateway, GatewayClass, HTTPRoute, ReferenceGrant, TLSRoute } from '../../operator/api/index.ts';
import type { Snapshot } from '../../operator/translate/types.ts';
import { CONTROLLER_NAME } from '../../operator/translate/types.ts';

let uid = 0;
const md = (name: string, namespace = 'default', extra: Record<string, unknown> = {}) => ({
  name,
  namespace,
  uid: `uid-${name}-${++uid}`,
  generation: 1,
  creationTimestamp: '2026-01-01T00:00:00Z',
  ...extra,
});

export const gatewayClass = (name = 'portico', controllerName = CONTROLLER_NAME): GatewayClass => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'GatewayClass',
  metadata: { name, uid: `uid-${name}`, generation: 1 },
  spec: { controllerName },
});

export const namespace = (name: string, labels: Record<string, string> = {}): V1Namespace => ({
  metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } },
});

export function service(
  name: string,
  ports: { port: number; name?: string; targetPort?: number }[],
  ns = 'default',
): V1Service {
  return {
    metadata: md(name, ns),
    spec: { ports: ports.map((p) => ({ protocol: 'TCP', ...p })) },
  } as unknown as V1Service;
}

export function slice(
  svc: string,
  ports: { port: number; name?: string }[],
  endpoints: { ip: string; ready?: boolean }[],
  ns = 'default',
  name = `${svc}-abc`,
): V1EndpointSlice {
  return {
    addressType: 'IPv4',
    metadata: { name, namespace: ns, labels: { 'kubernetes.io/service-name': svc } },
    ports: ports.map((p) => ({ protocol: 'TCP', ...p })),
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: e.ready === undefined ? {} : { ready: e.ready },
    })),
  };
}

export function tlsSecret(name: string, ns = 'default', cert = CERT_PEM, key = KEY_PEM): V1Secret {
  return {
    metadata: { name, namespace: ns },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': Buffer.from(cert).toString('base64'), 'tls.key': Buffer.from(key).toString('base64') },
  };
}

/** The Gateway's owned Service with an address assigned by IPAM. */
export function gatewayService(gw: string, ip: string, ns = 'default'): V1Service {
  return {
    metadata: md(`portico-${gw}`, ns),
    spec: { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP' }] },
    status: { loadBalancer: { ingress: [{ ip }] } },
  } as unknown as V1Service;
}

export function gateway(name: string, listeners: Gateway['spec']['listeners'], ns = 'default'): Gateway {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: md(name, ns),
    spec: { gatewayClassName: 'portico', listeners },
  };
}

export function httpRoute(
  name: string,
  spec: HTTPRoute['spec'],
  ns = 'default',
  extra: Record<string, unknown> = {},
): HTTPRoute {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: md(name, ns, extra),
    spec,
  };
}

export function referenceGrant(name: string, ns: string, spec: ReferenceGrant['spec']): ReferenceGrant {
  return { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'ReferenceGrant', metadata: md(name, ns), spec };
}

export const myGateway = (): Gateway =>
  gateway('my-gateway', [
    { name: 'web-gw', protocol: 'HTTP', port: 80, allowedRoutes: { namespaces: { from: 'Same' } } },
  ]);

export const httpApp1 = (): HTTPRoute =>
  httpRoute('http-app-1', {
    parentRefs: [{ name: 'my-gateway', namespace: 'default' }],
    rules: [
      {
        matches: [{ path: { type: 'PathPrefix', value: '/details' } }],
        backendRefs: [{ name: 'details', port: 9080 }],
      },
      {
        matches: [
          {
            headers: [{ type: 'Exact', name: 'magic', value: 'foo' }],
            queryParams: [{ type: 'Exact', name: 'great', value: 'example' }],
            path: { type: 'PathPrefix', value: '/' },
            method: 'GET',
          },
        ],
        backendRefs: [{ name: 'productpage', port: 9080 }],
      },
    ],
  });

export const tlsGateway = (): Gateway =>
  gateway('tls-gateway', [
    {
      name: 'https-1',
      protocol: 'HTTPS',
      port: 443,
      hostname: 'bookinfo.cilium.rocks',
      tls: { certificateRefs: [{ kind: 'Secret', name: 'demo-cert' }] },
    },
    {
      name: 'https-2',
      protocol: 'HTTPS',
      port: 443,
      hostname: 'hipstershop.cilium.rocks',
      tls: { certificateRefs: [{ kind: 'Secret', name: 'demo-cert' }] },
    },
  ]);

export const httpsRoutes = (): HTTPRoute[] => [
  httpRoute('https-app-route-1', {
    parentRefs: [{ name: 'tls-gateway' }],
    hostnames: ['bookinfo.cilium.rocks'],
    rules: [
      {
        matches: [{ path: { type: 'PathPrefix', value: '/details' } }],
        backendRefs: [{ name: 'details', port: 9080 }],
      },
    ],
  }),
  httpRoute('https-app-route-2', {
    parentRefs: [{ name: 'tls-gateway' }],
    hostnames: ['hipstershop.cilium.rocks'],
    rules: [
      {
        matches: [{ path: { type: 'PathPrefix', value: '/' } }],
        backendRefs: [{ name: 'productpage', port: 9080 }],
      },
    ],
  }),
];

export const ciliumTlsGateway = (): Gateway =>
  gateway('cilium-tls-gateway', [
    {
      name: 'https',
      hostname: 'nginx.cilium.rocks',
      port: 443,
      protocol: 'TLS',
      tls: { mode: 'Passthrough' },
    },
  ]);

export const nginxTlsRoute = (): TLSRoute => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'TLSRoute',
  metadata: md('nginx'),
  spec: {
    parentRefs: [{ name: 'cilium-tls-gateway' }],
    hostnames: ['nginx.cilium.rocks'],
    rules: [{ backendRefs: [{ name: 'my-nginx', port: 443 }] }],
  },
});

export const loadBalancingRoute = (w1 = 50, w2 = 50): HTTPRoute =>
  httpRoute('load-balancing-route', {
    parentRefs: [{ name: 'my-gateway' }],
    rules: [
      {
        matches: [{ path: { type: 'PathPrefix', value: '/echo' } }],
        backendRefs: [
          { kind: 'Service', name: 'echo-1', port: 8080, weight: w1 },
          { kind: 'Service', name: 'echo-2', port: 8090, weight: w2 },
        ],
      },
    ],
  });

/** Everything the seed lab applies, with addresses already assigned to the Gateways. */
export function seedLab(): Snapshot {
  const bookinfo = ['details', 'ratings', 'reviews', 'productpage'];
  return {
    gatewayClasses: [gatewayClass()],
    gateways: [myGateway(), tlsGateway(), ciliumTlsGateway()],
    httpRoutes: [httpApp1(), ...httpsRoutes(), loadBalancingRoute()],
    tlsRoutes: [nginxTlsRoute()],
    referenceGrants: [],
    services: [
      ...bookinfo.map((n) => service(n, [{ name: 'http', port: 9080, targetPort: 9080 }])),
      service('my-nginx', [{ port: 443, targetPort: 443 }]),
      service('echo-1', [{ name: 'high', port: 8080, targetPort: 8080 }]),
      service('echo-2', [{ name: 'high', port: 8090, targetPort: 8080 }]),
      gatewayService('my-gateway', '172.18.255.200'),
      gatewayService('tls-gateway', '172.18.255.201'),
      gatewayService('cilium-tls-gateway', '172.18.255.202'),
    ],
    endpointSlices: [
      ...bookinfo.map((n, i) => slice(n, [{ name: 'http', port: 9080 }], [{ ip: `10.244.1.${10 + i}` }])),
      slice('my-nginx', [{ port: 443 }], [{ ip: '10.244.2.10' }]),
      slice(
        'echo-1',
        [{ name: 'high', port: 8080 }],
        [{ ip: '10.244.3.10' }, { ip: '10.244.3.11', ready: false }],
      ),
      slice('echo-2', [{ name: 'high', port: 8080 }], [{ ip: '10.244.3.20' }]),
    ],
    secrets: [tlsSecret('demo-cert')],
    namespaces: [namespace('default')],
  };
}
