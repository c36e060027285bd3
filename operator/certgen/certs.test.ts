import crypto from 'node:crypto';
import { LEAF_DAYS, makeLeaf, makeCa, renewalReason, xdsServiceDnsNames } from './certs.ts';

describe('xDS certificates', () => {
  const ca = makeCa();

  it('issues a server certificate for the xDS Service names, signed by the CA', () => {
    const names = xdsServiceDnsNames('portico-xds', 'edge');
    expect(names).toEqual([
      'portico-xds',
      'portico-xds.edge',
      'portico-xds.edge.svc',
      'portico-xds.edge.svc.cluster.local',
    ]);
    const leaf = makeLeaf(ca, { commonName: 'portico-xds', dnsNames: names, usage: 'server' });
    const cert = new crypto.X509Certificate(leaf.certPem);
    expect(cert.verify(new crypto.X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(cert.subjectAltName).toContain('DNS:portico-xds.edge.svc.cluster.local');
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(renewalReason(ca, leaf)).toBeUndefined();
  });

  it('asks for renewal near expiry, under another CA, or with a mismatched key', () => {
    const leaf = makeLeaf(ca, { commonName: 'portico-envoy', usage: 'client' });
    expect(new crypto.X509Certificate(leaf.certPem).keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    const late = new Date(Date.now() + (LEAF_DAYS - 100) * 24 * 3600 * 1000);
    expect(renewalReason(ca, leaf, late)).toMatch(/^expires /);
    expect(renewalReason(makeCa(), leaf)).toBe('not signed by the current CA');
    const other = makeLeaf(ca, { commonName: 'x', usage: 'client' });
    expect(renewalReason(ca, { certPem: leaf.certPem, keyPem: other.keyPem })).toBe('key does not match');
    expect(renewalReason(ca, { certPem: 'garbage', keyPem: '' })).toMatch(/^unreadable/);
  });

  it("issues the local lab's server certificates too, with the organization clients check", () => {
    const lab = makeCa(new Date(), 'Portico development CA');
    const leaf = makeLeaf(lab, {
      commonName: '*.cilium.rocks',
      dnsNames: ['*.cilium.rocks'],
      organization: 'cilium.rocks demo-cert',
      usage: 'server',
    });
    const cert = new crypto.X509Certificate(leaf.certPem);
    expect(cert.subject.split('\n')).toEqual(['CN=*.cilium.rocks', 'O=cilium.rocks demo-cert']);
    expect(cert.issuer).toBe('CN=Portico development CA');
    expect(cert.subjectAltName).toBe('DNS:*.cilium.rocks');
    expect(renewalReason(lab, leaf)).toBeUndefined();
  });
});
