import fc from 'fast-check';
import { IPAM_CONDITION, allocate } from './allocate.ts';
import { parseCidr, parseIp } from '../../constructs/ip.ts';
import type { IpamResult } from './allocate.ts';

const pool = (name: string, spec: Record<string, unknown>, ts = '2026-01-01T00:00:00Z') => ({
  apiVersion: 'portico.dev/v1alpha1',
  kind: 'LoadBalancerIPPool',
  metadata: { name, creationTimestamp: ts, generation: 1 },
  spec,
});
const svc = (
  name: string,
  opts: {
    ips?: string[];
    labels?: Record<string, string>;
    lbIps?: string;
    cls?: string;
    type?: string;
    families?: readonly string[];
    ts?: string;
  } = {},
) => ({
  metadata: {
    name,
    namespace: 'default',
    generation: 1,
    creationTimestamp: opts.ts ?? `2026-01-01T00:00:${name.length.toString().padStart(2, '0')}Z`,
    labels: opts.labels ?? {},
    annotations: opts.lbIps ? { 'portico.dev/lb-ips': opts.lbIps } : {},
  },
  spec: {
    type: opts.type ?? 'LoadBalancer',
    ...(opts.cls ? { loadBalancerClass: opts.cls } : {}),
    ...(opts.families ? { ipFamilies: opts.families } : {}),
  },
  status: { loadBalancer: { ingress: (opts.ips ?? []).map((ip) => ({ ip })) } },
});
const ips = (r: IpamResult, name: string) => r.services.find((s) => s.name === name)?.ips;
const reason = (r: IpamResult, name: string) => {
  const c = r.services.find((s) => s.name === name)?.condition;
  return c && `${c.status}/${c.reason}`;
};

it('assigns the first free addresses, skipping network and broadcast of a CIDR', () => {
  const r = allocate({
    pools: [pool('p', { blocks: [{ cidr: '10.0.0.0/30' }] })],
    services: [svc('a'), svc('bb')],
  });
  expect(ips(r, 'a')).toEqual(['10.0.0.1']);
  expect(ips(r, 'bb')).toEqual(['10.0.0.2']);
  expect(reason(r, 'a')).toBe('True/Satisfied');
  expect(r.services[0]?.condition.type).toBe(IPAM_CONDITION);
  expect(r.pools[0]?.status.ipCounts).toEqual({ total: 2, used: 2, available: 0 });
});

it('allowFirstLastIPs, /31, /32 and start/stop ranges use every address', () => {
  const count = (spec: Record<string, unknown>) =>
    allocate({ pools: [pool('p', spec)], services: [] }).pools[0]?.status.ipCounts.total;
  expect(count({ blocks: [{ cidr: '10.0.0.0/30' }], allowFirstLastIPs: 'Yes' })).toBe(4);
  expect(count({ blocks: [{ cidr: '10.0.0.0/30' }], allowFirstLastIPs: true })).toBe(4);
  expect(count({ blocks: [{ cidr: '10.0.0.0/31' }] })).toBe(2);
  expect(count({ blocks: [{ cidr: '10.0.0.7/32' }] })).toBe(1);
  expect(count({ blocks: [{ start: '127.0.200.10', stop: '127.0.200.19' }] })).toBe(10);
});

it('an exhausted pool gives the Service a PoolExhausted condition and nothing crashes', () => {
  const r = allocate({
    pools: [pool('p', { blocks: [{ cidr: '10.0.0.7/32' }] })],
    services: [svc('a'), svc('bb')],
  });
  expect(ips(r, 'a')).toEqual(['10.0.0.7']);
  expect(ips(r, 'bb')).toEqual([]);
  expect(reason(r, 'bb')).toBe('False/PoolExhausted');
});

it('no matching pool gives NoPoolMatches; selectors choose pools', () => {
  const pools = [
    pool('blue', { blocks: [{ cidr: '10.0.1.0/24' }], serviceSelector: { matchLabels: { color: 'blue' } } }),
    pool('red', {
      blocks: [{ cidr: '10.0.2.0/24' }],
      serviceSelector: { matchExpressions: [{ key: 'color', operator: 'In', values: ['red'] }] },
    }),
  ];
  const r = allocate({
    pools,
    services: [svc('a', { labels: { color: 'red' } }), svc('bb', { labels: { color: 'green' } })],
  });
  expect(ips(r, 'a')).toEqual(['10.0.2.1']);
  expect(reason(r, 'bb')).toBe('False/NoPoolMatches');
});

it('keeps existing assignments (stable across restarts) and never gives one IP to two Services', () => {
  const pools = [pool('p', { blocks: [{ cidr: '10.0.0.0/29' }] })];
  const first = allocate({
    pools,
    services: [svc('a', { ips: ['10.0.0.5'] }), svc('bb', { ips: ['10.0.0.5'] }), svc('ccc')],
  });
  expect(ips(first, 'a')).toEqual(['10.0.0.5']); // the older Service keeps it
  expect(ips(first, 'bb')).toEqual(['10.0.0.1']);
  expect(ips(first, 'ccc')).toEqual(['10.0.0.2']);
  // Restart: statuses read back give the same answer.
  const again = allocate({
    pools,
    services: ['a', 'bb', 'ccc'].map((n) => svc(n, { ips: [...(ips(first, n) ?? [])] })),
  });
  expect(again.services.map((s) => s.ips)).toEqual(first.services.map((s) => s.ips));
});

it('releases addresses of deleted Services', () => {
  const pools = [pool('p', { blocks: [{ cidr: '10.0.0.7/32' }] })];
  expect(ips(allocate({ pools, services: [svc('a', { ips: ['10.0.0.7'] }), svc('bb')] }), 'bb')).toEqual([]);
  expect(ips(allocate({ pools, services: [svc('bb')] }), 'bb')).toEqual(['10.0.0.7']);
});

it('honours requested IPs when free and in a matching pool', () => {
  const pools = [pool('p', { blocks: [{ cidr: '10.0.0.0/24' }] })];
  const r = allocate({
    pools,
    services: [
      svc('a', { lbIps: '10.0.0.50' }),
      svc('bb', { lbIps: '10.0.0.50' }),
      svc('ccc', { lbIps: '192.168.0.1' }),
      svc('dddd', { lbIps: 'nope' }),
    ],
  });
  expect(ips(r, 'a')).toEqual(['10.0.0.50']);
  expect(reason(r, 'bb')).toBe('False/RequestedIPUnavailable');
  expect(reason(r, 'ccc')).toBe('False/RequestedIPUnavailable');
  expect(reason(r, 'dddd')).toBe('False/RequestedIPInvalid');
  // Changing the request moves the Service.
  const moved = allocate({ pools, services: [svc('a', { lbIps: '10.0.0.60', ips: ['10.0.0.50'] })] });
  expect(ips(moved, 'a')).toEqual(['10.0.0.60']);
});

it('marks the newer of two overlapping pools Conflicting and does not use it', () => {
  const r = allocate({
    pools: [
      pool('new', { blocks: [{ cidr: '10.0.0.0/24' }] }, '2026-02-01T00:00:00Z'),
      pool('old', { blocks: [{ start: '10.0.0.100', stop: '10.0.0.100' }] }, '2026-01-01T00:00:00Z'),
    ],
    services: [svc('a'), svc('bb')],
  });
  const st = (n: string) => r.pools.find((p) => p.name === n)?.status;
  expect(st('new')?.conditions[0]).toMatchObject({ type: 'Conflicting', status: 'True', reason: 'Overlap' });
  expect(st('old')?.conditions[0]).toMatchObject({ type: 'Conflicting', status: 'False' });
  expect(ips(r, 'a')).toEqual(['10.0.0.100']);
  expect(reason(r, 'bb')).toBe('False/PoolExhausted');
});

it('disabled pools keep assigned addresses but give no new ones', () => {
  const pools = [pool('p', { blocks: [{ cidr: '10.0.0.0/24' }], disabled: true })];
  const r = allocate({ pools, services: [svc('a', { ips: ['10.0.0.9'] }), svc('bb')] });
  expect(ips(r, 'a')).toEqual(['10.0.0.9']);
  expect(reason(r, 'bb')).toBe('False/NoPoolMatches');
});

it('ignores Services that are not LoadBalancers or belong to another class', () => {
  const pools = [pool('p', { blocks: [{ cidr: '10.0.0.0/24' }] })];
  const r = allocate({
    pools,
    services: [
      svc('a', { type: 'ClusterIP' }),
      svc('bb', { cls: 'other.io/lb' }),
      svc('ccc', { cls: 'portico.dev/lb' }),
    ],
  });
  expect(r.services.map((s) => s.name)).toEqual(['ccc']);
});

it('assigns IPv6 and dual-stack', () => {
  const pools = [
    pool('v4', { blocks: [{ cidr: '10.0.0.0/24' }] }),
    pool('v6', { blocks: [{ cidr: 'fd00::/120' }] }),
  ];
  const r = allocate({
    pools,
    services: [svc('a', { families: ['IPv6'] }), svc('bb', { families: ['IPv4', 'IPv6'] })],
  });
  expect(ips(r, 'a')).toEqual(['fd00::1']);
  expect(ips(r, 'bb')).toEqual(['10.0.0.1', 'fd00::2']);
});

it('fuzz: never throws, never double-assigns, every IP is inside a pool, results are stable', () => {
  const cidr = fc.constantFrom(
    '10.0.0.0/30',
    '10.0.0.0/29',
    '10.0.0.4/31',
    'fd00::/126',
    'bad',
    '10.0.0.1/24',
  );
  const poolArb = fc.record({
    name: fc.constantFrom('p1', 'p2', 'p3', ''),
    ts: fc.constantFrom('2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z'),
    blocks: fc.array(
      fc.oneof(
        fc.record({ cidr }),
        fc.record({
          start: fc.constantFrom('10.0.0.2', '10.0.1.1', 'x'),
          stop: fc.constantFrom('10.0.0.3', '10.0.1.2', '::1'),
        }),
        fc.anything(),
      ),
      { maxLength: 3 },
    ),
    selector: fc.oneof(fc.constant(undefined), fc.constant({ matchLabels: { team: 'a' } }), fc.anything()),
    disabled: fc.oneof(fc.boolean(), fc.anything()),
  });
  const svcArb = fc.record({
    name: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'),
    team: fc.constantFrom('a', 'b'),
    ips: fc.array(fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.5', 'fd00::1', 'junk'), { maxLength: 2 }),
    lbIps: fc.option(fc.constantFrom('10.0.0.2', '10.0.0.1,fd00::2', 'x')),
    families: fc.option(fc.constantFrom(['IPv4'], ['IPv6'], ['IPv4', 'IPv6'])),
  });
  fc.assert(
    fc.property(
      fc.array(poolArb, { maxLength: 3 }),
      fc.array(svcArb, { maxLength: 6 }),
      fc.anything(),
      (ps, ss, junk) => {
        const pools = ps.map((p) => ({
          ...pool(p.name, { blocks: p.blocks, serviceSelector: p.selector, disabled: p.disabled }, p.ts),
        }));
        const services = [
          ...ss.map((s) =>
            svc(s.name, {
              ips: s.ips,
              labels: { team: s.team },
              ...(s.lbIps ? { lbIps: s.lbIps } : {}),
              ...(s.families ? { families: s.families } : {}),
            }),
          ),
          junk,
        ];
        const r = allocate({ pools, services });
        const all = r.services.flatMap((s) => s.ips);
        expect(new Set(all).size).toBe(all.length);
        const inPool = (ip: string) => {
          const a = parseIp(ip);
          return ps.some((p) =>
            p.blocks.some((b) => {
              const o = (b ?? {}) as { cidr?: unknown; start?: unknown; stop?: unknown };
              const c = parseCidr(o.cidr);
              const lo = c?.first ?? parseIp(o.start)?.value;
              const hi = c?.last ?? parseIp(o.stop)?.value;
              return (
                a !== undefined && lo !== undefined && hi !== undefined && lo <= a.value && a.value <= hi
              );
            }),
          );
        };
        for (const ip of all) expect(inPool(ip)).toBe(true);
        for (const s of r.services) {
          expect(['True', 'False']).toContain(s.condition.status);
          expect(s.condition.reason).toMatch(/^[A-Za-z]+$/);
        }
        for (const p of r.pools)
          expect(p.status.ipCounts.used + p.status.ipCounts.available).toBe(p.status.ipCounts.total);
        // Feeding the result back (as the operator writes it to status) changes nothing.
        const byName = new Map(r.services.map((s) => [s.name, s.ips]));
        const again = allocate({
          pools,
          services: services.map((s) => {
            const name = (s as { metadata?: { name?: string } } | null)?.metadata?.name;
            const got = typeof name === 'string' ? byName.get(name) : undefined;
            return got
              ? { ...(s as object), status: { loadBalancer: { ingress: got.map((ip) => ({ ip })) } } }
              : s;
          }),
        });
        expect(again.services.map((s) => s.ips)).toEqual(r.services.map((s) => s.ips));
      },
    ),
    { numRuns: 2000 },
  );
});
