import { Testing } from 'cdk8s';
import * as plus from 'cdk8s-plus-34';
import { BackendTlsPolicy, type BackendTlsPolicyProps } from './backend-tls-policy.ts';
import { Gateway } from './gateway.ts';
import { testChart } from '../test-support/cdk8s.ts';

const base: BackendTlsPolicyProps = {
  metadata: { name: 'shop-tls', namespace: 'shop' },
  targets: [{ service: 'shop', sectionName: 'https' }],
  hostname: 'shop.example.com',
  caCertificateConfigMaps: ['shop-ca'],
};

describe('BackendTlsPolicy', () => {
  test('synthesizes targetRefs and validation', () => {
    const chart = testChart();
    new BackendTlsPolicy(chart, 'tls', {
      ...base,
      subjectAltNames: [
        { type: 'Hostname', hostname: 'shop.example.com' },
        { type: 'URI', uri: 'spiffe://example.com/shop' },
      ],
    });
    const [obj] = Testing.synth(chart);
    expect(obj).toMatchSnapshot();
    expect(obj.kind).toBe('BackendTLSPolicy');
    expect(obj.spec.targetRefs).toEqual([{ group: '', kind: 'Service', name: 'shop', sectionName: 'https' }]);
    expect(obj.spec.validation).toEqual({
      caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'shop-ca' }],
      hostname: 'shop.example.com',
      subjectAltNames: [
        { type: 'Hostname', hostname: 'shop.example.com' },
        { type: 'URI', uri: 'spiffe://example.com/shop' },
      ],
    });
  });

  test.each<[string, Partial<BackendTlsPolicyProps>, string]>([
    ['no target', { targets: [] }, 'targets must name at least one Service'],
    [
      'a repeated target',
      { targets: [{ service: 'a' }, { service: 'a' }] },
      'targets[1] repeats Service "a"',
    ],
    [
      'a bad port name',
      { targets: [{ service: 'a', sectionName: 'HTTPS' }] },
      'targets[0].sectionName must be',
    ],
    ['a wildcard hostname', { hostname: '*.example.com' }, 'hostname must be a precise name'],
    ['an IP hostname', { hostname: '10.0.0.1' }, 'hostname must be a lower-case DNS name'],
    ['no CA', { caCertificateConfigMaps: [] }, 'caCertificateConfigMaps must name at least one ConfigMap'],
    [
      'a URI without scheme',
      { subjectAltNames: [{ type: 'URI', uri: 'shop' }] },
      'subjectAltNames[0] must be',
    ],
    [
      'a bad SAN hostname',
      { subjectAltNames: [{ type: 'Hostname', hostname: 'a b' }] },
      'subjectAltNames[0].hostname',
    ],
    ['an unknown key', { hostnme: 'x' } as Partial<BackendTlsPolicyProps>, 'hostnme'],
  ])('refuses %s', (_, change, message) => {
    expect(() => new BackendTlsPolicy(testChart(), 'tls', { ...base, ...change })).toThrow(message);
  });
});

describe('Gateway backendClientCertificate', () => {
  test('becomes spec.tls.backend.clientCertificateRef', () => {
    const chart = testChart();
    const secret = new plus.Secret(chart, 'client', { metadata: { name: 'client', namespace: 'certs' } });
    new Gateway(chart, 'a', {
      metadata: { name: 'a', namespace: 'infra' },
      listeners: [{ name: 'http', protocol: 'HTTP' }],
      backendClientCertificate: secret,
    });
    new Gateway(chart, 'b', {
      metadata: { name: 'b', namespace: 'infra' },
      listeners: [{ name: 'http', protocol: 'HTTP' }],
      backendClientCertificate: { name: 'client' },
    });
    const gws = Testing.synth(chart).filter((o) => o.kind === 'Gateway');
    expect(gws.map((g) => g.spec.tls)).toEqual([
      {
        backend: { clientCertificateRef: { group: '', kind: 'Secret', name: 'client', namespace: 'certs' } },
      },
      { backend: { clientCertificateRef: { group: '', kind: 'Secret', name: 'client' } } },
    ]);
  });

  test('refuses a bad Secret name', () => {
    expect(
      () =>
        new Gateway(testChart(), 'a', {
          listeners: [{ name: 'http', protocol: 'HTTP' }],
          backendClientCertificate: { name: 'Client_Cert' },
        }),
    ).toThrow('backendClientCertificate.name must be a lower-case DNS subdomain');
  });
});
