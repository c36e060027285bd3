// Portico's one X.509 issuer: the xDS channel's CA and leaves (certgen), and the local cluster's
// demo certificates. Pure apart from randomness; keys come from node:crypto (fast), X.509 from forge
// (node:crypto reads certificates but cannot sign them).
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import type forge from 'node-forge';

/** A certificate and its key, PEM. */
export interface CertKey {
  readonly certPem: string;
  readonly keyPem: string;
}

// Loaded on first use: the operator imports certgen but only the certgen Job issues certificates
// (forge's modules are about 2 MiB of the operator's heap).
let loaded: typeof forge | undefined;
const lib = (): typeof forge => (loaded ??= createRequire(import.meta.url)('node-forge') as typeof forge);

const DAY = 24 * 3600 * 1000;

/** Validity of each certificate; leaves are renewed once less than a third of theirs is left. */
export const CA_DAYS = 3650;
export const LEAF_DAYS = 365;

function rsaKey(): forge.pki.rsa.KeyPair {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const priv = lib().pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
  return { privateKey: priv, publicKey: lib().pki.setRsaPublicKey(priv.n, priv.e) };
}

function serial(): string {
  return '01' + crypto.randomBytes(15).toString('hex');
}

function toPem(cert: forge.pki.Certificate, key: forge.pki.rsa.PrivateKey): CertKey {
  return { certPem: lib().pki.certificateToPem(cert), keyPem: lib().pki.privateKeyToPem(key) };
}

/** A CA: the one that signs both ends of the xDS channel (and nothing else), or a local demo CA. */
export function makeCa(now = new Date(), commonName = 'portico-xds-ca'): CertKey {
  const keys = rsaKey();
  const cert = lib().pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(now.getTime() - 3600 * 1000);
  cert.validity.notAfter = new Date(now.getTime() + CA_DAYS * DAY);
  const subject = [{ name: 'commonName', value: commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, lib().md.sha256.create());
  return toPem(cert, keys.privateKey);
}

export interface LeafOptions {
  commonName: string;
  /** The subject's O, which TLS clients of the local lab check. */
  organization?: string;
  /** Server: the DNS names clients dial. Client certificates carry none. */
  dnsNames?: string[];
  usage: 'server' | 'client';
  now?: Date;
}

/** A server or client certificate signed by `ca`. */
export function makeLeaf(ca: CertKey, opts: LeafOptions): CertKey {
  const caCert = lib().pki.certificateFromPem(ca.certPem);
  const caKey = lib().pki.privateKeyFromPem(ca.keyPem);
  const now = opts.now ?? new Date();
  const keys = rsaKey();
  const cert = lib().pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(now.getTime() - 3600 * 1000);
  cert.validity.notAfter = new Date(now.getTime() + LEAF_DAYS * DAY);
  cert.setSubject([
    { name: 'commonName', value: opts.commonName },
    ...(opts.organization ? [{ name: 'organizationName', value: opts.organization }] : []),
  ]);
  cert.setIssuer(caCert.subject.attributes);
  const extensions: object[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    opts.usage === 'server'
      ? { name: 'extKeyUsage', serverAuth: true }
      : { name: 'extKeyUsage', clientAuth: true },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ];
  if (opts.dnsNames?.length)
    extensions.push({ name: 'subjectAltName', altNames: opts.dnsNames.map((value) => ({ type: 2, value })) });
  cert.setExtensions(extensions);
  cert.sign(caKey, lib().md.sha256.create());
  return toPem(cert, keys.privateKey);
}

/** Why `leaf` must be reissued under `ca` at `now`, or undefined if it is still good. */
export function renewalReason(ca: CertKey, leaf: CertKey, now = new Date()): string | undefined {
  let caCert: crypto.X509Certificate;
  let cert: crypto.X509Certificate;
  try {
    caCert = new crypto.X509Certificate(ca.certPem);
    cert = new crypto.X509Certificate(leaf.certPem);
  } catch (err) {
    return `unreadable certificate (${(err as Error).message})`;
  }
  if (!cert.verify(caCert.publicKey)) return 'not signed by the current CA';
  if (!cert.checkPrivateKey(crypto.createPrivateKey(leaf.keyPem))) return 'key does not match';
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  const left = to - now.getTime();
  if (left < (to - from) / 3) return `expires ${cert.validTo}`;
  return undefined;
}

/** The names Envoy may dial the xDS Service by, shortest first. */
export function xdsServiceDnsNames(
  service: string,
  namespace: string,
  clusterDomain = 'cluster.local',
): string[] {
  return [
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.${clusterDomain}`,
  ];
}
