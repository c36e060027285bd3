// Bad input at scale: Gateways, HTTPRoutes, TLSRoutes and ReferenceGrants drawn from the
// translator's fuzz arbitraries are applied through the real API server (it refuses what breaks
// the CRD schema; the 1,000 it stores are the semantically bad ones) while a good route keeps
// serving. Nothing fails, the operator stays up, and once the objects are deleted its memory
// comes back near its baseline.
import fc from 'fast-check';
import { waitFor } from '../local/common/process.ts';
import { RESOURCES, resourcePath, type KubeObject, type ResourceKey } from '../operator/kube/resources.ts';
import { KubeClient, type KubeError } from '../operator/kube/rest.ts';
import { snapshot } from '../test-support/translate/fuzz-arbitraries.ts';
import {
  applyMany,
  httpRouteYaml,
  prefixRule,
  startFaultCluster,
  underTraffic,
  until,
  type FaultCluster,
} from '../test-support/faults-fixtures.ts';
import { metric } from '../test-support/operator-harness.ts';

const WANTED = 1000;
const BUDGET_MS = 240000;
const NS = 'bad';
const KINDS = ['gateways', 'httpRoutes', 'tlsRoutes', 'referenceGrants'] as const satisfies ResourceKey[];

/** Fuzzed objects of the Gateway API kinds, renamed into namespace `bad` (the spec is kept as drawn). */
function* fuzzed(seed: number): Generator<[ResourceKey, KubeObject]> {
  let n = 0;
  for (let round = 0; ; round++) {
    for (const snap of fc.sample(snapshot, { numRuns: 50, seed: seed + round })) {
      for (const key of KINDS) {
        const list = (snap as Record<string, unknown>)[key];
        if (!Array.isArray(list)) continue;
        for (const o of list) {
          const spec = (o as { spec?: unknown } | null)?.spec;
          const t = RESOURCES[key];
          yield [
            key,
            {
              apiVersion: t.apiVersion,
              kind: t.kind,
              metadata: { name: `bad-${n++}`, namespace: NS },
              spec,
            } as KubeObject,
          ];
        }
      }
    }
  }
}

describe('faults: 1,000 malformed objects through the API server', () => {
  let f: FaultCluster;
  let client: KubeClient;
  const metricsPort = () => Number(new URL(f.cluster.operatorUrl!).port);
  const memory = async () => ({
    heapMiB: Math.round((await metric(metricsPort(), 'nodejs_heap_size_used_bytes')) / 2 ** 20),
    rssMiB: Math.round((await metric(metricsPort(), 'process_resident_memory_bytes')) / 2 ** 20),
  });
  /** A good route applied now serves once the operator has worked through everything before it. */
  let probes = 0;
  const settled = async () => {
    const name = `probe-${probes++}`;
    await f.apply(httpRouteYaml(name, [prefixRule(`/${name}`, { 'echo-a': 1 })]));
    await until(f.address, `/${name}`, (s) => s === 200, `/${name} serving`);
  };

  beforeAll(async () => {
    f = await startFaultCluster({ poolCidr: '127.0.225.0/24' });
    client = new KubeClient(f.cluster.controlPlane.kubeConfig);
    await f.apply(`apiVersion: v1\nkind: Namespace\nmetadata: { name: ${NS} }`);
  }, 120000);
  afterAll(async () => {
    client?.close();
    await f?.stop();
  });

  it(
    'keeps the good route serving, stays up, and gives the memory back',
    async () => {
      await settled();
      const baseline = await memory();
      const stored: Record<string, number> = {};
      let refused = 0;
      const { value, stream: r } = await underTraffic(f.address, async () => {
        const source = fuzzed(20261128);
        let total = 0;
        // Most fuzzed specs break the schema: draw until WANTED are stored, within a time budget.
        const deadline = Date.now() + BUDGET_MS;
        while (total < WANTED && Date.now() < deadline) {
          const batch: Record<string, KubeObject[]> = {};
          for (let i = 0; i < 100; i++) {
            const [key, o] = source.next().value as [ResourceKey, KubeObject];
            // A spec that is not even an object cannot pass the schema: not worth a request.
            if (
              typeof (o as { spec?: unknown }).spec !== 'object' ||
              Array.isArray((o as { spec?: unknown }).spec)
            )
              continue;
            (batch[key] ??= []).push(o);
          }
          for (const [key, objs] of Object.entries(batch)) {
            const errors = await applyMany(client, RESOURCES[key as ResourceKey], objs);
            // Only the API server's validation may refuse: 422 Invalid, 400, or server-side apply's
            // 500 when a field has the wrong type for the schema.
            const schema = (e: KubeError) =>
              e.code === 422 || e.code === 400 || (e.code === 500 && e.message.includes('typed patch'));
            expect(errors.filter((e) => !schema(e)).map(String)).toEqual([]);
            refused += errors.length;
            stored[key] = (stored[key] ?? 0) + objs.length - errors.length;
            total += objs.length - errors.length;
          }
        }
        process.stdout.write(`bad input: ${total} stored after ${refused} refusals\n`);
        await settled();
        const peak = await memory();
        for (const key of KINDS) await client.request(resourcePath(RESOURCES[key], NS), { method: 'DELETE' });
        await settled();
        return { peak };
      });
      // Garbage is collected in its own time: give it a bounded while.
      let after = await memory();
      await waitFor(
        'operator heap back near its baseline',
        async () => (after = await memory()).heapMiB <= baseline.heapMiB + 64,
        { timeoutMs: 60000, intervalMs: 2000 },
      ).catch(() => {});
      process.stdout.write(
        `bad input: ${JSON.stringify(stored)} stored, ${refused} refused by the schema; ` +
          `operator heap/RSS MiB baseline ${baseline.heapMiB}/${baseline.rssMiB}, with them ` +
          `${value.peak.heapMiB}/${value.peak.rssMiB}, after delete ${after.heapMiB}/${after.rssMiB}; ` +
          `${r.sent} requests, ${r.failures} failed\n`,
      );
      expect(r.samples).toEqual([]);
      expect(r.failures).toBe(0);
      expect(f.cluster.operator!.child.exitCode).toBeNull();
      expect((await fetch(`${f.cluster.operatorUrl}/healthz`)).ok).toBe(true);
      // Generous: a leak of per-object state would grow with the 1,000 objects well past this.
      expect(after.heapMiB).toBeLessThan(baseline.heapMiB + 100);
    },
    BUDGET_MS + 240000,
  );
});
