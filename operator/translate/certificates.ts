// HTTPS listener certificateRefs: resolve each Secret and check that it holds a usable PEM
// certificate and key (a malformed certificate is a listener condition, never an Envoy NACK).
import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { TlsCertificate } from '../ir/types.ts';
import type { Lookup } from './lookup.ts';
import { referenceAllowed } from './lookup.ts';
import { arr, key, obj, str } from './read.ts';

export interface CertResult {
  readonly certificates: TlsCertificate[];
  /** Undefined when every ref resolved. */
  readonly problem?: {
    readonly reason: 'InvalidCertificateRef' | 'RefNotPermitted';
    readonly message: string;
  };
}

// Parsing PEM is the slow part; memoize by content (pure: same input, same answer).
const pemCache = new Map<string, string | undefined>();

function pemProblem(certPem: string, keyPem: string): string | undefined {
  const k = certPem + '\0' + keyPem;
  if (pemCache.has(k)) return pemCache.get(k);
  let problem: string | undefined;
  try {
    if (!certPem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('tls.crt holds no PEM certificate');
    const cert = new X509Certificate(certPem);
    const pkey = createPrivateKey(keyPem);
    if (!cert.checkPrivateKey(pkey)) throw new Error('tls.key does not match the certificate in tls.crt');
  } catch (e) {
    problem = e instanceof Error ? e.message : String(e);
  }
  if (pemCache.size > 10_000) pemCache.clear();
  pemCache.set(k, problem);
  return problem;
}

function decode(v: unknown): string {
  const s = str(v);
  return s === undefined ? '' : Buffer.from(s, 'base64').toString('utf8');
}

/**
 * Resolves an HTTPS listener's certificateRefs; `sni` is the listener hostname (empty: any). `from`
 * is the Gateway or ListenerSet that holds the listener: a ReferenceGrant must name that kind.
 */
export function resolveCertificates(
  l: Lookup,
  from: { readonly kind: string; readonly namespace: string },
  refs: unknown,
  sni: readonly string[],
): CertResult {
  const certificates: TlsCertificate[] = [];
  const list = arr(refs);
  if (list.length === 0) {
    return {
      certificates,
      problem: { reason: 'InvalidCertificateRef', message: 'HTTPS listener has no certificateRefs' },
    };
  }
  for (const r of list) {
    const ref = obj(r);
    const group = str(ref.group) ?? '';
    const kind = str(ref.kind) ?? 'Secret';
    const name = str(ref.name) ?? '';
    const ns = str(ref.namespace) ?? from.namespace;
    if ((group !== '' && group !== 'core') || kind !== 'Secret') {
      const message = `certificateRef ${group}/${kind} ${name} is not supported; use a core Secret`;
      return { certificates, problem: { reason: 'InvalidCertificateRef', message } };
    }
    const to = { group: '', kind: 'Secret', namespace: ns, name };
    if (!referenceAllowed(l, from, to)) {
      const message = `Secret ${ns}/${name} is in another namespace and no ReferenceGrant allows it`;
      return { certificates, problem: { reason: 'RefNotPermitted', message } };
    }
    const secret = l.secrets.get(key(ns, name));
    if (secret === undefined) {
      return {
        certificates,
        problem: { reason: 'InvalidCertificateRef', message: `Secret ${ns}/${name} not found` },
      };
    }
    const data = obj(obj(secret).data);
    const certPem = decode(data['tls.crt']);
    const keyPem = decode(data['tls.key']);
    const bad = pemProblem(certPem, keyPem);
    if (bad !== undefined) {
      const message = `Secret ${ns}/${name} holds no valid certificate: ${bad}`;
      return { certificates, problem: { reason: 'InvalidCertificateRef', message } };
    }
    certificates.push({ secretName: key(ns, name), sniHostnames: [...sni], certPem, keyPem });
  }
  return { certificates };
}
