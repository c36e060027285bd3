// TCPRoute and UDPRoute: attachment to TCP and UDP listeners, statuses, and the IR they give.
import type { TCPRoute, UDPRoute } from '../api/index.ts';
import { gateway, referenceGrant, service, slice } from '../../test-support/translate/fixtures.ts';
import { cond, listener, parent, snap } from '../../test-support/translate/scenario-helpers.ts';
import { translate } from './translate.ts';
import type { Snapshot } from './types.ts';

type Spec = TCPRoute['spec'];
const meta = (name: string, ns: string, created: string) => ({
  name,
  namespace: ns,
  uid: `uid-${name}`,
  generation: 3,
  creationTimestamp: created,
});
const streamRoute =
  <K extends 'TCPRoute' | 'UDPRoute'>(kind: K, backend: { name: string; port: number }) =>
  (name: string, spec: Partial<Spec> = {}, ns = 'default', created = '2026-01-01T00:00:00Z') =>
    ({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind,
      metadata: meta(name, ns, created),
      spec: { parentRefs: [{ name: 'l4' }], rules: [{ backendRefs: [backend] }], ...spec },
    }) as K extends 'TCPRoute' ? TCPRoute : UDPRoute;
const tcpRoute = streamRoute('TCPRoute', { name: 'db', port: 5432 });
const udpRoute = streamRoute('UDPRoute', { name: 'dns', port: 53 });

const l4Gateway = () =>
  gateway('l4', [
    { name: 'tcp', protocol: 'TCP', port: 5432 },
    { name: 'udp', protocol: 'UDP', port: 53 },
    { name: 'tcp-53', protocol: 'TCP', port: 53 },
  ]);

const l4Snap = (p: Partial<Snapshot>) => {
  const base = snap({});
  return snap({
    gateways: [l4Gateway()],
    services: [
      ...base.services,
      service('db', [{ port: 5432 }]),
      service('dns', [{ port: 53 }]),
      service('dns2', [{ port: 53 }]),
      {
        metadata: { name: 'portico-l4', namespace: 'default' },
        status: { loadBalancer: { ingress: [{ ip: '10.0.0.4' }] } },
      },
    ],
    endpointSlices: [
      ...base.endpointSlices,
      slice('db', [{ port: 5432 }], [{ ip: '10.244.1.1' }]),
      slice('dns', [{ port: 53 }], [{ ip: '10.244.2.1' }, { ip: '10.244.2.2' }]),
      slice('dns2', [{ port: 53 }], [{ ip: '10.244.3.1' }]),
    ],
    ...p,
  });
};

it('a TCPRoute and a UDPRoute attach to their listeners; TCP and UDP on one port do not conflict', () => {
  const r = translate(
    l4Snap({
      tcpRoutes: [tcpRoute('t', { parentRefs: [{ name: 'l4', sectionName: 'tcp' }] })],
      udpRoutes: [udpRoute('u')],
    }),
  );
  expect(cond(parent(r, 't'), 'Accepted')).toBe('True/Accepted');
  expect(cond(parent(r, 't'), 'ResolvedRefs')).toBe('True/ResolvedRefs');
  expect(parent(r, 't')?.[0]?.observedGeneration).toBe(3);
  expect(cond(parent(r, 'u'), 'Accepted')).toBe('True/Accepted');
  for (const name of ['tcp', 'udp', 'tcp-53']) {
    expect(cond(listener(r, 'l4', name)?.conditions, 'Conflicted')).toBe('False/NoConflicts');
    expect(cond(listener(r, 'l4', name)?.conditions, 'Accepted')).toBe('True/Accepted');
  }
  expect(listener(r, 'l4', 'tcp')?.supportedKinds).toEqual([
    { group: 'gateway.networking.k8s.io', kind: 'TCPRoute' },
  ]);
  expect(listener(r, 'l4', 'udp')?.supportedKinds).toEqual([
    { group: 'gateway.networking.k8s.io', kind: 'UDPRoute' },
  ]);
  expect(listener(r, 'l4', 'tcp')?.attachedRoutes).toBe(1);
  expect(listener(r, 'l4', 'udp')?.attachedRoutes).toBe(1);
  expect(listener(r, 'l4', 'tcp-53')?.attachedRoutes).toBe(0);
  expect(r.ir.tcpListeners).toEqual([
    {
      name: 'default/l4/10.0.0.4/53',
      gateway: { namespace: 'default', name: 'l4' },
      address: '10.0.0.4',
      port: 53,
    },
    {
      name: 'default/l4/10.0.0.4/5432',
      gateway: { namespace: 'default', name: 'l4' },
      address: '10.0.0.4',
      port: 5432,
      route: { name: 'default/t/rule/0', backends: [{ cluster: 'default/db/5432', weight: 1 }] },
    },
  ]);
  expect(r.ir.udpListeners).toEqual([
    {
      name: 'default/l4/10.0.0.4/53/udp',
      gateway: { namespace: 'default', name: 'l4' },
      address: '10.0.0.4',
      port: 53,
      route: { name: 'default/u/rule/0', backends: [{ cluster: 'default/dns/53', weight: 1 }] },
    },
  ]);
  expect(r.ir.clusters.map((c) => [c.name, c.endpoints.length])).toEqual([
    ['default/db/5432', 1],
    ['default/dns/53', 2],
  ]);
  // The Gateway's Service: TCP ports, then UDP ports named apart.
  expect(r.ownedServices.find((s) => s.owner.name === 'l4')?.ports).toEqual([
    { name: 'port-53', port: 53, protocol: 'TCP' },
    { name: 'port-5432', port: 5432, protocol: 'TCP' },
    { name: 'udp-53', port: 53, protocol: 'UDP' },
  ]);
});

it('weights carry over; weight 0 drops a backend', () => {
  const backendRefs = [
    { name: 'dns', port: 53, weight: 70 },
    { name: 'dns2', port: 53, weight: 30 },
    { name: 'db', port: 5432, weight: 0 },
  ];
  const r = translate(l4Snap({ udpRoutes: [udpRoute('u', { rules: [{ backendRefs }] })] }));
  expect(r.ir.udpListeners?.[0]?.route?.backends).toEqual([
    { cluster: 'default/dns/53', weight: 70 },
    { cluster: 'default/dns2/53', weight: 30 },
  ]);
});

it('two routes on one listener: both Accepted and attached, only the oldest gets the traffic', () => {
  const older = tcpRoute('b-older', { parentRefs: [{ name: 'l4', sectionName: 'tcp' }] });
  const newer = tcpRoute(
    'a-newer',
    {
      parentRefs: [{ name: 'l4', sectionName: 'tcp' }],
      rules: [{ backendRefs: [{ name: 'dns', port: 53 }] }],
    },
    'default',
    '2026-01-02T00:00:00Z',
  );
  const r = translate(l4Snap({ tcpRoutes: [newer, older] }));
  expect(cond(parent(r, 'b-older'), 'Accepted')).toBe('True/Accepted');
  expect(cond(parent(r, 'a-newer'), 'Accepted')).toBe('True/Accepted');
  expect(listener(r, 'l4', 'tcp')?.attachedRoutes).toBe(2);
  const l = r.ir.tcpListeners?.find((x) => x.port === 5432);
  expect(l?.route?.name).toBe('default/b-older/rule/0');
  // The newer route's backend is not pushed: nothing sends to it.
  expect(r.ir.clusters.map((c) => c.name)).toEqual(['default/db/5432']);
});

it('a parentRef with no sectionName attaches to every listener of its kind; by port picks one', () => {
  const gw = gateway('l4', [
    { name: 'one', protocol: 'TCP', port: 9310 },
    { name: 'two', protocol: 'TCP', port: 9311 },
    { name: 'web', protocol: 'HTTP', port: 80 },
  ]);
  const all = translate(l4Snap({ gateways: [gw], tcpRoutes: [tcpRoute('t')] }));
  expect(cond(parent(all, 't'), 'Accepted')).toBe('True/Accepted');
  expect(listener(all, 'l4', 'one')?.attachedRoutes).toBe(1);
  expect(listener(all, 'l4', 'two')?.attachedRoutes).toBe(1);
  expect(listener(all, 'l4', 'web')?.attachedRoutes).toBe(0);
  const byPort = translate(
    l4Snap({ gateways: [gw], tcpRoutes: [tcpRoute('t', { parentRefs: [{ name: 'l4', port: 9311 }] })] }),
  );
  expect(listener(byPort, 'l4', 'one')?.attachedRoutes).toBe(0);
  expect(listener(byPort, 'l4', 'two')?.attachedRoutes).toBe(1);
});

it('a TCPRoute on an HTTP listener, or a UDPRoute on a TLS one, is NotAllowedByListeners', () => {
  const gw = gateway('l4', [
    { name: 'http', protocol: 'HTTP', port: 80 },
    { name: 'tls', protocol: 'TLS', port: 443, tls: { mode: 'Passthrough' } },
  ]);
  const r = translate(
    l4Snap({
      gateways: [gw],
      tcpRoutes: [tcpRoute('t', { parentRefs: [{ name: 'l4', sectionName: 'http' }] })],
      udpRoutes: [udpRoute('u')],
    }),
  );
  expect(cond(parent(r, 't'), 'Accepted')).toBe('False/NotAllowedByListeners');
  expect(cond(parent(r, 'u'), 'Accepted')).toBe('False/NotAllowedByListeners');
  expect(listener(r, 'l4', 'http')?.attachedRoutes).toBe(0);
  expect(listener(r, 'l4', 'tls')?.attachedRoutes).toBe(0);
  expect(r.ir.tcpListeners).toBeUndefined();
});

it('allowedRoutes.kinds: UDPRoute on a TCP listener is InvalidRouteKinds; sectionName that names nothing is NoMatchingParent', () => {
  const gw = gateway('l4', [
    { name: 'tcp', protocol: 'TCP', port: 9000, allowedRoutes: { kinds: [{ kind: 'UDPRoute' }] } },
  ]);
  const r = translate(
    l4Snap({
      gateways: [gw],
      tcpRoutes: [tcpRoute('t', { parentRefs: [{ name: 'l4', sectionName: 'nope' }] })],
    }),
  );
  expect(cond(listener(r, 'l4', 'tcp')?.conditions, 'ResolvedRefs')).toBe('False/InvalidRouteKinds');
  expect(listener(r, 'l4', 'tcp')?.supportedKinds).toEqual([]);
  expect(cond(parent(r, 't'), 'Accepted')).toBe('False/NoMatchingParent');
});

it('bad backends: BackendNotFound, RefNotPermitted, until a ReferenceGrant allows it; all invalid keeps the listener', () => {
  const missing = tcpRoute('missing', { rules: [{ backendRefs: [{ name: 'nope', port: 1 }] }] });
  const r = translate(l4Snap({ tcpRoutes: [missing] }));
  expect(cond(parent(r, 'missing'), 'Accepted')).toBe('True/Accepted');
  expect(cond(parent(r, 'missing'), 'ResolvedRefs')).toBe('False/BackendNotFound');
  // Connections are accepted, then closed: the route still owns the listener.
  expect(r.ir.tcpListeners?.find((l) => l.port === 5432)?.route).toEqual({
    name: 'default/missing/rule/0',
    backends: [],
  });

  const xns = udpRoute('xns', { rules: [{ backendRefs: [{ name: 'web', namespace: 'other', port: 80 }] }] });
  const denied = translate(l4Snap({ udpRoutes: [xns] }));
  expect(cond(parent(denied, 'xns'), 'Accepted')).toBe('True/Accepted');
  expect(cond(parent(denied, 'xns'), 'ResolvedRefs')).toBe('False/RefNotPermitted');
  const grant = referenceGrant('g', 'other', {
    from: [{ group: 'gateway.networking.k8s.io', kind: 'UDPRoute', namespace: 'default' }],
    to: [{ group: '', kind: 'Service' }],
  });
  const allowed = translate(l4Snap({ udpRoutes: [xns], referenceGrants: [grant] }));
  expect(cond(parent(allowed, 'xns'), 'ResolvedRefs')).toBe('True/ResolvedRefs');
  expect(allowed.ir.udpListeners?.[0]?.route?.backends).toEqual([{ cluster: 'other/web/80', weight: 1 }]);
  // A grant for TCPRoutes does not admit UDPRoutes.
  const tcpGrant = referenceGrant('g', 'other', {
    from: [{ group: 'gateway.networking.k8s.io', kind: 'TCPRoute', namespace: 'default' }],
    to: [{ group: '', kind: 'Service' }],
  });
  const wrongKind = translate(l4Snap({ udpRoutes: [xns], referenceGrants: [tcpGrant] }));
  expect(cond(parent(wrongKind, 'xns'), 'ResolvedRefs')).toBe('False/RefNotPermitted');
});

it('two TCP listeners on one port conflict; a TCP listener hostname is ignored', () => {
  const gw = gateway('l4', [
    { name: 'a', protocol: 'TCP', port: 7000, hostname: 'a.example.com' },
    { name: 'b', protocol: 'TCP', port: 7000, hostname: 'b.example.com' },
    { name: 'c', protocol: 'HTTP', port: 7000 },
  ]);
  const r = translate(l4Snap({ gateways: [gw] }));
  expect(cond(listener(r, 'l4', 'a')?.conditions, 'Conflicted')).toBe('False/NoConflicts');
  expect(cond(listener(r, 'l4', 'b')?.conditions, 'Conflicted')).toBe('True/HostnameConflict');
  expect(cond(listener(r, 'l4', 'c')?.conditions, 'Conflicted')).toBe('True/ProtocolConflict');
});
