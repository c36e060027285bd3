// Listener-level cases: certificateRefs, conflicts, protocols, addresses, TLS passthrough.
import type { Gateway, TLSRoute } from '../api/index.ts';
import {
  KEY_PEM,
  ciliumTlsGateway,
  gateway,
  gatewayService,
  nginxTlsRoute,
  referenceGrant,
  tlsGateway,
  tlsSecret,
} from '../../test-support/translate/fixtures.ts';
import { cond, listener, parent, route, snap } from '../../test-support/translate/scenario-helpers.ts';
import { translate } from './translate.ts';
import type { Snapshot } from './types.ts';

describe('HTTPS certificateRefs', () => {
  const g = (ref: Record<string, string>): Gateway =>
    gateway('my-gateway', [
      { name: 'https', protocol: 'HTTPS', port: 443, tls: { certificateRefs: [{ name: 'cert', ...ref }] } },
    ]);
  const run = (gw: Gateway, p: Partial<Snapshot> = {}) =>
    listener(translate(snap({ gateways: [gw], ...p })), 'my-gateway', 'https');
  it('a missing Secret is ResolvedRefs False / InvalidCertificateRef and not Programmed', () => {
    const l = run(g({}));
    expect(cond(l?.conditions, 'ResolvedRefs')).toBe('False/InvalidCertificateRef');
    expect(cond(l?.conditions, 'Programmed')).toBe('False/Invalid');
    expect(cond(l?.conditions, 'Accepted')).toBe('True/Accepted');
  });
  it('a wrong kind or group is InvalidCertificateRef', () => {
    expect(
      cond(run(g({ kind: 'ConfigMap' }), { secrets: [tlsSecret('cert')] })?.conditions, 'ResolvedRefs'),
    ).toBe('False/InvalidCertificateRef');
    expect(
      cond(run(g({ group: 'example.com' }), { secrets: [tlsSecret('cert')] })?.conditions, 'ResolvedRefs'),
    ).toBe('False/InvalidCertificateRef');
  });
  it('a malformed certificate or mismatched key is InvalidCertificateRef', () => {
    const bad = tlsSecret('cert', 'default', 'not a cert');
    expect(cond(run(g({}), { secrets: [bad] })?.conditions, 'ResolvedRefs')).toBe(
      'False/InvalidCertificateRef',
    );
    const half = tlsSecret('cert', 'default', undefined, KEY_PEM.replace('MIG', 'XXX'));
    expect(cond(run(g({}), { secrets: [half] })?.conditions, 'ResolvedRefs')).toBe(
      'False/InvalidCertificateRef',
    );
  });
  it('a cross-namespace Secret needs a ReferenceGrant', () => {
    const secrets = [tlsSecret('cert', 'other')];
    expect(cond(run(g({ namespace: 'other' }), { secrets })?.conditions, 'ResolvedRefs')).toBe(
      'False/RefNotPermitted',
    );
    const grant = referenceGrant('g', 'other', {
      from: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'default' }],
      to: [{ group: '', kind: 'Secret', name: 'cert' }],
    });
    expect(
      cond(run(g({ namespace: 'other' }), { secrets, referenceGrants: [grant] })?.conditions, 'ResolvedRefs'),
    ).toBe('True/ResolvedRefs');
  });
  it('a valid Secret is served', () => {
    expect(cond(run(g({}), { secrets: [tlsSecret('cert')] })?.conditions, 'ResolvedRefs')).toBe(
      'True/ResolvedRefs',
    );
  });
});

describe('listener conflicts and protocols', () => {
  it('two listeners with one hostname on one port: the second is HostnameConflict', () => {
    const g = gateway('my-gateway', [
      { name: 'a', protocol: 'HTTP', port: 80, hostname: 'x.example.com' },
      { name: 'b', protocol: 'HTTP', port: 80, hostname: 'x.example.com' },
      { name: 'c', protocol: 'HTTP', port: 80, hostname: 'y.example.com' },
    ]);
    const r = translate(snap({ gateways: [g] }));
    expect(cond(listener(r, 'my-gateway', 'a')?.conditions, 'Conflicted')).toBe('False/NoConflicts');
    expect(cond(listener(r, 'my-gateway', 'b')?.conditions, 'Conflicted')).toBe('True/HostnameConflict');
    expect(cond(listener(r, 'my-gateway', 'b')?.conditions, 'Programmed')).toBe('False/Invalid');
    expect(cond(listener(r, 'my-gateway', 'c')?.conditions, 'Conflicted')).toBe('False/NoConflicts');
    const st = r.gatewayStatuses[0]?.status.conditions;
    expect(cond(st, 'Accepted')).toBe('True/ListenersNotValid');
  });
  it('two protocols on one port: ProtocolConflict', () => {
    const g = gateway('my-gateway', [
      { name: 'a', protocol: 'HTTP', port: 443 },
      { name: 'b', protocol: 'TLS', port: 443, hostname: 'x.example.com', tls: { mode: 'Passthrough' } },
    ]);
    const r = translate(snap({ gateways: [g] }));
    expect(cond(listener(r, 'my-gateway', 'b')?.conditions, 'Conflicted')).toBe('True/ProtocolConflict');
  });
  it('unsupported protocols are not accepted; a gateway with only those is not accepted', () => {
    const g = gateway('my-gateway', [{ name: 'sctp', protocol: 'example.com/sctp', port: 53 }]);
    const r = translate(snap({ gateways: [g] }));
    expect(cond(listener(r, 'my-gateway', 'sctp')?.conditions, 'Accepted')).toBe('False/UnsupportedProtocol');
    expect(cond(r.gatewayStatuses[0]?.status.conditions, 'Accepted')).toBe('False/ListenersNotValid');
    expect(cond(r.gatewayStatuses[0]?.status.conditions, 'Programmed')).toBe('False/Invalid');
  });
  const terminate = {
    name: 'tls-terminate',
    protocol: 'TLS' as const,
    port: 8443,
    hostname: 'terminate.example.com',
    allowedRoutes: { kinds: [{ kind: 'TLSRoute' }] },
    tls: { mode: 'Terminate' as const, certificateRefs: [{ name: 'cert' }] },
  };
  const tlsRoute = (): TLSRoute => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'TLSRoute',
    metadata: { name: 't', namespace: 'default', creationTimestamp: '2024-01-01T00:00:00Z' },
    spec: {
      parentRefs: [{ name: 'my-gateway' }],
      hostnames: ['terminate.example.com'],
      rules: [{ backendRefs: [{ name: 'web', port: 80 }] }],
    },
  });

  it('a TLS listener in mode Terminate takes TLSRoutes and ends TLS with its certificate', () => {
    // TLSRouteModeTerminate.
    const r = translate(
      snap({
        gateways: [gateway('my-gateway', [terminate])],
        tlsRoutes: [tlsRoute()],
        secrets: [tlsSecret('cert')],
      }),
    );
    const l = listener(r, 'my-gateway', 'tls-terminate');
    expect(cond(l?.conditions, 'Accepted')).toBe('True/Accepted');
    expect(l?.supportedKinds).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'TLSRoute' }]);
    expect(l?.attachedRoutes).toBe(1);
    const ir = r.ir.tlsPassthroughListeners[0];
    expect(ir?.tls?.certificates.map((c) => c.secretName)).toEqual(['default/cert']);
    expect(ir?.routes.map((x) => [x.sniHostnames, x.backends])).toEqual([
      [['terminate.example.com'], [{ cluster: 'default/web/80', weight: 1 }]],
    ]);
  });

  it('TLS listeners in modes Terminate and Passthrough share a port, each route keeping its mode', () => {
    // TLSRouteModeMixed (TLSRouteMixedTerminationSameNamespace).
    const passthrough = {
      name: 'tls-passthrough',
      protocol: 'TLS' as const,
      port: 8443,
      hostname: 'passthrough.example.com',
      tls: { mode: 'Passthrough' as const },
    };
    const through = tlsRoute();
    through.metadata.name = 'p';
    through.spec.hostnames = ['passthrough.example.com'];
    through.spec.rules = [{ backendRefs: [{ name: 'web', port: 443 }] }];
    const r = translate(
      snap({
        gateways: [gateway('my-gateway', [terminate, passthrough])],
        tlsRoutes: [tlsRoute(), through],
        secrets: [tlsSecret('cert')],
      }),
    );
    for (const name of ['tls-terminate', 'tls-passthrough']) {
      const l = listener(r, 'my-gateway', name);
      expect(cond(l?.conditions, 'Accepted')).toBe('True/Accepted');
      expect(cond(l?.conditions, 'Conflicted')).toBe('False/NoConflicts');
      expect(l?.attachedRoutes).toBe(1);
    }
    expect(r.ir.tlsPassthroughListeners).toHaveLength(1);
    const ir = r.ir.tlsPassthroughListeners[0];
    expect(ir?.tls?.certificates.map((c) => c.secretName)).toEqual(['default/cert']);
    expect(ir?.routes.map((x) => [x.name, x.sniHostnames, x.passthrough])).toEqual([
      ['default/p/rule/0', ['passthrough.example.com'], true],
      ['default/t/rule/0', ['terminate.example.com'], undefined],
    ]);
  });

  it('a TLS passthrough listener accepts only TLSRoutes', () => {
    const g = gateway('my-gateway', [
      { name: 'tls', protocol: 'TLS', port: 443, tls: { mode: 'Passthrough' } },
    ]);
    const r = translate(snap({ gateways: [g], httpRoutes: [route('r', {})] }));
    expect(cond(parent(r, 'r'), 'Accepted')).toBe('False/NotAllowedByListeners');
  });
  it('allowedRoutes.kinds with an unknown kind is InvalidRouteKinds', () => {
    const g = gateway('my-gateway', [
      {
        name: 'web',
        protocol: 'HTTP',
        port: 80,
        allowedRoutes: { kinds: [{ kind: 'TCPRoute' }, { kind: 'HTTPRoute' }] },
      },
    ]);
    const r = translate(snap({ gateways: [g], httpRoutes: [route('r', {})] }));
    expect(cond(listener(r, 'my-gateway', 'web')?.conditions, 'ResolvedRefs')).toBe(
      'False/InvalidRouteKinds',
    );
    expect(listener(r, 'my-gateway', 'web')?.supportedKinds).toEqual([
      { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' },
    ]);
  });
});

it('an IPAddress entry without a value asks the pool for any address', () => {
  type Address = NonNullable<Gateway['spec']['addresses']>[number];
  const withAddress = (a: Record<string, string>): Gateway => {
    const g = gateway('my-gateway', [{ name: 'http', protocol: 'HTTP', port: 8080 }]);
    g.spec.addresses = [a as unknown as Address];
    return g;
  };
  const accepted = (g: Gateway) =>
    cond(translate(snap({ gateways: [g] })).gatewayStatuses[0]?.status.conditions, 'Accepted');
  expect(accepted(withAddress({ type: 'IPAddress' }))).toBe('True/Accepted');
  expect(accepted(withAddress({ type: 'Hostname', value: 'gw.example' }))).toBe('False/UnsupportedAddress');
});

it('a static address the pool cannot give is Programmed False/AddressNotUsable', () => {
  const g = gateway('my-gateway', [{ name: 'http', protocol: 'HTTP', port: 8080 }]);
  g.spec.addresses = [{ type: 'IPAddress', value: '10.9.9.9' } as never];
  const svc = gatewayService('my-gateway', '10.0.0.1');
  const ipam = (reason: string) => ({
    type: 'portico.dev/IPAMRequestSatisfied',
    status: 'False',
    reason,
    message: '10.9.9.9 is in no enabled pool that selects this Service',
  });
  const programmed = (reason?: string) => {
    const s = { ...svc, status: { ...svc.status, ...(reason ? { conditions: [ipam(reason)] } : {}) } };
    const r = translate(snap({ gateways: [g], services: [s as typeof svc] }));
    return r.gatewayStatuses[0]?.status.conditions?.find((c) => c.type === 'Programmed');
  };
  expect(programmed('RequestedIPUnavailable')).toMatchObject({
    status: 'False',
    reason: 'AddressNotUsable',
    message: '10.9.9.9 is in no enabled pool that selects this Service',
  });
  expect(programmed('PoolExhausted')?.reason).not.toBe('AddressNotUsable');
  expect(programmed()?.status).toBe('True');
});

it("spec.infrastructure labels and annotations go to the Gateway's Service; a parametersRef is InvalidParameters", () => {
  const g = gateway('my-gateway', [{ name: 'http', protocol: 'HTTP', port: 8080 }]);
  g.spec.infrastructure = { labels: { key2: 'value2' }, annotations: { key1: 'value1' } };
  const r = translate(snap({ gateways: [g] }));
  expect(r.ownedServices[0]?.infrastructure).toEqual({
    labels: { key2: 'value2' },
    annotations: { key1: 'value1' },
  });
  expect(cond(r.gatewayStatuses[0]?.status.conditions, 'Accepted')).toBe('True/Accepted');
  g.spec.infrastructure = {
    parametersRef: { group: 'invalid.io', kind: 'InvalidParameters', name: 'invalid' },
  };
  const bad = translate(snap({ gateways: [g] })).gatewayStatuses[0]?.status.conditions;
  expect(cond(bad, 'Accepted')).toBe('False/InvalidParameters');
});

it('a Gateway without an address is AddressNotAssigned and gets no listener', () => {
  const r = translate(snap({ gateways: [tlsGateway()], secrets: [tlsSecret('demo-cert')] }));
  expect(cond(r.gatewayStatuses[0]?.status.conditions, 'Programmed')).toBe('False/AddressNotAssigned');
  expect(r.ir.httpListeners).toEqual([]);
});

it('TLS passthrough: the older TLSRoute wins a contested SNI name', () => {
  const g = gateway('my-gateway', [
    { name: 'tls', protocol: 'TLS', port: 443, tls: { mode: 'Passthrough' } },
  ]);
  const tls = (name: string, ts: string): TLSRoute => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'TLSRoute',
    metadata: { name, namespace: 'default', generation: 1, creationTimestamp: ts },
    spec: {
      parentRefs: [{ name: 'my-gateway' }],
      hostnames: ['a.example.com', `${name}.example.com`],
      rules: [{ backendRefs: [{ name: 'web', port: 80 }] }],
    },
  });
  const r = translate(
    snap({
      gateways: [g],
      tlsRoutes: [tls('new', '2026-02-01T00:00:00Z'), tls('old', '2026-01-01T00:00:00Z')],
    }),
  );
  expect(r.ir.tlsPassthroughListeners[0]?.routes.map((x) => [x.name, x.sniHostnames])).toEqual([
    ['default/new/rule/0', ['new.example.com']],
    ['default/old/rule/0', ['a.example.com', 'old.example.com']],
  ]);
  expect(listener(r, 'my-gateway', 'tls')?.attachedRoutes).toBe(2);
});

it('a wildcard listener serves precise and wildcard route hostnames as separate virtual hosts', () => {
  const g = gateway('my-gateway', [{ name: 'web', protocol: 'HTTP', port: 80, hostname: '*.example.com' }]);
  const r = translate(
    snap({
      gateways: [g],
      httpRoutes: [
        route('a', { hostnames: ['a.example.com'] }),
        route('b', { hostnames: ['*.example.com', 'other.org'] }),
      ],
    }),
  );
  expect(r.ir.httpListeners[0]?.virtualHosts.map((v) => [v.name, v.routes.map((x) => x.name)])).toEqual([
    ['a.example.com', ['default/a/rule/0/match/0']],
    ['*.example.com', ['default/b/rule/0/match/0']],
  ]);
});

describe("a broken listener is named in the Gateway's own conditions", () => {
  const https = {
    name: 'https',
    protocol: 'HTTPS' as const,
    port: 443,
    tls: { certificateRefs: [{ name: 'no-such-secret' }] },
  };
  const gwConditions = (g: Gateway) =>
    translate(snap({ gateways: [g] })).gatewayStatuses[0]?.status.conditions;
  const message = (g: Gateway, type: string) => gwConditions(g)?.find((c) => c.type === type)?.message;

  it('its only listener has a missing Secret: Programmed False/Invalid with the listener and cause', () => {
    const g = gateway('my-gateway', [https]);
    expect(cond(gwConditions(g), 'Programmed')).toBe('False/Invalid');
    expect(message(g, 'Programmed')).toBe(
      'no listener is valid: listener https: InvalidCertificateRef: Secret default/no-such-secret not found',
    );
    expect(listener(translate(snap({ gateways: [g] })), 'my-gateway', 'https')?.conditions).toContainEqual(
      expect.objectContaining({
        type: 'Programmed',
        reason: 'Invalid',
        message: 'InvalidCertificateRef: Secret default/no-such-secret not found',
      }),
    );
  });

  it('one broken listener beside a valid one: the Gateway stays Accepted and Programmed', () => {
    const g = gateway('my-gateway', [{ name: 'http', protocol: 'HTTP', port: 80 }, https]);
    expect(cond(gwConditions(g), 'Accepted')).toBe('True/Accepted');
    expect(cond(gwConditions(g), 'Programmed')).toBe('True/Programmed');
  });

  it('a conflicted listener beside a valid one: Accepted True/ListenersNotValid names it', () => {
    const g = gateway('my-gateway', [
      { name: 'a', protocol: 'HTTP', port: 80 },
      { name: 'b', protocol: 'HTTP', port: 80 },
    ]);
    expect(cond(gwConditions(g), 'Accepted')).toBe('True/ListenersNotValid');
    expect(message(g, 'Accepted')).toBe(
      '1 of 2 listener(s) are not valid: listener b: HostnameConflict: hostname (any) already used on port 80',
    );
  });

  it('no listener is accepted: Accepted False/ListenersNotValid and Programmed say which and why', () => {
    const g = gateway('my-gateway', [{ name: 'sctp', protocol: 'example.com/sctp', port: 53 }]);
    expect(message(g, 'Accepted')).toBe(
      'no listener is valid: listener sctp: UnsupportedProtocol: protocol example.com/sctp is not supported; supported: HTTP, HTTPS, TLS, TCP, UDP',
    );
    expect(message(g, 'Programmed')).toBe(
      'Gateway is not accepted: no listener is valid: listener sctp: UnsupportedProtocol: protocol example.com/sctp is not supported; supported: HTTP, HTTPS, TLS, TCP, UDP',
    );
  });
});

it('a TLS passthrough listener with no TLSRoute is Programmed=False/Invalid (Envoy would refuse its connections)', () => {
  const none = translate(snap({ gateways: [ciliumTlsGateway()] }));
  const l = listener(none, 'cilium-tls-gateway', 'https');
  expect(cond(l?.conditions, 'Programmed')).toBe('False/Invalid');
  expect(l?.conditions.find((c) => c.type === 'Programmed')?.message).toMatch(/no TLSRoute is attached/);
  const routed = translate(snap({ gateways: [ciliumTlsGateway()], tlsRoutes: [nginxTlsRoute()] }));
  const p = listener(routed, 'cilium-tls-gateway', 'https')?.conditions.find((c) => c.type === 'Programmed');
  expect(p?.message).not.toMatch(/TLSRoute/);
});
