// The pure LoadBalancer IP allocator. State lives in the cluster (Service status), so feeding
// it the live objects after a restart reproduces the same assignments.
import type { Condition } from '../api/index.ts';
import { carryTransitionTimes, condition, readConditions } from '../translate/conditions.ts';
import { arr, bool, byString, key, meta, obj, show, str } from '../translate/read.ts';
import type { Meta } from '../translate/read.ts';
import { labelSelectorMatches } from '../translate/selector.ts';
import { formatIp, parseCidr, parseIp } from '../../constructs/ip.ts';
import { LB_IPS_ANNOTATION } from '../../constructs/names.ts';
import type { Family, Range } from '../../constructs/ip.ts';

export const LB_CLASS = 'portico.dev/lb';
export { IPAM_CONDITION } from '../../constructs/names.ts';
import { IPAM_CONDITION } from '../../constructs/names.ts';
export const POOL_CONFLICT_CONDITION = 'Conflicting';

export interface IpamInput {
  /** LoadBalancerIPPool objects (portico.dev/v1alpha1) as the API server returns them. */
  readonly pools: readonly unknown[];
  /** All Services (those Portico does not handle are ignored). */
  readonly services: readonly unknown[];
  readonly now?: string;
}

export interface ServiceAssignment {
  readonly namespace: string;
  readonly name: string;
  /** The desired `status.loadBalancer.ingress`, canonical text, IPv4 first. */
  readonly ips: readonly string[];
  /** The `portico.dev/IPAMRequestSatisfied` condition for `status.conditions`. */
  readonly condition: Condition;
}

export interface PoolStatus {
  readonly name: string;
  readonly status: {
    readonly ipCounts: { readonly total: number; readonly used: number; readonly available: number };
    readonly conditions: Condition[];
  };
}

export interface IpamResult {
  readonly services: readonly ServiceAssignment[];
  readonly pools: readonly PoolStatus[];
}

interface Pool {
  readonly meta: Meta;
  readonly raw: unknown;
  readonly ranges: Range[];
  readonly selector: unknown;
  readonly disabled: boolean;
  invalid?: string;
  conflictsWith?: string;
  used: number;
}

/** Does Portico assign addresses to this Service? */
export function handlesService(svc: unknown): boolean {
  const spec = obj(obj(svc).spec);
  const cls = spec.loadBalancerClass;
  return spec.type === 'LoadBalancer' && (cls === undefined || cls === null || cls === LB_CLASS);
}

function poolRanges(p: Pool, spec: Readonly<Record<string, unknown>>): void {
  const allowFirstLast = spec.allowFirstLastIPs === true || spec.allowFirstLastIPs === 'Yes';
  for (const b of arr(spec.blocks)) {
    const o = obj(b);
    if (o.cidr !== undefined) {
      const c = parseCidr(o.cidr);
      if (!c) {
        p.invalid = `invalid cidr ${show(o.cidr)}`;
        continue;
      }
      const bits = c.family === 4 ? 32 : 128;
      // Network and broadcast addresses are skipped, except where a block has no others.
      const trim = !allowFirstLast && c.prefix < bits - 1 ? 1n : 0n;
      p.ranges.push({ family: c.family, first: c.first + trim, last: c.last - trim });
    } else {
      const start = parseIp(o.start);
      const stop = parseIp(o.stop);
      if (!start || !stop || start.family !== stop.family || start.value > stop.value) {
        p.invalid = `invalid range ${show(o.start)}-${show(o.stop)}`;
        continue;
      }
      p.ranges.push({ family: start.family, first: start.value, last: stop.value });
    }
  }
}

function overlaps(a: readonly Range[], b: readonly Range[]): boolean {
  return a.some((x) => b.some((y) => x.family === y.family && x.first <= y.last && y.first <= x.last));
}

function byAge(a: Meta, b: Meta): number {
  return byString(a.creationTimestamp, b.creationTimestamp) || byString(a.name, b.name);
}

function readPools(raw: readonly unknown[]): Pool[] {
  const pools: Pool[] = [];
  const names = new Set<string>();
  for (const r of arr(raw)) {
    const m = meta(r);
    if (!m.name || names.has(m.name)) continue;
    names.add(m.name);
    const spec = obj(obj(r).spec);
    // A missing selector means every Service, as the CRD documents.
    const selector =
      spec.serviceSelector === undefined || spec.serviceSelector === null ? {} : spec.serviceSelector;
    const p: Pool = {
      meta: m,
      raw: r,
      ranges: [],
      selector,
      disabled: bool(spec.disabled) ?? false,
      used: 0,
    };
    poolRanges(p, spec);
    pools.push(p);
  }
  pools.sort((a, b) => byAge(a.meta, b.meta));
  // The newer of two overlapping pools is the one marked Conflicting and not used.
  for (let i = 0; i < pools.length; i++) {
    const p = pools[i];
    if (!p) continue;
    const older = pools.slice(0, i).find((q) => !q.conflictsWith && overlaps(p.ranges, q.ranges));
    if (older) p.conflictsWith = older.meta.name;
  }
  return pools;
}

function usable(p: Pool): boolean {
  return !p.conflictsWith && p.invalid === undefined;
}

function contains(p: Pool, family: Family, v: bigint): boolean {
  return p.ranges.some((r) => r.family === family && r.first <= v && v <= r.last);
}

function size(p: Pool): bigint {
  return p.ranges.reduce((n, r) => n + (r.last >= r.first ? r.last - r.first + 1n : 0n), 0n);
}

function capped(n: bigint): number {
  return n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
}

interface Svc {
  readonly meta: Meta;
  readonly raw: unknown;
  readonly labels: Record<string, string>;
  readonly requested: string[];
  readonly families: Family[];
}

function canonical(s: string): string | undefined {
  const a = parseIp(s);
  return a ? formatIp(a) : undefined;
}

function readService(raw: unknown): Svc {
  const m = meta(raw);
  const spec = obj(obj(raw).spec);
  const requested = (m.annotations[LB_IPS_ANNOTATION] ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
  const lbIP = str(spec.loadBalancerIP);
  if (requested.length === 0 && lbIP) requested.push(lbIP);
  const fams = arr(spec.ipFamilies);
  const families: Family[] = [];
  if (fams.includes('IPv4') || fams.length === 0) families.push(4);
  if (fams.includes('IPv6')) families.push(6);
  // The pseudo-labels let a pool select Services by namespace and name.
  const labels = {
    ...m.labels,
    'portico.dev/service-namespace': m.namespace,
    'portico.dev/service-name': m.name,
  };
  return { meta: m, raw, labels, requested, families };
}

/** Assign addresses: keep existing ones, honour requests, then fill from matching pools. */
export function allocate(input: IpamInput): IpamResult {
  const now = typeof input?.now === 'string' ? input.now : '1970-01-01T00:00:00Z';
  const pools = readPools(arr(input?.pools));
  const seen = new Set<string>();
  const services = arr(input?.services)
    .filter(handlesService)
    .map(readService)
    .filter(
      (s) =>
        s.meta.name &&
        !seen.has(key(s.meta.namespace, s.meta.name)) &&
        !!seen.add(key(s.meta.namespace, s.meta.name)),
    )
    .sort((a, b) => byAge(a.meta, b.meta) || byString(a.meta.namespace, b.meta.namespace));
  const taken = new Map<string, string>(); // canonical ip -> service key
  const held = new Map<string, string[]>(); // service key -> ips
  const problem = new Map<string, { reason: string; message: string }>();

  const poolFor = (s: Svc, family: Family, v: bigint, allowDisabled: boolean): Pool | undefined =>
    pools.find(
      (p) =>
        usable(p) &&
        (allowDisabled || !p.disabled) &&
        contains(p, family, v) &&
        labelSelectorMatches(p.selector, s.labels),
    );
  const take = (s: Svc, ip: string, p: Pool): void => {
    const k = key(s.meta.namespace, s.meta.name);
    taken.set(ip, k);
    held.set(k, [...(held.get(k) ?? []), ip]);
    p.used++;
  };

  // 1. Existing assignments survive (oldest Service wins a duplicate) if still allowed.
  for (const s of services) {
    for (const ing of arr(obj(obj(obj(s.raw).status).loadBalancer).ingress)) {
      const a = parseIp(obj(ing).ip);
      if (!a) continue;
      const ip = formatIp(a);
      if (taken.has(ip)) continue;
      // A Service that asks for specific addresses keeps only those.
      if (s.requested.length > 0 && !s.requested.some((r) => canonical(r) === ip)) continue;
      const p = poolFor(s, a.family, a.value, true);
      if (p) take(s, ip, p);
    }
  }
  // 2. Requested addresses, then 3. the first free address per missing family.
  for (const s of services) {
    const k = key(s.meta.namespace, s.meta.name);
    const mine = held.get(k) ?? [];
    if (s.requested.length > 0) {
      for (const r of s.requested) {
        const a = parseIp(r);
        if (!a) {
          problem.set(k, { reason: 'RequestedIPInvalid', message: `${r} is not an IP address` });
          continue;
        }
        const ip = formatIp(a);
        if (mine.includes(ip)) continue;
        const owner = taken.get(ip);
        const p = poolFor(s, a.family, a.value, false);
        if (owner !== undefined || !p) {
          const why =
            owner !== undefined ? `is in use by ${owner}` : 'is in no enabled pool that selects this Service';
          problem.set(k, { reason: 'RequestedIPUnavailable', message: `${ip} ${why}` });
          continue;
        }
        take(s, ip, p);
      }
      continue;
    }
    for (const family of s.families) {
      if ((held.get(k) ?? []).some((ip) => parseIp(ip)?.family === family)) continue;
      const matching = pools.filter(
        (p) => usable(p) && !p.disabled && labelSelectorMatches(p.selector, s.labels),
      );
      const candidates = matching.filter((p) => p.ranges.some((r) => r.family === family));
      if (candidates.length === 0) {
        problem.set(k, {
          reason: 'NoPoolMatches',
          message: `no enabled IPv${family} pool selects this Service`,
        });
        continue;
      }
      let got = false;
      for (const p of candidates.sort((a, b) => byString(a.meta.name, b.meta.name))) {
        for (const r of p.ranges) {
          if (r.family !== family) continue;
          for (let v = r.first; v <= r.last && !got; v++) {
            const ip = formatIp({ family, value: v });
            if (taken.has(ip)) continue;
            take(s, ip, p);
            got = true;
          }
          if (got) break;
        }
        if (got) break;
      }
      if (!got) {
        const names = candidates.map((p) => p.meta.name).join(', ');
        problem.set(k, { reason: 'PoolExhausted', message: `no free IPv${family} address in ${names}` });
      }
    }
  }

  const out: ServiceAssignment[] = services.map((s) => {
    const k = key(s.meta.namespace, s.meta.name);
    const ips = [...(held.get(k) ?? [])].sort(
      (a, b) => (parseIp(a)?.family ?? 4) - (parseIp(b)?.family ?? 4) || byString(a, b),
    );
    const p = problem.get(k);
    const gen = s.meta.generation;
    const c = p
      ? condition(IPAM_CONDITION, false, p.reason, p.message, gen, now)
      : condition(IPAM_CONDITION, true, 'Satisfied', `assigned ${ips.join(', ')}`, gen, now);
    const prev = readConditions(obj(obj(s.raw).status).conditions);
    return {
      namespace: s.meta.namespace,
      name: s.meta.name,
      ips,
      condition: carryTransitionTimes(prev, [c])[0] ?? c,
    };
  });

  const poolStatuses: PoolStatus[] = pools.map((p) => {
    const total = usable(p) ? size(p) : 0n;
    const used = BigInt(p.used);
    const gen = p.meta.generation;
    const c = p.conflictsWith
      ? condition(
          POOL_CONFLICT_CONDITION,
          true,
          'Overlap',
          `overlaps the older pool ${p.conflictsWith}`,
          gen,
          now,
        )
      : p.invalid !== undefined
        ? condition(POOL_CONFLICT_CONDITION, false, 'InvalidBlocks', p.invalid, gen, now)
        : condition(POOL_CONFLICT_CONDITION, false, 'NoConflict', 'no overlap with other pools', gen, now);
    const prev = readConditions(obj(obj(p.raw).status).conditions);
    return {
      name: p.meta.name,
      status: {
        ipCounts: {
          total: capped(total),
          used: capped(used),
          available: capped(total > used ? total - used : 0n),
        },
        conditions: carryTransitionTimes(prev, [c]),
      },
    };
  });
  poolStatuses.sort((a, b) => byString(a.name, b.name));
  return {
    services: out.sort((a, b) => byString(key(a.namespace, a.name), key(b.namespace, b.name))),
    pools: poolStatuses,
  };
}
