// Property test: thousands of random and malformed objects; translate never throws, every
// condition is valid, and the IR is self-consistent and deterministic.
import fc from 'fast-check';
import { seedLab } from '../../test-support/translate/fixtures.ts';
import { snapshot, weird } from '../../test-support/translate/fuzz-arbitraries.ts';
import { forgetPasses } from './pass-memos.ts';
import { translate } from './translate.ts';
import type { Snapshot, TranslateResult } from './types.ts';

const REASON = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;

function validCondition(c: Record<string, unknown>): boolean {
  return (
    typeof c.type === 'string' &&
    c.type.length > 0 &&
    (c.status === 'True' || c.status === 'False' || c.status === 'Unknown') &&
    typeof c.reason === 'string' &&
    REASON.test(c.reason) &&
    typeof c.observedGeneration === 'number' &&
    Number.isInteger(c.observedGeneration) &&
    c.observedGeneration >= 0 &&
    typeof c.lastTransitionTime === 'string' &&
    typeof c.message === 'string'
  );
}

// Plain checks, not expect(): this runs on every condition of thousands of outputs.
function checkConditions(v: unknown, path: string): void {
  if (Array.isArray(v)) v.forEach((x, i) => checkConditions(x, `${path}[${i}]`));
  else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k !== 'conditions') checkConditions(x, `${path}.${k}`);
      else if (!Array.isArray(x)) throw new Error(`${path}.conditions is not an array`);
      else
        for (const c of x as Record<string, unknown>[])
          if (!validCondition(c)) throw new Error(`invalid condition at ${path}: ${JSON.stringify(c)}`);
    }
  }
}

function check(s: Snapshot): TranslateResult {
  const out = translate(s);
  checkConditions(out, '');
  const clusters = new Set(out.ir.clusters.map((c) => c.name));
  const backends = [
    ...out.ir.httpListeners.flatMap((l) =>
      l.virtualHosts.flatMap((vh) =>
        vh.routes.flatMap((r) => (r.action.type === 'Forward' ? r.action.backends : [])),
      ),
    ),
    ...out.ir.tlsPassthroughListeners.flatMap((l) => l.routes.flatMap((r) => r.backends)),
    ...[...(out.ir.tcpListeners ?? []), ...(out.ir.udpListeners ?? [])].flatMap(
      (l) => l.route?.backends ?? [],
    ),
  ];
  for (const b of backends)
    if (!clusters.has(b.cluster) || !(b.weight > 0)) throw new Error(`bad backend ${JSON.stringify(b)}`);
  const json = JSON.stringify(out);
  if (JSON.stringify(JSON.parse(json)) !== json) throw new Error('output is not plain JSON');
  if (JSON.stringify(translate(s)) !== json) throw new Error('output is not deterministic');
  return out;
}

it('random objects: translate never throws, conditions are valid, the IR is consistent', () => {
  fc.assert(
    fc.property(snapshot, (raw) => void check(raw as unknown as Snapshot)),
    { numRuns: 2000 },
  );
});

it('total garbage: translate never throws', () => {
  fc.assert(
    fc.property(
      fc.anything({ withNullPrototype: true, withBigInt: true, withMap: true, withDate: true }),
      (x) => {
        translate(x as Snapshot);
        translate({ gatewayClasses: x, gateways: x, httpRoutes: x } as unknown as Snapshot);
      },
    ),
    { numRuns: 1000 },
  );
});

const ROUTE_FIELDS = ['httpRoutes', 'grpcRoutes', 'tlsRoutes', 'tcpRoutes', 'udpRoutes'] as const;

/** `before` without one of its objects and with `more` after it: a route list one pass later. */
function edited(before: unknown, more: unknown, drop: number): unknown {
  if (!Array.isArray(before) || !Array.isArray(more)) return more;
  return [...before.filter((_, i) => i !== drop % Math.max(before.length, 1)), ...more];
}

it('random route changes after a pass: the warm translation equals a cold one', () => {
  fc.assert(
    fc.property(snapshot, snapshot, fc.nat(), fc.boolean(), (x, y, drop, lab) => {
      const [a, b] = [x, y] as Record<string, unknown>[];
      // The seed lab's Gateways take routes; random ones rarely do.
      const first: Record<string, unknown> = lab ? { ...seedLab() } : { ...a };
      if (lab) for (const f of ROUTE_FIELDS) first[f] = edited(first[f] ?? [], a?.[f], -1);
      translate(first as unknown as Snapshot);
      const next: Record<string, unknown> = { ...first };
      for (const f of ROUTE_FIELDS) next[f] = edited(next[f], b?.[f], drop);
      const warm = JSON.stringify(translate(next as unknown as Snapshot));
      forgetPasses();
      const cold = JSON.stringify(translate(next as unknown as Snapshot));
      if (cold !== warm) throw new Error('warm and cold translations differ');
    }),
    { numRuns: 500 },
  );
});

// Every node of the seed lab as a path, so a mutation can hit any field at any depth.
function paths(
  v: unknown,
  at: (string | number)[] = [],
  out: (string | number)[][] = [],
): (string | number)[][] {
  if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      const p = [...at, Array.isArray(v) ? Number(k) : k];
      out.push(p);
      paths(x, p, out);
    }
  }
  return out;
}
const LAB_PATHS = paths(seedLab());

function mutate(s: Snapshot, edits: readonly [number, unknown][]): Snapshot {
  for (const [i, value] of edits) {
    const p = LAB_PATHS[i % LAB_PATHS.length] ?? [];
    let node: unknown = s;
    for (const k of p.slice(0, -1))
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[k] : undefined;
    const last = p[p.length - 1];
    if (node !== null && typeof node === 'object' && last !== undefined)
      (node as Record<string, unknown>)[last] = value;
  }
  return s;
}

it('the seed lab with random fields broken: never throws, and most of it keeps serving', () => {
  const seen = { accepted: 0, listeners: 0, routes: 0 };
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(), weird), { minLength: 1, maxLength: 3 }), (edits) => {
      const out = check(mutate(seedLab(), edits));
      if (out.routeStatuses.some((r) => r.parents.some((p) => p.conditions[0]?.status === 'True')))
        seen.accepted++;
      if (out.ir.httpListeners.length + out.ir.tlsPassthroughListeners.length > 0) seen.listeners++;
      if (out.ir.httpListeners.some((l) => l.virtualHosts.some((v) => v.routes.length > 0))) seen.routes++;
    }),
    { numRuns: 2000 },
  );
  // The generator must reach the interesting paths, not only reject garbage.
  expect(seen.accepted).toBeGreaterThan(1000);
  expect(seen.listeners).toBeGreaterThan(1000);
  expect(seen.routes).toBeGreaterThan(1000);
});
