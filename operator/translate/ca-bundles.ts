// Gateway spec.tls.frontend: the CA bundles (ConfigMaps with a `ca.crt` key) that HTTPS listeners
// check client certificates against and the listener conditions for refs that do not resolve.
import { X509Certificate } from 'node:crypto';
import type { ClientValidation } from '../ir/types.ts';
import type { Lookup } from './lookup.ts';
import { referenceAllowed } from './lookup.ts';
import { arr, int, key, obj, str } from './read.ts';
import type { Meta, Obj } from './read.ts';

type Problem = { readonly reason: string; readonly message: string };

/** What the frontend TLS config means for the HTTPS listeners of one port. */
export interface FrontendResult {
  readonly validation?: ClientValidation;
  /** ResolvedRefs=False: some ref is invalid. */
  readonly unresolved?: Problem;
  /** Accepted=False (NoValidCACertificate): no ref is usable. */
  readonly notAccepted?: Problem;
}

/** The validation config that applies to `port`: its perPort entry if any (even empty), else the default. */
function validationFor(spec: Obj, port: number): Obj | undefined {
  const frontend = obj(obj(spec.tls).frontend);
  const perPort = arr(frontend.perPort).find((p) => int(obj(p).port) === port);
  const v = perPort === undefined ? obj(frontend.default).validation : obj(obj(perPort).tls).validation;
  return v === undefined || v === null ? undefined : obj(v);
}

const isCore = (group: string) => group === '' || group === 'core';

// Parsing PEM is the slow part; memoize by content (pure: same input, same answer).
const bundleCache = new Map<string, string | undefined>();

/** Why a `ca.crt` value cannot serve as a CA bundle (every PEM block must parse), or undefined. */
export function caBundleProblem(pem: string): string | undefined {
  if (bundleCache.has(pem)) return bundleCache.get(pem);
  let problem: string | undefined;
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) problem = 'ca.crt holds no PEM certificate';
  else
    try {
      for (const b of blocks) new X509Certificate(b);
    } catch (e) {
      problem = `ca.crt: ${e instanceof Error ? e.message : String(e)}`;
    }
  if (bundleCache.size > 1_000) bundleCache.clear();
  bundleCache.set(pem, problem);
  return problem;
}

/** The CA bundle of ConfigMap `ns/name` (newline-terminated PEM), or why it has none. */
export function caBundle(l: Lookup, ns: string, name: string): { pem: string } | { bad: string } {
  const cm = l.configMaps.get(key(ns, name));
  const pem = str(obj(obj(cm).data)['ca.crt']);
  if (cm === undefined) return { bad: `ConfigMap ${ns}/${name} not found` };
  if (pem === undefined) return { bad: `ConfigMap ${ns}/${name} has no key ca.crt` };
  const problem = caBundleProblem(pem);
  if (problem !== undefined) return { bad: `ConfigMap ${ns}/${name}: ${problem}` };
  return { pem: pem.endsWith('\n') ? pem : `${pem}\n` };
}

/** Resolves the frontend validation of one Gateway port (undefined: no client certificates asked for). */
export function frontendValidation(l: Lookup, gw: Meta, spec: Obj, port: number): FrontendResult | undefined {
  const v = validationFor(spec, port);
  if (!v) return undefined;
  const refs = arr(v.caCertificateRefs);
  const pems: string[] = [];
  let unresolved: Problem | undefined;
  const fail = (p: Problem) => (unresolved ??= p);
  if (refs.length === 0) fail({ reason: 'InvalidCACertificateRef', message: 'caCertificateRefs is empty' });
  for (const r of refs) {
    const ref = obj(r);
    const group = str(ref.group) ?? '';
    const kind = str(ref.kind) ?? '';
    const name = str(ref.name) ?? '';
    const ns = str(ref.namespace) ?? gw.namespace;
    if (!isCore(group) || kind !== 'ConfigMap') {
      fail({
        reason: 'InvalidCACertificateKind',
        message: `caCertificateRef ${group || 'core'}/${kind} ${name} is not supported; use a ConfigMap with a ca.crt key`,
      });
      continue;
    }
    const to = { group: '', kind: 'ConfigMap', namespace: ns, name };
    if (!referenceAllowed(l, { kind: 'Gateway', namespace: gw.namespace }, to)) {
      fail({
        reason: 'RefNotPermitted',
        message: `ConfigMap ${ns}/${name} is in another namespace and no ReferenceGrant allows it`,
      });
      continue;
    }
    const bundle = caBundle(l, ns, name);
    if ('bad' in bundle) {
      fail({ reason: 'InvalidCACertificateRef', message: bundle.bad });
      continue;
    }
    pems.push(bundle.pem);
  }
  if (pems.length === 0) {
    const why = unresolved?.message ?? 'no caCertificateRefs';
    return {
      ...(unresolved ? { unresolved } : {}),
      notAccepted: { reason: 'NoValidCACertificate', message: `no usable CA certificate: ${why}` },
    };
  }
  const validation: ClientValidation = {
    name: `${gw.namespace}/${gw.name}/${port}/client-ca`,
    caPem: pems.join(''),
    allowInsecure: str(v.mode) === 'AllowInsecureFallback',
  };
  return { validation, ...(unresolved ? { unresolved } : {}) };
}

/** The InsecureFrontendValidationMode message when any validation allows insecure fallback. */
export function insecureFallback(spec: Obj): string | undefined {
  const frontend = obj(obj(spec.tls).frontend);
  const where: string[] = [];
  if (obj(obj(frontend.default).validation).mode === 'AllowInsecureFallback') where.push('default');
  for (const p of arr(frontend.perPort))
    if (obj(obj(obj(p).tls).validation).mode === 'AllowInsecureFallback')
      where.push(`port ${int(obj(p).port) ?? '?'}`);
  return where.length === 0
    ? undefined
    : `client certificate validation allows insecure fallback (${where.join(', ')}): clients without a valid certificate are let through`;
}
