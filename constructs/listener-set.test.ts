import { Testing } from 'cdk8s';
import { Gateway } from './gateway.ts';
import { HttpRoute } from './http-route.ts';
import { ListenerSet } from './listener-set.ts';
import { ReferenceGrant } from './reference-grant.ts';
import { testChart } from '../test-support/cdk8s.ts';

const open = (chart = testChart(), from: 'Same' | 'All' | 'None' = 'All') =>
  new Gateway(chart, 'gw', {
    metadata: { name: 'shared', namespace: 'infra' },
    allowedListeners: { from },
    listeners: [{ name: 'http', protocol: 'HTTP', hostname: 'shared.example' }],
  });

describe('ListenerSet', () => {
  test('synthesizes a set on its Gateway, and routes attach to it by kind', () => {
    const chart = testChart();
    const gw = open(chart);
    const ls = new ListenerSet(chart, 'team', {
      metadata: { name: 'team-a', namespace: 'team-a' },
      gateway: gw,
      listeners: [{ name: 'http', protocol: 'HTTP', hostname: 'a.example', allowedRoutes: { from: 'Same' } }],
    });
    ls.addListener({
      name: 'https',
      protocol: 'HTTPS',
      hostname: 'a.example',
      certificateRefs: [{ name: 'a-cert', namespace: 'certs' }],
    });
    new ReferenceGrant(chart, 'grant', {
      metadata: { namespace: 'certs' },
      from: [{ kind: 'ListenerSet', namespace: 'team-a' }],
      to: [{ kind: 'Secret' }],
    });
    new HttpRoute(chart, 'r', {
      metadata: { name: 'app', namespace: 'team-a' },
      parentRefs: [ls, { gateway: 'other-set', kind: 'ListenerSet', sectionName: 'http' }],
      rules: [{ backendRefs: [{ service: 'app', port: 80 }] }],
    });
    const objs = Testing.synth(chart);
    expect(objs).toMatchSnapshot();
    const set = objs.find((o) => o.kind === 'ListenerSet');
    expect(set.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(set.spec.parentRef).toEqual({
      group: 'gateway.networking.k8s.io',
      kind: 'Gateway',
      name: 'shared',
      namespace: 'infra',
    });
    expect(set.spec.listeners.map((l: { port: number }) => l.port)).toEqual([80, 443]);
    expect(objs.find((o) => o.kind === 'Gateway').spec.allowedListeners).toEqual({
      namespaces: { from: 'All' },
    });
    expect(objs.find((o) => o.kind === 'HTTPRoute').spec.parentRefs).toEqual([
      { group: 'gateway.networking.k8s.io', kind: 'ListenerSet', name: 'team-a' },
      { group: 'gateway.networking.k8s.io', kind: 'ListenerSet', name: 'other-set', sectionName: 'http' },
    ]);
    expect(ls.listeners.map((l) => l.name)).toEqual(['http', 'https']);
  });

  test('a Gateway by name is taken as given (its allowedListeners are checked at run time)', () => {
    const chart = testChart();
    new ListenerSet(chart, 'ls', {
      gateway: { name: 'elsewhere', namespace: 'infra' },
      listeners: [{ name: 'web', protocol: 'HTTP' }],
    });
    expect(Testing.synth(chart)[0].spec.parentRef.name).toBe('elsewhere');
  });

  test('refuses a Gateway that would not admit it', () => {
    expect(() => new ListenerSet(testChart(), 'ls', { gateway: open(undefined, 'None') })).toThrow(
      'ListenerSet "test/ls": gateway Gateway "shared" admits no ListenerSets; set allowedListeners on it',
    );
    const chart = testChart();
    const gw = open(chart, 'Same');
    expect(() => new ListenerSet(chart, 'ls', { metadata: { namespace: 'team-a' }, gateway: gw })).toThrow(
      'admits ListenerSets from its own namespace only (allowedListeners.from "Same"); create the ListenerSet in namespace infra',
    );
  });

  test('checks listeners as a Gateway does, names unique within the set only', () => {
    const chart = testChart();
    const ls = new ListenerSet(chart, 'ls', {
      gateway: open(chart),
      listeners: [{ name: 'http', protocol: 'HTTP' }],
    });
    expect(() => ls.addListener({ name: 'http', protocol: 'HTTP', port: 8080 })).toThrow(
      'ListenerSet "test/ls": listeners[1].name "http" is already used by another listener',
    );
    expect(() => ls.addListener({ name: 'tcp', protocol: 'TCP' })).toThrow(
      'listeners[1].port is required for a TCP listener',
    );
    expect(() => ls.addListener({ name: 'x', protocol: 'HTTP', hostname: 'bad_host' })).toThrow(
      'listeners[1].hostname',
    );
  });

  test('synth refuses an empty set and a listener whose port the Gateway serves with another protocol', () => {
    const empty = testChart();
    new ListenerSet(empty, 'ls', { gateway: open(empty) });
    expect(() => Testing.synth(empty)).toThrow(
      'ListenerSet: listeners must not be empty; call addListener()',
    );
    const clash = testChart();
    new ListenerSet(clash, 'ls', {
      gateway: open(clash),
      listeners: [{ name: 'raw', protocol: 'TCP', port: 80 }],
    });
    expect(() => Testing.synth(clash)).toThrow(
      'listeners[0].protocol TCP on port 80 conflicts with HTTP listener "http" of Gateway "shared"; use another port',
    );
  });

  test('refuses unknown keys, a selector without from "Selector", and a kind that contradicts the parent', () => {
    const chart = testChart();
    const gw = open(chart);
    expect(
      () =>
        new ListenerSet(chart, 'a', { gateway: { name: 'g', namspace: 'x' } as unknown as { name: string } }),
    ).toThrow('gateway.namspace is not a known field; did you mean "namespace"?');
    expect(
      () =>
        new Gateway(chart, 'g2', {
          allowedListeners: { from: 'All', selector: { team: 'a' } },
          listeners: [],
        }),
    ).toThrow('allowedListeners.selector is required with from "Selector" and only used with it');
    expect(
      () =>
        new HttpRoute(chart, 'r', {
          parentRefs: [{ gateway: gw, kind: 'ListenerSet' }],
          rules: [{ backendRefs: [{ service: 'app', port: 80 }] }],
        }),
    ).toThrow('parentRefs[0].kind is "ListenerSet" but the parent is Gateway "shared"; drop kind');
  });

  test('synth refuses a route sectionName the set does not have', () => {
    const chart = testChart();
    const ls = new ListenerSet(chart, 'ls', {
      metadata: { name: 'team' },
      gateway: open(chart),
      listeners: [{ name: 'web', protocol: 'HTTP' }],
    });
    new HttpRoute(chart, 'r', {
      parentRefs: [{ gateway: ls, sectionName: 'nope' }],
      rules: [{ backendRefs: [{ service: 'app', port: 80 }] }],
    });
    expect(() => Testing.synth(chart)).toThrow('sectionName "nope" is not a listener of ListenerSet "team"');
  });
});
