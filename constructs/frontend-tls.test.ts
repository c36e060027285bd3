import { Testing } from 'cdk8s';
import * as plus from 'cdk8s-plus-34';
import { Gateway, type GatewayProps } from './gateway.ts';
import { testChart } from '../test-support/cdk8s.ts';

const https = { name: 'https', protocol: 'HTTPS' as const, certificateRefs: [{ name: 'cert' }] };

function synth(props: GatewayProps) {
  const chart = testChart();
  new Gateway(chart, 'gw', { metadata: { name: 'gw', namespace: 'edge' }, listeners: [https], ...props });
  return Testing.synth(chart)[0].spec;
}

describe('Gateway frontendTls', () => {
  test('writes spec.tls.frontend: default, per-port overrides, modes and cross-namespace refs', () => {
    const chart = testChart();
    const ca = new plus.ConfigMap(chart, 'ca', { metadata: { name: 'client-ca', namespace: 'edge' } });
    new Gateway(chart, 'gw', {
      metadata: { name: 'gw', namespace: 'edge' },
      listeners: [https, { ...https, name: 'b', port: 8443 }],
      frontendTls: {
        default: { caCertificateRefs: [ca] },
        perPort: [
          {
            port: 8443,
            validation: {
              caCertificateRefs: [{ name: 'other-ca', namespace: 'pki' }],
              mode: 'AllowInsecureFallback',
            },
          },
        ],
      },
    });
    const gw = Testing.synth(chart).find((o) => o.kind === 'Gateway');
    expect(gw.spec.tls).toEqual({
      frontend: {
        default: { validation: { caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'client-ca' }] } },
        perPort: [
          {
            port: 8443,
            tls: {
              validation: {
                caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'other-ca', namespace: 'pki' }],
                mode: 'AllowInsecureFallback',
              },
            },
          },
        ],
      },
    });
  });

  test('only ports: default is written empty (the API requires it); no frontendTls: no tls', () => {
    expect(synth({ frontendTls: { perPort: [{ port: 443 }] } }).tls).toEqual({
      frontend: { default: {}, perPort: [{ port: 443, tls: {} }] },
    });
    expect(synth({}).tls).toBeUndefined();
  });

  test.each([
    [
      'no refs',
      { default: { caCertificateRefs: [] } },
      /frontendTls.default.caCertificateRefs must name 1 to 16/,
    ],
    [
      '17 refs',
      { default: { caCertificateRefs: Array.from({ length: 17 }, (_, i) => ({ name: `c${i}` })) } },
      /must name 1 to 16 CA bundle ConfigMaps, got 17/,
    ],
    [
      'a bad ConfigMap name',
      { default: { caCertificateRefs: [{ name: 'Bad_Name' }] } },
      /frontendTls.default.caCertificateRefs\[0\].name/,
    ],
    [
      'an unknown mode',
      { default: { caCertificateRefs: [{ name: 'ca' }], mode: 'Sometimes' } },
      /frontendTls.default.mode must be/,
    ],
    ['port 0', { perPort: [{ port: 0 }] }, /frontendTls.perPort\[0\].port/],
    [
      'a port twice',
      { perPort: [{ port: 443 }, { port: 443 }] },
      /frontendTls.perPort\[1\].port 443 is listed twice/,
    ],
    ['a misspelt key', { defualt: {} }, /frontendTls.*defualt/],
    [
      'a misspelt validation key',
      { default: { caCertificateRefs: [{ name: 'ca' }], mdoe: 'AllowValidOnly' } },
      /mdoe/,
    ],
  ])('refuses %s', (_, frontendTls, message) => {
    expect(() => synth({ frontendTls } as unknown as GatewayProps)).toThrow(message);
  });

  test('at synth, a perPort entry without an HTTPS listener on its port is an error', () => {
    expect(() => synth({ frontendTls: { perPort: [{ port: 8443 }] } })).toThrow(
      /frontendTls.perPort\[0\].port 8443 has no HTTPS listener/,
    );
    const chart = testChart();
    const gw = new Gateway(chart, 'gw', { frontendTls: { perPort: [{ port: 8443 }] } });
    gw.addListener({ ...https, port: 8443 });
    expect(() => Testing.synth(chart)).not.toThrow();
  });
});
