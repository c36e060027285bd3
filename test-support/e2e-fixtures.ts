// Shared pieces of the robustness suites (e2e-churn, e2e-invalid): echo backends in network
// namespaces behind Services, a bounded sequential client, and status readers.
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { request } from '../local/cli/client.ts';
import type { EnvoyHandle } from '../local/light/envoy.ts';
import type { Pod } from '../local/light/pods.ts';
import { waitFor } from '../local/common/process.ts';
import { startBackend } from '../local/light/workloads.ts';
import { serviceYaml } from './service-yaml.ts';
export const GW = { group: 'gateway.networking.k8s.io', version: 'v1', namespace: 'default' };
export const ECHO_PORT = 8080;

/** The suites' Gateway: one HTTP listener on port 80. */
export const GATEWAY_YAML = `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: gw, namespace: default }
spec:
  gatewayClassName: portico
  listeners:
  - { name: http, protocol: HTTP, port: 80 }
`;

/** Echo pods, each behind a Service of the same name (port 80 -> 8080) with a hand-made EndpointSlice. */
export async function startEchoServices(
  apply: (yaml: string) => Promise<void>,
  names: string[],
): Promise<{ pods: Pod[]; stop(): Promise<void> }> {
  const pods: Pod[] = [];
  const stop = async () => {
    for (const p of pods) await p.stop();
  };
  try {
    for (const n of names) pods.push(await startBackend(n, 'echo', ECHO_PORT));
    await apply(names.map((n, i) => serviceYaml(n, 80, ECHO_PORT, [pods[i]!.ip])).join('---\n'));
  } catch (err) {
    await stop();
    throw err;
  }
  return { pods, stop };
}

export function httpRouteYaml(
  name: string,
  rules: unknown[],
  parentRefs: unknown[] = [{ name: 'gw' }],
): string {
  return stringify({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace: 'default' },
    spec: { parentRefs, rules },
  });
}

/** A rule sending a PathPrefix to weighted Services on port 80. */
export function prefixRule(prefix: string, backends: Record<string, number>): Record<string, unknown> {
  return {
    matches: [{ path: { type: 'PathPrefix', value: prefix } }],
    backendRefs: Object.entries(backends).map(([name, weight]) => ({ name, port: 80, weight })),
  };
}

export interface StreamResult {
  sent: number;
  ok: number;
  /** Non-2xx replies and connection errors, first few kept with what they were. */
  failures: number;
  samples: string[];
  /** Count per outcome: `HTTP <status>` or `error`. */
  outcomes: Record<string, number>;
}

/**
 * Sends requests one after another (fresh connection each, like a curl loop) until `stop()` is
 * called, or `maxRequests` or `maxMs` is reached: bounded in count and time.
 */
export function steadyStream(
  address: string,
  path: string,
  opts: { maxRequests: number; maxMs: number },
): { stop(): Promise<StreamResult> } {
  const r: StreamResult = { sent: 0, ok: 0, failures: 0, samples: [], outcomes: {} };
  const count = (k: string) => (r.outcomes[k] = (r.outcomes[k] ?? 0) + 1);
  let stopped = false;
  const deadline = Date.now() + opts.maxMs;
  const done = (async () => {
    while (!stopped && r.sent < opts.maxRequests && Date.now() < deadline) {
      r.sent++;
      try {
        const reply = await request('http', address, 80, path, { timeoutMs: 5000 });
        count(`HTTP ${reply.status}`);
        if (reply.status >= 200 && reply.status < 300) r.ok++;
        else {
          r.failures++;
          if (r.samples.length < 10) r.samples.push(`HTTP ${reply.status}: ${reply.body.slice(0, 120)}`);
        }
      } catch (err) {
        count('error');
        r.failures++;
        if (r.samples.length < 10) r.samples.push(String(err));
      }
    }
    return r;
  })();
  return {
    stop: async () => {
      stopped = true;
      return done;
    },
  };
}

export interface Cond {
  type: string;
  status: string;
  reason: string;
  message: string;
  observedGeneration?: number;
}
interface Obj {
  metadata: { generation?: number };
  status?: {
    conditions?: Cond[];
    parents?: { parentRef: { name: string }; controllerName: string; conditions?: Cond[] }[];
    listeners?: { name: string; conditions?: Cond[] }[];
  };
}

/** Reads Gateway API objects (namespace default) and LoadBalancerIPPools. */
export function statusReader(kc: KubeConfig) {
  const api = kc.makeApiClient(CustomObjectsApi);
  const get = async (plural: string, name: string): Promise<Obj | undefined> => {
    try {
      return (await api.getNamespacedCustomObject({ ...GW, plural, name })) as Obj;
    } catch {
      return undefined;
    }
  };
  return {
    api,
    get,
    pool: async (name: string) =>
      (await api.getClusterCustomObject({
        group: 'portico.dev',
        version: 'v1alpha1',
        plural: 'loadbalancerippools',
        name,
      })) as Obj,
    /** Waits until the route's parent entry for `parent` has a condition `type` for the current generation. */
    routeCondition: async (route: string, parent: string, type: string): Promise<Cond> => {
      let found: Cond | undefined;
      await waitFor(`HTTPRoute ${route} parent ${parent} condition ${type}`, async () => {
        const r = await get('httproutes', route);
        const p = r?.status?.parents?.find((x) => x.parentRef.name === parent);
        found = p?.conditions?.find((c) => c.type === type);
        return !!found && found.observedGeneration === r?.metadata.generation;
      });
      return found!;
    },
    deleteRoute: async (name: string) => {
      await api.deleteNamespacedCustomObject({ ...GW, plural: 'httproutes', name });
    },
  };
}

/** Waits until `path` on the Gateway answers with `want(status, body)`. */
export async function until(
  address: string,
  path: string,
  want: (status: number, body: string) => boolean,
  what: string,
  headers?: Record<string, string>,
): Promise<void> {
  await waitFor(
    what,
    async () => {
      try {
        const r = await request('http', address, 80, path, { timeoutMs: 2000, headers });
        return want(r.status, r.body);
      } catch {
        return false;
      }
    },
    { timeoutMs: 20000, intervalMs: 50 },
  );
}

/** Envoy's listener_added/modified/removed counters: a change there rebuilt (and drained) a listener. */
export async function listenerStats(envoy: EnvoyHandle): Promise<Record<string, number>> {
  const text = await envoy.admin('/stats?filter=^listener_manager\\.listener_(added|modified|removed)$');
  return Object.fromEntries(
    text
      .trim()
      .split('\n')
      .map((l) => l.split(': '))
      .map(([k, v]) => [k!, Number(v)]),
  );
}
