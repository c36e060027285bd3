// ListenerSets: admission by spec.allowedListeners, merged listeners with the Gateway's precedence,
// route attachment through a ListenerSet parentRef, statuses, and certificates under ReferenceGrants.
import type { Gateway } from '../api/index.ts';
import { gateway, gatewayService, referenceGrant, tlsSecret } from '../../test-support/translate/fixtures.ts';
import { cond, route, snap } from '../../test-support/translate/scenario-helpers.ts';
import { translate } from './translate.ts';
import type { TranslateResult } from './types.ts';

type Listener = Record<string, unknown>;
const http = (name: string, hostname?: string, port = 80): Listener => ({
  name,
  protocol: 'HTTP',
  port,
  ...(hostname ? { hostname } : {}),
  allowedRoutes: { namespaces: { from: 'All' } },
});

function listenerSet(
  name: string,
  listeners: Listener[],
  opts: { ns?: string; created?: string; parent?: string } = {},
) {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'ListenerSet',
    metadata: {
      name,
      namespace: opts.ns ?? 'default',
      generation: 3,
      creationTimestamp: opts.created ?? '2026-01-01T00:00:00Z',
    },
    spec: {
      parentRef: {
        group: 'gateway.networking.k8s.io',
        kind: 'Gateway',
        name: opts.parent ?? 'gw',
        namespace: 'default',
      },
      listeners,
    },
  };
}

function parentGateway(
  from: string | undefined,
  listeners: Listener[] = [http('gw-listener', 'gw.example')],
  selector?: object,
): Gateway {
  const g = gateway('gw', listeners as Gateway['spec']['listeners']);
  if (from)
    (g.spec as Record<string, unknown>).allowedListeners = {
      namespaces: { from, ...(selector ? { selector } : {}) },
    };
  return g;
}

const base = { services: [gatewayService('gw', '10.0.0.9')] };
const lsStatus = (r: TranslateResult, name: string) =>
  r.listenerSetStatuses?.find((x) => x.name === name)?.status;
const lsListener = (r: TranslateResult, ls: string, l: string) =>
  lsStatus(r, ls)?.listeners?.find((x) => x.name === l);
const gwStatus = (r: TranslateResult) => r.gatewayStatuses.find((x) => x.name === 'gw')?.status;
const domains = (r: TranslateResult) =>
  r.ir.httpListeners.flatMap((l) => l.virtualHosts.map((v) => v.name)).sort();
const lsRef = (name: string, sectionName?: string) => ({
  group: 'gateway.networking.k8s.io',
  kind: 'ListenerSet',
  name,
  namespace: 'default',
  ...(sectionName ? { sectionName } : {}),
});

describe('admission (spec.allowedListeners)', () => {
  it.each([
    ['absent (None by default)', undefined],
    ['None', 'None'],
  ])(
    '%s: the ListenerSet is NotAllowed, its listeners not served, and no count unless the Gateway takes sets',
    (_, from) => {
      const r = translate(
        snap({
          ...base,
          gateways: [parentGateway(from)],
          listenerSets: [listenerSet('ls', [http('a', 'a.example')])],
        }),
      );
      expect(cond(lsStatus(r, 'ls')?.conditions, 'Accepted')).toBe('False/NotAllowed');
      expect(cond(lsStatus(r, 'ls')?.conditions, 'Programmed')).toBe('False/NotAllowed');
      expect(lsStatus(r, 'ls')?.conditions[0]?.observedGeneration).toBe(3);
      expect(gwStatus(r)?.attachedListenerSets).toBeUndefined();
      expect(domains(r)).not.toContain('a.example');
    },
  );

  it('Same admits sets of the Gateway namespace only; the count is of Accepted sets', () => {
    const r = translate(
      snap({
        ...base,
        gateways: [parentGateway('Same')],
        listenerSets: [
          listenerSet('here', [http('a', 'a.example')]),
          listenerSet('away', [http('b', 'b.example')], { ns: 'other' }),
        ],
      }),
    );
    expect(cond(lsStatus(r, 'here')?.conditions, 'Accepted')).toBe('True/Accepted');
    expect(cond(lsStatus(r, 'here')?.conditions, 'Programmed')).toBe('True/Programmed');
    expect(cond(lsListener(r, 'here', 'a')?.conditions, 'Programmed')).toBe('True/Programmed');
    expect(cond(lsStatus(r, 'away')?.conditions, 'Accepted')).toBe('False/NotAllowed');
    expect(gwStatus(r)?.attachedListenerSets).toBe(1);
    // The Gateway's own status lists only its own listeners.
    expect(gwStatus(r)?.listeners?.map((l) => l.name)).toEqual(['gw-listener']);
    expect(domains(r)).toEqual(['a.example', 'gw.example']);
  });

  it('Selector admits sets from namespaces whose labels match', () => {
    const r = translate(
      snap({
        ...base,
        gateways: [parentGateway('Selector', undefined, { matchLabels: { team: 'a' } })],
        listenerSets: [
          listenerSet('mine', [http('a', 'a.example')], { ns: 'other' }),
          listenerSet('not', [http('b', 'b.example')]),
        ],
      }),
    );
    expect(cond(lsStatus(r, 'mine')?.conditions, 'Accepted')).toBe('True/Accepted');
    expect(cond(lsStatus(r, 'not')?.conditions, 'Accepted')).toBe('False/NotAllowed');
    expect(gwStatus(r)?.attachedListenerSets).toBe(1);
  });

  it('a set whose parent is not a Portico Gateway gets no status; a new port reaches the Gateway Service', () => {
    const r = translate(
      snap({
        ...base,
        gateways: [parentGateway('All')],
        listenerSets: [
          listenerSet('elsewhere', [http('a')], { parent: 'nobody' }),
          listenerSet('alt', [http('a', undefined, 8080)]),
        ],
      }),
    );
    expect(r.listenerSetStatuses?.map((x) => x.name)).toEqual(['alt']);
    expect(r.ownedServices[0]?.ports.map((p) => p.port)).toEqual([80, 8080]);
  });
});

describe('conflicts follow precedence: Gateway, then oldest set, then namespace/name', () => {
  const conflicted = (r: TranslateResult, ls: string, l: string) =>
    ['Accepted', 'Programmed', 'Conflicted'].map((t) => cond(lsListener(r, ls, l)?.conditions, t));

  it('a set listener loses a hostname or protocol conflict with the Gateway; a set with no valid listener is not Accepted', () => {
    const r = translate(
      snap({
        ...base,
        gateways: [parentGateway('All')],
        listenerSets: [
          listenerSet('mixed', [
            http('ok', 'ok.example'),
            http('dup', 'gw.example'),
            { name: 'tcp', protocol: 'TCP', port: 80 },
          ]),
          listenerSet('only-dup', [http('dup', 'gw.example')]),
        ],
      }),
    );
    expect(conflicted(r, 'mixed', 'dup')).toEqual([
      'False/HostnameConflict',
      'False/HostnameConflict',
      'True/HostnameConflict',
    ]);
    expect(conflicted(r, 'mixed', 'tcp')).toEqual([
      'False/ProtocolConflict',
      'False/ProtocolConflict',
      'True/ProtocolConflict',
    ]);
    expect(cond(lsStatus(r, 'mixed')?.conditions, 'Accepted')).toBe('True/ListenersNotValid');
    expect(cond(lsStatus(r, 'mixed')?.conditions, 'Programmed')).toBe('True/Programmed');
    expect(cond(lsStatus(r, 'only-dup')?.conditions, 'Accepted')).toBe('False/ListenersNotValid');
    expect(cond(lsStatus(r, 'only-dup')?.conditions, 'Programmed')).toBe('False/ListenersNotValid');
    expect(gwStatus(r)?.attachedListenerSets).toBe(1);
    // The Gateway's listener keeps serving, untouched.
    expect(cond(gwStatus(r)?.listeners?.[0]?.conditions, 'Conflicted')).toBe('False/NoConflicts');
    expect(r.ownedServices[0]?.ports).toEqual([{ name: 'port-80', port: 80, protocol: 'TCP' }]);
  });

  it('between sets the older wins, and at equal age the first by namespace/name', () => {
    const r = translate(
      snap({
        ...base,
        gateways: [parentGateway('All')],
        listenerSets: [
          listenerSet('a-newer', [http('x', 'x.example')], { created: '2026-02-01T00:00:00Z' }),
          listenerSet('z-older', [http('x', 'x.example')], { created: '2026-01-01T00:00:00Z' }),
          listenerSet('b-same-age', [http('y', 'y.example')]),
          listenerSet('c-same-age', [http('y', 'y.example')]),
        ],
      }),
    );
    expect(cond(lsListener(r, 'z-older', 'x')?.conditions, 'Conflicted')).toBe('False/NoConflicts');
    expect(cond(lsListener(r, 'a-newer', 'x')?.conditions, 'Conflicted')).toBe('True/HostnameConflict');
    expect(cond(lsListener(r, 'b-same-age', 'y')?.conditions, 'Conflicted')).toBe('False/NoConflicts');
    expect(cond(lsListener(r, 'c-same-age', 'y')?.conditions, 'Conflicted')).toBe('True/HostnameConflict');
  });
});

describe('routes', () => {
  const ls = () =>
    listenerSet(
      'ls',
      [
        http('one', 'one.example'),
        { ...http('same', 'same.example'), allowedRoutes: { namespaces: { from: 'Same' } } },
      ],
      { ns: 'other' },
    );

  it('a ListenerSet parentRef reaches its listeners; a Gateway parentRef only the Gateway’s own', () => {
    const r = translate(
      snap({
        ...base,
        gateways: [parentGateway('All')],
        listenerSets: [ls()],
        httpRoutes: [
          route('to-set', { parentRefs: [{ ...lsRef('ls'), namespace: 'other' }] }),
          route('to-gw', { parentRefs: [{ name: 'gw', namespace: 'default' }] }),
          route('gw-section', { parentRefs: [{ name: 'gw', namespace: 'default', sectionName: 'one' }] }),
          route('set-section', { parentRefs: [{ ...lsRef('ls', 'same'), namespace: 'other' }] }, 'other'),
        ],
      }),
    );
    const parents = (name: string) => r.routeStatuses.find((x) => x.name === name)?.parents ?? [];
    expect(cond(parents('to-set')[0]?.conditions, 'Accepted')).toBe('True/Accepted');
    expect(parents('to-set')[0]?.parentRef).toMatchObject({
      kind: 'ListenerSet',
      name: 'ls',
      namespace: 'other',
    });
    expect(cond(parents('to-gw')[0]?.conditions, 'Accepted')).toBe('True/Accepted');
    expect(cond(parents('gw-section')[0]?.conditions, 'Accepted')).toBe('False/NoMatchingParent');
    expect(cond(parents('set-section')[0]?.conditions, 'Accepted')).toBe('True/Accepted');
    // `Same` on a set listener means the set's namespace: to-set (default) may not use it.
    expect(lsListener(r, 'ls', 'one')?.attachedRoutes).toBe(1);
    expect(lsListener(r, 'ls', 'same')?.attachedRoutes).toBe(1);
    const hosts = r.ir.httpListeners[0]?.virtualHosts ?? [];
    const routesOf = (d: string) =>
      hosts.find((v) => v.name === d)?.routes.map((x) => x.name.split('/')[1]) ?? [];
    expect(routesOf('one.example')).toEqual(['to-set']);
    expect(routesOf('same.example')).toEqual(['set-section']);
    expect(routesOf('gw.example')).toEqual(['to-gw']);
  });

  it('a route on a set its Gateway does not admit is not Accepted, and says why', () => {
    const r = translate(
      snap({
        ...base,
        gateways: [parentGateway(undefined)],
        listenerSets: [listenerSet('closed', [http('a', 'a.example')])],
        httpRoutes: [route('r', { parentRefs: [lsRef('closed')] })],
      }),
    );
    expect(cond(r.routeStatuses[0]?.parents[0]?.conditions, 'Accepted')).toBe('False/NoMatchingParent');
    expect(r.routeStatuses[0]?.parents[0]?.conditions[0]?.message).toBe(
      'ListenerSet default/closed is not attached: Gateway default/gw does not allow ListenerSets from namespace default (spec.allowedListeners)',
    );
  });

  it('a route from the Gateway namespace is NotAllowedByListeners on a set listener that takes its own namespace only', () => {
    const r = translate(
      snap({
        ...base,
        gateways: [parentGateway('All')],
        listenerSets: [ls()],
        httpRoutes: [route('r', { parentRefs: [{ ...lsRef('ls', 'same'), namespace: 'other' }] })],
      }),
    );
    expect(cond(r.routeStatuses[0]?.parents[0]?.conditions, 'Accepted')).toBe('False/NotAllowedByListeners');
  });
});

describe('certificates', () => {
  const https = (name: string, hostname: string, secretNs: string): Listener => ({
    name,
    protocol: 'HTTPS',
    port: 443,
    hostname,
    tls: { certificateRefs: [{ group: '', kind: 'Secret', name: 'cert', namespace: secretNs }] },
  });
  const grant = (kind: string, from: string) =>
    referenceGrant(`from-${kind}`.toLowerCase(), 'certs', {
      from: [{ group: 'gateway.networking.k8s.io', kind, namespace: from }],
      to: [{ group: '', kind: 'Secret' }],
    });

  it('a set listener needs a ReferenceGrant from ListenerSet: the Gateway’s grant is not inherited', () => {
    const input = (grants: ReturnType<typeof grant>[]) =>
      snap({
        ...base,
        gateways: [parentGateway('All', [https('gw-listener', 'gw.example', 'certs')])],
        listenerSets: [listenerSet('ls', [https('gw-listener', 'ls.example', 'certs')])],
        secrets: [tlsSecret('cert', 'certs')],
        referenceGrants: grants,
      });
    const denied = translate(input([grant('Gateway', 'default')]));
    expect(cond(lsListener(denied, 'ls', 'gw-listener')?.conditions, 'ResolvedRefs')).toBe(
      'False/RefNotPermitted',
    );
    expect(cond(lsStatus(denied, 'ls')?.conditions, 'Accepted')).toBe('False/ListenersNotValid');
    expect(cond(gwStatus(denied)?.listeners?.[0]?.conditions, 'ResolvedRefs')).toBe('True/ResolvedRefs');

    const allowed = translate(input([grant('Gateway', 'default'), grant('ListenerSet', 'default')]));
    expect(cond(lsListener(allowed, 'ls', 'gw-listener')?.conditions, 'ResolvedRefs')).toBe(
      'True/ResolvedRefs',
    );
    // One chain per listener, named apart although the set reuses the Gateway listener's name.
    expect(allowed.ir.httpListeners[0]?.chains?.map((c) => [c.name, c.sniHostnames])).toEqual([
      ['default/ls/gw-listener', ['ls.example']],
      ['gw-listener', ['gw.example']],
    ]);

    const onlySet = translate(input([grant('ListenerSet', 'default')]));
    expect(cond(gwStatus(onlySet)?.listeners?.[0]?.conditions, 'ResolvedRefs')).toBe('False/RefNotPermitted');
  });
});
