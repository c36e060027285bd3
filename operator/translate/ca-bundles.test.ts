// Gateway tls.frontend: client certificate validation per HTTPS port, and its conditions.
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { Gateway } from '../api/index.ts';
import { CERT_PEM, gateway, referenceGrant, tlsSecret } from '../../test-support/translate/fixtures.ts';
import { cond, listener, snap } from '../../test-support/translate/scenario-helpers.ts';
import { translate } from './translate.ts';
import type { Snapshot } from './types.ts';

const caMap = (name: string, ns = 'default', data: Record<string, string> = { 'ca.crt': CERT_PEM }) =>
  ({ metadata: { name, namespace: ns }, data }) as V1ConfigMap;
const ref = (name: string, extra: Record<string, string> = {}) => ({
  group: '',
  kind: 'ConfigMap',
  name,
  ...extra,
});
type Validation = { caCertificateRefs: Record<string, string>[]; mode?: string };

function gw(frontend: { default: { validation?: Validation }; perPort?: unknown[] }): Gateway {
  const g = gateway('my-gateway', [
    { name: 'https', protocol: 'HTTPS', port: 443, tls: { certificateRefs: [{ name: 'cert' }] } },
    {
      name: 'https-b',
      protocol: 'HTTPS',
      port: 8443,
      hostname: 'b.example.com',
      tls: { certificateRefs: [{ name: 'cert' }] },
    },
    { name: 'http', protocol: 'HTTP', port: 80 },
  ]);
  return { ...g, spec: { ...g.spec, tls: { frontend } } } as Gateway;
}

const run = (g: Gateway, p: Partial<Snapshot> = {}) =>
  translate(
    snap({ gateways: [g], secrets: [tlsSecret('cert')], configMaps: [caMap('ca'), caMap('ca2')], ...p }),
  );
const https = (r: ReturnType<typeof run>, port: number) =>
  r.ir.httpListeners.find((l) => l.port === port && l.protocol === 'HTTPS');
const conds = (r: ReturnType<typeof run>, l: string) => {
  const cs = listener(r, 'my-gateway', l)?.conditions;
  return ['Accepted', 'ResolvedRefs', 'Programmed'].map((t) => cond(cs, t)).join(' ');
};

describe('Gateway tls.frontend', () => {
  it('the default validation goes to every HTTPS port, never to HTTP', () => {
    const r = run(gw({ default: { validation: { caCertificateRefs: [ref('ca')] } } }));
    expect(https(r, 443)?.clientValidation).toEqual({
      name: 'default/my-gateway/443/client-ca',
      caPem: CERT_PEM.endsWith('\n') ? CERT_PEM : `${CERT_PEM}\n`,
      allowInsecure: false,
    });
    expect(https(r, 8443)?.clientValidation?.name).toBe('default/my-gateway/8443/client-ca');
    expect(r.ir.httpListeners.find((l) => l.protocol === 'HTTP')?.clientValidation).toBeUndefined();
    expect(conds(r, 'https')).toBe('True/Accepted True/ResolvedRefs True/Programmed');
  });

  it('no tls.frontend, or a perPort entry without validation, asks for no client certificate', () => {
    const g = gateway('my-gateway', [
      { name: 'https', protocol: 'HTTPS', port: 443, tls: { certificateRefs: [{ name: 'cert' }] } },
    ]);
    expect(https(run(g), 443)?.clientValidation).toBeUndefined();
    const r = run(
      gw({
        default: { validation: { caCertificateRefs: [ref('ca')] } },
        perPort: [{ port: 8443, tls: {} }],
      }),
    );
    expect(https(r, 443)?.clientValidation).toBeDefined();
    expect(https(r, 8443)?.clientValidation).toBeUndefined();
  });

  it('a perPort entry overrides the default on its port only; its mode is its own', () => {
    const r = run(
      gw({
        default: { validation: { caCertificateRefs: [ref('ca')] } },
        perPort: [
          {
            port: 8443,
            tls: { validation: { caCertificateRefs: [ref('ca2')], mode: 'AllowInsecureFallback' } },
          },
        ],
      }),
    );
    expect(https(r, 443)?.clientValidation?.allowInsecure).toBe(false);
    expect(https(r, 8443)?.clientValidation?.allowInsecure).toBe(true);
    const status = r.gatewayStatuses[0]?.status;
    expect(cond(status?.conditions, 'InsecureFrontendValidationMode')).toBe('True/ConfigurationChanged');
  });

  it('InsecureFrontendValidationMode is absent while every mode is AllowValidOnly', () => {
    const r = run(
      gw({ default: { validation: { caCertificateRefs: [ref('ca')], mode: 'AllowValidOnly' } } }),
    );
    expect(cond(r.gatewayStatuses[0]?.status.conditions, 'InsecureFrontendValidationMode')).toBe('missing');
  });

  it.each([
    ['a missing ConfigMap', [ref('nope')], {}, 'InvalidCACertificateRef'],
    ['a ConfigMap without ca.crt', [ref('empty')], {}, 'InvalidCACertificateRef'],
    ['a ConfigMap whose ca.crt is no certificate', [ref('junk')], {}, 'InvalidCACertificateRef'],
    [
      'a kind other than ConfigMap',
      [{ group: '', kind: 'Service', name: 'web' }],
      {},
      'InvalidCACertificateKind',
    ],
    [
      'a ConfigMap in another group',
      [{ group: 'example.com', kind: 'ConfigMap', name: 'ca' }],
      {},
      'InvalidCACertificateKind',
    ],
    [
      'another namespace without a ReferenceGrant',
      [ref('ca', { namespace: 'other' })],
      {},
      'RefNotPermitted',
    ],
  ])('%s: that port is not accepted (NoValidCACertificate), the others serve', (_, refs, _x, reason) => {
    const r = run(
      gw({
        default: { validation: { caCertificateRefs: [ref('ca')] } },
        perPort: [{ port: 8443, tls: { validation: { caCertificateRefs: refs } } }],
      }),
      {
        configMaps: [
          caMap('ca'),
          caMap('ca', 'other'),
          caMap('empty', 'default', { other: 'x' }),
          caMap('junk', 'default', { 'ca.crt': 'not a certificate' }),
        ],
      },
    );
    expect(conds(r, 'https-b')).toBe(`False/NoValidCACertificate False/${reason} False/Invalid`);
    expect(https(r, 8443)).toBeUndefined();
    expect(conds(r, 'https')).toBe('True/Accepted True/ResolvedRefs True/Programmed');
    expect(conds(r, 'http')).toBe('True/Accepted True/ResolvedRefs True/Programmed');
    expect(cond(r.gatewayStatuses[0]?.status.conditions, 'Accepted')).toBe('True/ListenersNotValid');
    // The refused port leaves the Gateway's Service.
    expect(r.ownedServices[0]?.ports.map((p) => p.port)).toEqual([80, 443]);
  });

  it('a ReferenceGrant admits a ConfigMap in another namespace', () => {
    const grant = referenceGrant('g', 'other', {
      from: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'default' }],
      to: [{ group: '', kind: 'ConfigMap', name: 'ca' }],
    });
    const r = run(
      gw({ default: { validation: { caCertificateRefs: [ref('ca', { namespace: 'other' })] } } }),
      {
        configMaps: [caMap('ca', 'other')],
        referenceGrants: [grant],
      },
    );
    expect(conds(r, 'https')).toBe('True/Accepted True/ResolvedRefs True/Programmed');
    expect(https(r, 443)?.clientValidation).toBeDefined();
  });

  it('one bad ref among good ones: ResolvedRefs False, still accepted with the good CAs', () => {
    const r = run(gw({ default: { validation: { caCertificateRefs: [ref('ca'), ref('nope')] } } }));
    expect(conds(r, 'https')).toBe('True/Accepted False/InvalidCACertificateRef False/Invalid');
    expect(https(r, 443)?.clientValidation?.caPem).toContain('BEGIN CERTIFICATE');
  });

  it('an invalid default refuses the HTTPS listeners and leaves HTTP alone', () => {
    const r = run(gw({ default: { validation: { caCertificateRefs: [ref('does-not-exist')] } } }));
    expect(conds(r, 'https')).toBe('False/NoValidCACertificate False/InvalidCACertificateRef False/Invalid');
    expect(conds(r, 'http')).toBe('True/Accepted True/ResolvedRefs True/Programmed');
    expect(r.ir.httpListeners.map((l) => l.protocol)).toEqual(['HTTP']);
  });

  it('a ConfigMap that appears later is picked up (the Gateway memo keys on ConfigMaps)', () => {
    const g = gw({ default: { validation: { caCertificateRefs: [ref('late')] } } });
    expect(conds(run(g), 'https')).toBe(
      'False/NoValidCACertificate False/InvalidCACertificateRef False/Invalid',
    );
    expect(conds(run(g, { configMaps: [caMap('late')] }), 'https')).toBe(
      'True/Accepted True/ResolvedRefs True/Programmed',
    );
  });
});
