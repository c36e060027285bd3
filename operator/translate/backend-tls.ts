// BackendTLSPolicy: which Service ports Envoy speaks TLS to (SNI, CA bundle from ConfigMaps,
// subject alt names), which policy wins a contested target (oldest, then namespace/name), and
// each policy's conditions on the Gateways whose routes use its Services (its ancestors).
// Also the Gateway's own client certificate for those connections (spec.tls.backend).
import type { Condition } from '../api/index.ts';
import { GATEWAY_GROUP } from '../api/index.ts';
import type { SubjectAltName, TlsCertificate, UpstreamTls } from '../ir/types.ts';
import type { Attachment } from './attach.ts';
import { caBundle } from './ca-bundles.ts';
import { resolveCertificates } from './certificates.ts';
import { carryTransitionTimes, condition, readConditions } from './conditions.ts';
import type { GatewayModel, Problem } from './gateways.ts';
import type { Lookup } from './lookup.ts';
import { arr, byString, int, key, meta, obj, str } from './read.ts';
import type { Meta } from './read.ts';
import { CONTROLLER_NAME } from './types.ts';
import type { Snapshot } from './types.ts';
import type { PolicyStatusResult } from './policy-ancestors.ts';
import { sameAncestor } from './policy-ancestors.ts';

interface PolicyModel {
  readonly meta: Meta;
  readonly raw: unknown;
  /** `namespace/service#sectionName` (empty section: the whole Service). */
  readonly targets: readonly string[];
  readonly tls: UpstreamTls;
  /** Accepted=False, if so. */
  readonly notAccepted?: Problem;
  /** ResolvedRefs=False, if so. */
  readonly unresolved?: Problem;
  conflicted?: boolean;
}

export interface BackendTlsModel {
  readonly policies: readonly PolicyModel[];
  /** TLS for a Service port, from the winning policy on its section, else on the whole Service. */
  tlsFor(namespace: string, service: string, port: number): UpstreamTls | undefined;
}

function subjectAltNames(v: unknown): SubjectAltName[] {
  const out: SubjectAltName[] = [];
  for (const x of arr(v)) {
    const o = obj(x);
    const type = str(o.type);
    const value = type === 'Hostname' ? str(o.hostname) : type === 'URI' ? str(o.uri) : undefined;
    if ((type === 'Hostname' || type === 'URI') && value) out.push({ type, value });
  }
  return out.sort((a, b) => byString(`${a.type}|${a.value}`, `${b.type}|${b.value}`));
}

function buildPolicy(raw: unknown, l: Lookup): PolicyModel {
  const md = meta(raw);
  const spec = obj(obj(raw).spec);
  const v = obj(spec.validation);
  const targets: string[] = [];
  for (const t of arr(spec.targetRefs)) {
    const ref = obj(t);
    if ((str(ref.group) ?? '') !== '' || str(ref.kind) !== 'Service' || !str(ref.name)) continue;
    targets.push(`${key(md.namespace, str(ref.name) ?? '')}#${str(ref.sectionName) ?? ''}`);
  }
  const sni = (str(v.hostname) ?? '').toLowerCase();
  const pems: string[] = [];
  const problems: Problem[] = [];
  const refs = arr(v.caCertificateRefs);
  for (const r of refs) {
    const ref = obj(r);
    const group = str(ref.group) ?? '';
    const kind = str(ref.kind) ?? '';
    const name = str(ref.name) ?? '';
    if ((group !== '' && group !== 'core') || kind !== 'ConfigMap') {
      const message = `caCertificateRef ${group}/${kind} ${name} is not supported; use a core ConfigMap`;
      problems.push({ reason: 'InvalidKind', message });
      continue;
    }
    const bundle = caBundle(l, md.namespace, name);
    if ('bad' in bundle) problems.push({ reason: 'InvalidCACertificateRef', message: bundle.bad });
    else pems.push(bundle.pem.trim());
  }
  const wellKnown = str(v.wellKnownCACertificates);
  let notAccepted: Problem | undefined;
  if (wellKnown)
    notAccepted = {
      reason: 'Invalid',
      message: `wellKnownCACertificates ${wellKnown} is not supported: reference a ConfigMap in caCertificateRefs`,
    };
  else if (pems.length === 0)
    notAccepted = {
      reason: 'NoValidCACertificate',
      message: `no valid CA certificate: ${problems.map((p) => p.message).join('; ') || 'none referenced'}`,
    };
  const unresolved = problems[0]
    ? { reason: problems[0].reason, message: problems.map((p) => p.message).join('; ') }
    : undefined;
  // Any invalid reference must make connections fail (the spec), never fall back to plaintext.
  const refused = notAccepted !== undefined || unresolved !== undefined;
  const tls: UpstreamTls = {
    sni,
    caPem: pems.length ? `${pems.join('\n')}\n` : '',
    subjectAltNames: subjectAltNames(v.subjectAltNames),
    ...(refused ? { refused } : {}),
  };
  return {
    meta: md,
    raw,
    targets,
    tls,
    ...(notAccepted ? { notAccepted } : {}),
    ...(unresolved ? { unresolved } : {}),
  };
}

/** Policies resolved against their ConfigMaps, conflicts decided. */
export function buildBackendTls(s: Snapshot, l: Lookup): BackendTlsModel {
  const raws = arr(s.backendTlsPolicies).filter((p) => meta(p).name);
  if (raws.length === 0) return { policies: [], tlsFor: () => undefined };
  const policies = raws.map((p) => buildPolicy(p, l));
  // The spec: the oldest policy wins a target, then the first by namespace/name.
  const order = [...policies].sort(
    (a, b) =>
      byString(a.meta.creationTimestamp, b.meta.creationTimestamp) ||
      byString(key(a.meta.namespace, a.meta.name), key(b.meta.namespace, b.meta.name)),
  );
  const winners = new Map<string, PolicyModel>();
  for (const p of order) {
    if (p.targets.some((t) => winners.has(t))) p.conflicted = true;
    else for (const t of p.targets) winners.set(t, p);
  }
  return {
    policies,
    tlsFor(namespace, service, port) {
      const svc = l.services.get(key(namespace, service));
      const sp = arr(obj(obj(svc).spec).ports).find((x) => int(obj(x).port) === port);
      const section = str(obj(sp).name) ?? '';
      const base = key(namespace, service);
      return ((section && winners.get(`${base}#${section}`)) || winners.get(`${base}#`))?.tls;
    },
  };
}

function policyConditions(p: PolicyModel, now: string): Condition[] {
  const gen = p.meta.generation;
  const accepted = p.conflicted
    ? condition(
        'Accepted',
        false,
        'Conflicted',
        'an older policy targets the same Service and section',
        gen,
        now,
      )
    : p.notAccepted
      ? condition('Accepted', false, p.notAccepted.reason, p.notAccepted.message, gen, now)
      : condition('Accepted', true, 'Accepted', 'Policy is accepted', gen, now);
  const resolved = p.unresolved
    ? condition('ResolvedRefs', false, p.unresolved.reason, p.unresolved.message, gen, now)
    : condition('ResolvedRefs', true, 'ResolvedRefs', 'All references are resolved', gen, now);
  return [accepted, resolved];
}

/** Each policy's conditions on every Portico Gateway whose attached routes use a targeted Service. */
export function backendTlsPolicyStatuses(
  model: BackendTlsModel,
  /** Every attachment, in route order: asked for only when some policy exists. */
  attachments: () => readonly Attachment[],
  now: string,
): PolicyStatusResult[] {
  if (model.policies.length === 0) return [];
  // Only Services some policy targets: walking every route's backends costs time at 10,000 routes.
  const targeted = new Set(model.policies.flatMap((p) => p.targets.map((t) => t.split('#')[0] ?? '')));
  // Service `namespace/name` -> Gateways whose attached routes send to it.
  const users = new Map<string, Map<string, GatewayModel>>();
  for (const a of attachments())
    for (const svc of a.route.clusters.values()) {
      const k = key(svc.namespace, svc.name);
      if (!targeted.has(k)) continue;
      const m = users.get(k) ?? new Map<string, GatewayModel>();
      m.set(key(a.gateway.meta.namespace, a.gateway.meta.name), a.gateway);
      users.set(k, m);
    }
  const out: PolicyStatusResult[] = [];
  for (const p of model.policies) {
    const gws = new Map<string, GatewayModel>();
    for (const t of p.targets) for (const [k, gw] of users.get(t.split('#')[0] ?? '') ?? []) gws.set(k, gw);
    if (gws.size === 0) continue;
    const prev = arr(obj(obj(p.raw).status).ancestors);
    const conditions = policyConditions(p, now);
    // status.ancestors holds at most 16 entries.
    const ancestors = [...gws.keys()]
      .sort(byString)
      .slice(0, 16)
      .map((k) => {
        const gw = gws.get(k)!;
        const ancestorRef = {
          group: GATEWAY_GROUP,
          kind: 'Gateway' as const,
          namespace: gw.meta.namespace,
          name: gw.meta.name,
        };
        const old = prev.find(
          (x) => obj(x).controllerName === CONTROLLER_NAME && sameAncestor(obj(x).ancestorRef, ancestorRef),
        );
        return {
          ancestorRef,
          controllerName: CONTROLLER_NAME,
          conditions: carryTransitionTimes(readConditions(obj(old).conditions), conditions),
        };
      });
    out.push({ namespace: p.meta.namespace, name: p.meta.name, ancestors });
  }
  return out.sort((a, b) => byString(key(a.namespace, a.name), key(b.namespace, b.name)));
}

export interface BackendClientCertificate {
  readonly certificate?: TlsCertificate;
  /** Gateway ResolvedRefs=False, if so. */
  readonly problem?: Problem;
}

/** spec.tls.backend.clientCertificateRef: a core Secret with tls.crt and tls.key (undefined: none set). */
export function resolveBackendClientCertificate(
  l: Lookup,
  gatewayNamespace: string,
  spec: unknown,
): BackendClientCertificate | undefined {
  const ref = obj(obj(obj(obj(spec).tls).backend).clientCertificateRef);
  if (Object.keys(ref).length === 0) return undefined;
  const r = resolveCertificates(l, { kind: 'Gateway', namespace: gatewayNamespace }, [ref], []);
  if (r.problem) {
    const reason = r.problem.reason === 'RefNotPermitted' ? 'RefNotPermitted' : 'InvalidClientCertificateRef';
    return { problem: { reason, message: `tls.backend.clientCertificateRef: ${r.problem.message}` } };
  }
  return r.certificates[0] ? { certificate: r.certificates[0] } : undefined;
}
