// The status plan may skip a route only while neither its live object nor its desired status
// changed since it was last looked at and settled: checked against a full index every pass.
import fc from 'fast-check';
import type { WithStatus } from '../kube/status.ts';
import type { RouteStatusResult } from '../translate/types.ts';
import { RouteStatusPlan } from './route-status-plan.ts';

const KINDS = ['HTTPRoute', 'GRPCRoute'] as const;
type Kind = (typeof KINDS)[number];
const NAMES = ['a', 'b', 'c', 'd', 'e', 'f'];

const opArb = fc.oneof(
  fc.record({ t: fc.constant('put' as const), kind: fc.nat(1), name: fc.constantFrom(...NAMES) }),
  fc.record({ t: fc.constant('delete' as const), kind: fc.nat(1), name: fc.constantFrom(...NAMES) }),
  fc.record({ t: fc.constant('want' as const), kind: fc.nat(1), name: fc.constantFrom(...NAMES) }),
  fc.record({ t: fc.constant('unwant' as const), kind: fc.nat(1), name: fc.constantFrom(...NAMES) }),
  fc.record({ t: fc.constant('fail' as const), name: fc.constantFrom(...NAMES) }),
  fc.record({ t: fc.constantFrom('duplicate' as const, 'reverse' as const, 'nothing' as const) }),
);

const key = (kind: string, name: string) => `${kind}/default/${name}`;

it('every route whose object or desired status changed, or whose write failed, is looked at', () => {
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 1, maxLength: 30 }), (ops) => {
      const plan = new RouteStatusPlan();
      // Informer caches: objects by name, a change keeps its place.
      const stores = KINDS.map(() => new Map<string, WithStatus>());
      const wanted = new Map<string, RouteStatusResult>();
      const checked = new Map<string, { live: WithStatus; ours: unknown }>();
      let failing = new Set<string>();
      for (const op of ops) {
        const kind = 'kind' in op ? (KINDS[op.kind] as Kind) : 'HTTPRoute';
        if (op.t === 'put')
          stores[op.kind]!.set(op.name, { metadata: { namespace: 'default', name: op.name } });
        if (op.t === 'delete') stores[op.kind]!.delete(op.name);
        if (op.t === 'want')
          wanted.set(key(kind, op.name), { kind, namespace: 'default', name: op.name, parents: [] });
        if (op.t === 'unwant') wanted.delete(key(kind, op.name));
        let items = stores.map((s) => [...s.values()]);
        if (op.t === 'duplicate' && items[0]![0]) items[0] = [...items[0]!, { ...items[0]![0] }];
        if (op.t === 'reverse') items = items.map((x) => [...x].reverse());
        // The translator's order: by kind/namespace/name.
        const statuses = [...wanted.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, r]) => r);

        const looked = plan.next(KINDS, items, statuses);
        // The full index, as the reconciler built it before: the last object of a name wins.
        const full = new Map<string, { live: WithStatus; ours: unknown }>();
        KINDS.forEach((k, i) => {
          for (const o of items[i]!) {
            const kk = key(k, o.metadata?.name ?? '');
            full.set(kk, { live: o, ours: wanted.get(kk)?.parents });
          }
        });
        for (const r of looked) {
          const want = full.get(r.key);
          expect(want).toBeDefined();
          expect(r.live).toBe(want?.live);
          expect(r.ours).toBe(want?.ours);
        }
        const seen = new Set(looked.map((r) => r.key));
        for (const [kk, want] of full) {
          const last = checked.get(kk);
          const due = !last || last.live !== want.live || last.ours !== want.ours || failing.has(kk);
          if (due) expect(seen).toContain(kk);
        }
        // The writes: those of this op's name fail, and are due again next pass.
        failing = new Set();
        for (const r of looked) {
          if (op.t === 'fail' && r.key.endsWith(`/${op.name}`)) {
            plan.unsettled(r.key);
            failing.add(r.key);
          } else checked.set(r.key, { live: r.live, ours: r.ours });
        }
      }
    }),
    { numRuns: 500 },
  );
});
