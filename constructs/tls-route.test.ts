import { Testing } from 'cdk8s';
import * as plus from 'cdk8s-plus-34';
import { Gateway } from './gateway.ts';
import { ReferenceGrant } from './reference-grant.ts';
import { TlsRoute } from './tls-route.ts';
import { testChart } from '../test-support/cdk8s.ts';

function setup() {
  const chart = testChart();
  const gw = new Gateway(chart, 'gw', {
    metadata: { name: 'tls-gw' },
    listeners: [
      { name: 'web', protocol: 'HTTP' },
      { name: 'tls', protocol: 'TLS', tlsMode: 'Passthrough' },
    ],
  });
  return { chart, gw };
}

describe('TlsRoute', () => {
  test('routes SNI names to a Service untouched', () => {
    const { chart, gw } = setup();
    const svc = new plus.Service(chart, 'svc', { metadata: { name: 'my-nginx' }, ports: [{ port: 443 }] });
    new TlsRoute(chart, 'route', {
      metadata: { name: 'nginx' },
      parentRefs: [{ gateway: gw, sectionName: 'tls' }],
      hostnames: ['nginx.cilium.rocks'],
      backendRefs: [
        { service: svc, weight: 3 },
        { service: 'backup', port: 8443, weight: 1 },
      ],
    });
    const obj = Testing.synth(chart).find((o) => o.kind === 'TLSRoute');
    expect(obj).toMatchSnapshot();
    expect(obj.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(obj.spec.rules).toEqual([
      {
        backendRefs: [
          { name: 'my-nginx', port: 443, weight: 3 },
          { name: 'backup', port: 8443, weight: 1 },
        ],
      },
    ]);
  });

  test.each([
    [
      'no hostnames',
      { hostnames: [], backendRefs: [{ service: 'a', port: 443 }] },
      'hostnames must list at least one SNI host name',
    ],
    [
      'a bad hostname',
      { hostnames: ['-bad.com'], backendRefs: [{ service: 'a', port: 443 }] },
      'hostnames[0] must be a lower-case DNS name',
    ],
    [
      'no backends',
      { hostnames: ['a.com'], backendRefs: [] },
      'backendRefs must list at least one backend Service',
    ],
    [
      'a bad weight',
      { hostnames: ['a.com'], backendRefs: [{ service: 'a', port: 443, weight: 2_000_000 }] },
      'backendRefs[0].weight must be an integer between 0 and 1000000',
    ],
  ])('refuses %s', (_what, props, message) => {
    expect(() => new TlsRoute(testChart(), 'route', props)).toThrow(`TlsRoute "test/route": ${message}`);
  });

  test('refuses attachment to an HTTP listener at synth time', () => {
    const { chart, gw } = setup();
    new TlsRoute(chart, 'route', {
      parentRefs: [{ gateway: gw, sectionName: 'web' }],
      hostnames: ['a.com'],
      backendRefs: [{ service: 'a', port: 443 }],
    });
    expect(() => Testing.synth(chart)).toThrow(
      'a TLSRoute cannot attach to listener web (HTTP) of Gateway "tls-gw"',
    );
  });
});

describe('ReferenceGrant', () => {
  test('lets routes of one namespace use Services of another', () => {
    const chart = testChart();
    new ReferenceGrant(chart, 'grant', {
      metadata: { name: 'allow-routes', namespace: 'backends' },
      from: [{ kind: 'HTTPRoute', namespace: 'team-a' }],
      to: [{ kind: 'Service' }, { kind: 'Secret', name: 'demo-cert' }],
    });
    const [obj] = Testing.synth(chart);
    expect(obj).toMatchSnapshot();
    expect(obj.spec.from).toEqual([
      { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'team-a' },
    ]);
    expect(obj.spec.to).toEqual([
      { group: '', kind: 'Service' },
      { group: '', kind: 'Secret', name: 'demo-cert' },
    ]);
  });

  test.each([
    [
      'empty from',
      { from: [], to: [{ kind: 'Service' as const }] },
      'from must list at least one kind and namespace',
    ],
    [
      'empty to',
      { from: [{ kind: 'HTTPRoute' as const, namespace: 'a' }], to: [] },
      'to must list at least one kind',
    ],
    [
      'a bad namespace',
      { from: [{ kind: 'HTTPRoute' as const, namespace: 'A B' }], to: [{ kind: 'Service' as const }] },
      'from[0].namespace must be a lower-case DNS subdomain',
    ],
  ])('refuses %s', (_what, props, message) => {
    expect(() => new ReferenceGrant(testChart(), 'grant', props)).toThrow(
      `ReferenceGrant "test/grant": ${message}`,
    );
  });
});
