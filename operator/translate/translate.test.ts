import type { Condition } from '../api/index.ts';
import { CERT_PEM, seedLab } from '../../test-support/translate/fixtures.ts';
import { translate } from './translate.ts';
import type { Snapshot, TranslateResult } from './types.ts';
import { CONTROLLER_NAME } from './types.ts';

const cond = (cs: readonly Condition[] | undefined, type: string) => {
  const c = cs?.find((x) => x.type === type);
  return c ? `${c.status}/${c.reason}` : 'missing';
};
const gw = (r: TranslateResult, name: string) => r.gatewayStatuses.find((g) => g.name === name)?.status;
const listener = (r: TranslateResult, g: string, l: string) => gw(r, g)?.listeners?.find((x) => x.name === l);

describe('the seed lab', () => {
  const r = translate(seedLab());

  it('accepts the GatewayClass with real supported features', () => {
    expect(r.gatewayClassStatuses).toHaveLength(1);
    expect(cond(r.gatewayClassStatuses[0]?.status.conditions, 'Accepted')).toBe('True/Accepted');
    expect(r.gatewayClassStatuses[0]?.status.supportedFeatures?.map((f) => f.name)).toContain('TLSRoute');
  });

  it.each(['my-gateway', 'tls-gateway', 'cilium-tls-gateway'])(
    '%s is Accepted and Programmed with its address',
    (name) => {
      const s = gw(r, name);
      expect(cond(s?.conditions, 'Accepted')).toBe('True/Accepted');
      expect(cond(s?.conditions, 'Programmed')).toBe('True/Programmed');
      expect(s?.addresses?.[0]?.type).toBe('IPAddress');
      for (const l of s?.listeners ?? []) {
        expect(cond(l.conditions, 'Accepted')).toBe('True/Accepted');
        expect(cond(l.conditions, 'ResolvedRefs')).toBe('True/ResolvedRefs');
        expect(cond(l.conditions, 'Conflicted')).toBe('False/NoConflicts');
        expect(cond(l.conditions, 'Programmed')).toBe('True/Programmed');
      }
    },
  );

  it('counts attached routes per listener', () => {
    expect(listener(r, 'my-gateway', 'web-gw')?.attachedRoutes).toBe(2);
    expect(listener(r, 'tls-gateway', 'https-1')?.attachedRoutes).toBe(1);
    expect(listener(r, 'tls-gateway', 'https-2')?.attachedRoutes).toBe(1);
    expect(listener(r, 'cilium-tls-gateway', 'https')?.attachedRoutes).toBe(1);
    expect(listener(r, 'cilium-tls-gateway', 'https')?.supportedKinds).toEqual([
      { group: 'gateway.networking.k8s.io', kind: 'TLSRoute' },
    ]);
  });

  it('reports the TLSRoute parent like the lab', () => {
    const st = r.routeStatuses.find((x) => x.kind === 'TLSRoute' && x.name === 'nginx');
    expect(st?.parents).toEqual([
      {
        parentRef: { name: 'cilium-tls-gateway' },
        controllerName: CONTROLLER_NAME,
        conditions: [
          expect.objectContaining({
            type: 'Accepted',
            status: 'True',
            reason: 'Accepted',
            observedGeneration: 1,
          }),
          expect.objectContaining({
            type: 'ResolvedRefs',
            status: 'True',
            reason: 'ResolvedRefs',
            observedGeneration: 1,
          }),
        ],
      },
    ]);
  });

  it('describes one LoadBalancer Service per Gateway', () => {
    const svc = r.ownedServices.find((s) => s.name === 'portico-tls-gateway');
    expect(svc).toMatchObject({
      namespace: 'default',
      ports: [{ name: 'port-443', port: 443, protocol: 'TCP' }],
      labels: {
        'service.kubernetes.io/service-proxy-name': 'portico',
        'gateway.networking.k8s.io/gateway-name': 'tls-gateway',
      },
      owner: { kind: 'Gateway', name: 'tls-gateway', apiVersion: 'gateway.networking.k8s.io/v1' },
    });
    expect(r.ownedServices).toHaveLength(3);
  });

  it('builds the HTTP listener with routes in precedence order', () => {
    const l = r.ir.httpListeners.find((x) => x.gateway.name === 'my-gateway');
    expect(l).toMatchObject({ address: '172.18.255.200', port: 80, protocol: 'HTTP' });
    expect(l?.virtualHosts.map((v) => v.name)).toEqual(['*']);
    const routes = l?.virtualHosts[0]?.routes ?? [];
    expect(routes.map((x) => x.name)).toEqual([
      'default/http-app-1/rule/0/match/0',
      'default/load-balancing-route/rule/0/match/0',
      'default/http-app-1/rule/1/match/0',
    ]);
    expect(routes[2]?.match).toEqual({
      path: { type: 'PathPrefix', value: '/' },
      headers: [{ type: 'Exact', name: 'magic', value: 'foo' }],
      queryParams: [{ type: 'Exact', name: 'great', value: 'example' }],
      method: 'GET',
    });
    expect(routes[1]?.action).toEqual({
      type: 'Forward',
      backends: [
        { cluster: 'default/echo-1/8080', weight: 50 },
        { cluster: 'default/echo-2/8090', weight: 50 },
      ],
    });
  });

  it('terminates TLS with the demo-cert for both SNI names', () => {
    const l = r.ir.httpListeners.find((x) => x.gateway.name === 'tls-gateway');
    expect(l?.protocol).toBe('HTTPS');
    expect(l?.tls?.certificates).toEqual([
      expect.objectContaining({
        secretName: 'default/demo-cert',
        sniHostnames: ['bookinfo.cilium.rocks', 'hipstershop.cilium.rocks'],
        certPem: CERT_PEM,
      }),
    ]);
    expect(l?.virtualHosts.map((v) => v.domains)).toEqual([
      ['bookinfo.cilium.rocks'],
      ['hipstershop.cilium.rocks'],
    ]);
  });

  it('routes TLS passthrough by SNI', () => {
    expect(r.ir.tlsPassthroughListeners).toEqual([
      {
        name: 'default/cilium-tls-gateway/172.18.255.202/443',
        gateway: { namespace: 'default', name: 'cilium-tls-gateway' },
        address: '172.18.255.202',
        port: 443,
        routes: [
          {
            name: 'default/nginx/rule/0',
            sniHostnames: ['nginx.cilium.rocks'],
            backends: [{ cluster: 'default/my-nginx/443', weight: 1 }],
          },
        ],
      },
    ]);
  });

  it('resolves ready endpoints through the Service port name', () => {
    const echo2 = r.ir.clusters.find((c) => c.name === 'default/echo-2/8090');
    expect(echo2?.endpoints).toEqual([{ address: '10.244.3.20', port: 8080 }]);
    const echo1 = r.ir.clusters.find((c) => c.name === 'default/echo-1/8080');
    expect(echo1?.endpoints).toEqual([{ address: '10.244.3.10', port: 8080 }]); // the not-ready one is left out
    expect(r.ir.clusters.map((c) => c.name)).toEqual([
      'default/details/9080',
      'default/echo-1/8080',
      'default/echo-2/8090',
      'default/my-nginx/443',
      'default/productpage/9080',
    ]);
  });

  it('is deterministic: shuffled input gives deep-equal output', () => {
    const s = seedLab();
    const rev = <T>(a: readonly T[]) => [...a].reverse();
    const shuffled: Snapshot = {
      ...s,
      gateways: rev(s.gateways),
      httpRoutes: rev(s.httpRoutes),
      services: rev(s.services),
      endpointSlices: rev(s.endpointSlices),
    };
    expect(translate(shuffled)).toEqual(translate(s));
  });

  it('reports Programmed only after Envoy ACKs when ACK info is given', () => {
    const s = {
      ...seedLab(),
      programmed: { acked: ['default/my-gateway'], rejected: { 'default/tls-gateway': 'bad' } },
    };
    const out = translate(s);
    expect(cond(gw(out, 'my-gateway')?.conditions, 'Programmed')).toBe('True/Programmed');
    expect(cond(gw(out, 'tls-gateway')?.conditions, 'Programmed')).toBe('False/Invalid');
    expect(cond(gw(out, 'cilium-tls-gateway')?.conditions, 'Programmed')).toBe('False/Pending');
    expect(cond(listener(out, 'cilium-tls-gateway', 'https')?.conditions, 'Programmed')).toBe(
      'False/Pending',
    );
  });

  it('keeps lastTransitionTime of unchanged conditions', () => {
    const first = translate({ ...seedLab(), now: '2026-01-01T00:00:00Z' });
    const s = seedLab();
    const g = s.gateways.find((x) => x.metadata.name === 'my-gateway');
    if (g) g.status = gw(first, 'my-gateway');
    const second = translate({ ...s, now: '2026-02-02T00:00:00Z' });
    expect(gw(second, 'my-gateway')?.conditions?.[0]?.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
    expect(gw(second, 'tls-gateway')?.conditions?.[0]?.lastTransitionTime).toBe('2026-02-02T00:00:00Z');
  });
});
