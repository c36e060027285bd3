// Route churn without errors, through the whole system: while a client sends a steady sequential
// stream to /steady, another route on the same listener is edited every 200 ms for 30 s (rules and
// matches added and removed, backends switched between Services, weights changed, the route
// deleted and recreated). Other Envoy-based implementations answer 503s here: clusters named after
// rule indexes get renamed under live traffic, or listeners are rebuilt and drain connections.
import { startLocalCluster, type LocalCluster } from '../local/light/cluster.ts';
import { echoHost, request } from '../local/cli/client.ts';
import { gatewayAddress } from '../local/cli/demo.ts';
import {
  httpRouteYaml,
  prefixRule,
  GATEWAY_YAML,
  startEchoServices,
  statusReader,
  steadyStream,
  until,
  listenerStats,
  type StreamResult,
} from '../test-support/e2e-fixtures.ts';

const CHURN_MS = 30000;
const EDIT_EVERY_MS = 200;
const CHURN_BACKENDS = ['churn-1', 'churn-2', 'churn-3'];

/** A small deterministic PRNG (mulberry32), so a failing run can be replayed edit by edit. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface ChurnRule {
  path: string;
  header?: string;
  /** A second match (Exact, no header) that comes and goes. */
  extra?: string;
  backends: Record<string, number>;
}

/** One edit of the churn route: 2-4 rules with changing paths, matches, backends and weights. */
function churnEdit(rand: () => number): ChurnRule[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  // /churn/always stays in every edit with one backend that keeps switching: its requests must never fail.
  const rules: ChurnRule[] = [{ path: '/churn/always', backends: { [pick(CHURN_BACKENDS)]: 1 } }];
  const n = 1 + Math.floor(rand() * 3);
  for (let k = 0; k < n; k++) {
    const backends: Record<string, number> = {};
    // Now and then the churn route shares the steady route's Service: its cluster must stay put.
    for (const b of [...CHURN_BACKENDS, 'echo-a'])
      if (rand() < (b === 'echo-a' ? 0.15 : 0.5)) backends[b] = Math.floor(rand() * 100);
    if (!Object.values(backends).some((w) => w > 0))
      backends[pick(CHURN_BACKENDS)] = 1 + Math.floor(rand() * 99);
    rules.push({
      path: `/churn/r${k}-${pick(['a', 'b', 'c'])}`,
      ...(rand() < 0.3 ? { header: `v${Math.floor(rand() * 3)}` } : {}),
      ...(rand() < 0.3 ? { extra: `/churn/x${k}-${pick(['a', 'b'])}` } : {}),
      backends,
    });
  }
  return rules;
}

function churnYaml(rules: ChurnRule[]): string {
  return httpRouteYaml(
    'churn',
    rules.map((r) => {
      const rule = prefixRule(r.path, r.backends);
      if (r.header)
        (rule.matches as Record<string, unknown>[])[0]!.headers = [{ name: 'x-churn', value: r.header }];
      if (r.extra) (rule.matches as unknown[]).push({ path: { type: 'Exact', value: r.extra } });
      return rule;
    }),
  );
}

describe('route churn through the whole system', () => {
  let cluster: LocalCluster;
  let backends: Awaited<ReturnType<typeof startEchoServices>>;
  let st: ReturnType<typeof statusReader>;
  let address: string;
  const apply = (y: string) => cluster.controlPlane.applyYaml(y);

  beforeAll(async () => {
    // A VIP range of its own: an Envoy of another local cluster on this machine (the lab suite, a
    // bench) binds 127.0.205.x with SO_REUSEPORT too, and would answer some of these connections.
    cluster = await startLocalCluster({ poolCidr: '127.0.201.0/24' });
    const kc = cluster.controlPlane.kubeConfig;
    st = statusReader(kc);
    backends = await startEchoServices(apply, ['echo-a', ...CHURN_BACKENDS]);
    await apply(
      GATEWAY_YAML +
        '---\n' +
        httpRouteYaml('steady', [prefixRule('/steady', { 'echo-a': 1 })]) +
        '---\n' +
        churnYaml([{ path: '/churn/always', backends: { 'churn-1': 1 } }]),
    );
    address = await gatewayAddress(st.api, 'gw');
    await until(address, '/steady', (s) => s === 200, '/steady serving');
    await until(address, '/churn/always', (s) => s === 200, '/churn/always serving');
  }, 120000);
  afterAll(async () => {
    await backends?.stop();
    await cluster?.stop();
  });

  it(
    'serves /steady without a single error while another route churns, then serves the final churn config',
    async () => {
      const listenersBefore = await listenerStats(cluster.envoy!);
      const steady = steadyStream(address, '/steady', { maxRequests: 100000, maxMs: CHURN_MS + 10000 });
      // /churn/always exists in every edit (404 only while the route is deleted); a 5xx there means
      // a cluster or its endpoints went missing under a route that still used it.
      const always = steadyStream(address, '/churn/always', { maxRequests: 100000, maxMs: CHURN_MS + 10000 });
      const rand = prng(20261126);
      let last: ChurnRule[] = [];
      let edits = 0;
      let deletes = 0;
      let deleted = false;
      const t0 = Date.now();
      // A fixed number of edits, paced: how many a slow machine manages is not what is tested.
      for (let i = 0; i < CHURN_MS / EDIT_EVERY_MS; i++) {
        if (!deleted && i % 20 === 19) {
          await st.deleteRoute('churn');
          deleted = true;
          deletes++;
        } else {
          last = churnEdit(rand);
          await apply(churnYaml(last));
          deleted = false;
        }
        edits++;
        const next = t0 + (i + 1) * EDIT_EVERY_MS;
        await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
      }
      if (deleted) {
        last = churnEdit(rand);
        await apply(churnYaml(last));
      }
      const s: StreamResult = await steady.stop();
      const a: StreamResult = await always.stop();
      console.log(
        `churn: ${edits} edits (${deletes} deletes); /steady ${s.sent} requests, ${s.failures} failures; ` +
          `/churn/always ${a.sent} requests, ${JSON.stringify(a.outcomes)}`,
      );

      expect(s.samples).toEqual([]);
      expect(s.failures).toBe(0);
      expect(s.sent).toBeGreaterThan(0);
      // 404 is right while the churn route is deleted; anything else is an error.
      expect(Object.keys(a.outcomes).filter((k) => k !== 'HTTP 200' && k !== 'HTTP 404')).toEqual([]);
      expect(a.sent).toBeGreaterThan(0);
      // Churn lives in RDS and CDS/EDS: the listener is never rebuilt (that would drain connections).
      expect(await listenerStats(cluster.envoy!)).toEqual(listenersBefore);

      // The last edit is what Envoy serves: each rule's matches reach only its weighted backends,
      // and paths of earlier edits are gone.
      const served: { path: string; headers?: Record<string, string>; allowed: string[] }[] = [];
      for (const r of last) {
        const allowed = Object.entries(r.backends)
          .filter(([, w]) => w > 0)
          .map(([b]) => b);
        served.push({ path: r.path, headers: r.header ? { 'x-churn': r.header } : undefined, allowed });
        if (r.extra) served.push({ path: r.extra, allowed });
      }
      for (const { path, headers, allowed } of served) {
        await until(address, path, (status) => status === 200, `${path} serving after the churn`, headers);
        for (let i = 0; i < 20; i++) {
          const reply = await request('http', address, 80, path, { headers });
          expect([path, reply.status, allowed]).toEqual([
            path,
            200,
            expect.arrayContaining([echoHost(reply)]),
          ]);
        }
      }
      const everUsed = ['a', 'b', 'c'].flatMap((v) =>
        [0, 1, 2].flatMap((k) => [`/churn/r${k}-${v}`, `/churn/x${k}-${v}`]),
      );
      const gone = everUsed.filter((p) => !served.some((x) => x.path === p));
      for (const p of gone)
        expect([p, (await request('http', address, 80, p, { headers: { 'x-churn': 'v0' } })).status]).toEqual(
          [p, 404],
        );
    },
    CHURN_MS + 90000,
  );
});
