// Shared setup for the operator suites: a real control plane with the Gateway API and Portico
// CRDs, the seed lab's objects as YAML, and small polling helpers.
import path from 'node:path';
import { App, Chart } from 'cdk8s';
import { stringify } from 'yaml';
import { loadBalancerIpPoolCrd } from '../constructs/lb-ip-pool.ts';
import { PorticoCrd } from '../constructs/portico-crds.ts';
import { makeCa, makeLeaf } from '../operator/certgen/certs.ts';
import {
  startControlPlane,
  type ControlPlane,
  type ControlPlaneOptions,
} from '../local/control-plane/control-plane.ts';
import { freePort, startProcess, waitFor, type Managed } from '../local/common/process.ts';
import type { Pod } from '../local/light/pods.ts';
import { startBackend } from '../local/light/workloads.ts';
import { serviceYaml } from './service-yaml.ts';
import { KubeClient, isKubeError } from '../operator/kube/rest.ts';
import { LEASES, RESOURCES, resourcePath, type ResourceKey } from '../operator/kube/resources.ts';
import { runBounded } from '../operator/kube/status.ts';
import { parseFlags, runOperator, type RunningOperator } from '../operator/main.ts';
import { renderBootstrap } from '../operator/xds/bootstrap.ts';
import { startEnvoy, type EnvoyHandle } from '../local/light/envoy.ts';
import { claimLoopbackPool } from '../local/light/loopback-pools.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

export interface Condition {
  type: string;
  status: string;
  reason: string;
  message?: string;
  observedGeneration?: number;
}

export interface Obj {
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
  };
  spec?: Record<string, unknown>;
  status?: {
    conditions?: Condition[];
    addresses?: { type?: string; value: string }[];
    listeners?: { name: string; conditions: Condition[]; attachedRoutes: number }[];
    parents?: { controllerName: string; parentRef: { name: string }; conditions: Condition[] }[];
    loadBalancer?: { ingress?: { ip: string }[] };
  } & Record<string, unknown>;
}

export async function startCluster(
  opts: ControlPlaneOptions = {},
): Promise<{ cp: ControlPlane; client: KubeClient }> {
  const cp = await startControlPlane(opts);
  await cp.installGatewayCrds();
  const app = new App({ outdir: '/nonexistent' });
  const chart = new Chart(app, 'crds');
  new PorticoCrd(chart, 'pools', loadBalancerIpPoolCrd);
  await cp.applyYaml(
    chart
      .toJson()
      .map((o) => JSON.stringify(o))
      .join('\n---\n'),
  );
  return { cp, client: new KubeClient(cp.kubeConfig) };
}

/**
 * Claims the loopback /24 `requested` machine-wide until `cp` stops, or 127.N.C.0/24 if another live
 * run holds it (local/light/loopback-pools.ts): the harness's Envoys bind its VIPs with
 * SO_REUSEPORT, so two runs on one range would share their connections. Returns the range claimed.
 */
export function claimPool(cp: ControlPlane, requested = '127.0.205.0/24'): string {
  const pool = claimLoopbackPool(requested);
  cp.onStop(() => pool.release());
  return pool.cidr;
}

export async function get(
  client: KubeClient,
  key: ResourceKey,
  name: string,
  namespace = 'default',
): Promise<Obj | undefined> {
  try {
    return await client.request<Obj>(resourcePath(RESOURCES[key], namespace, name));
  } catch (err) {
    if (isKubeError(err, 404)) return undefined;
    throw err;
  }
}

export async function del(
  client: KubeClient,
  key: ResourceKey,
  name: string,
  namespace = 'default',
): Promise<void> {
  await client.request(resourcePath(RESOURCES[key], namespace, name), { method: 'DELETE' });
}

/** Polls until `check` returns a value (not undefined/false); reports the last object seen on timeout. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 20000,
): Promise<T> {
  let result: T | undefined;
  let last: unknown;
  try {
    await waitFor(
      what,
      async () => {
        const r = await check().catch((e: unknown) => ((last = e), undefined));
        if (!r) return false;
        result = r;
        return true;
      },
      { timeoutMs, intervalMs: 100 },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}${last ? `; last error: ${String(last)}` : ''}`);
  }
  return result as T;
}

/** HTTPRoutes default/r-0 .. r-(count-1) on Gateway `web`, created `inFlight` at a time. */
export async function createRoutes(client: KubeClient, count: number, inFlight: number): Promise<void> {
  const create = (i: number) =>
    client.request(resourcePath(RESOURCES.httpRoutes, 'default'), {
      method: 'POST',
      body: {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: `r-${i}`, namespace: 'default' },
        spec: { parentRefs: [{ name: 'web' }], rules: [{ matches: [{ path: { value: `/r-${i}` } }] }] },
      },
    });
  await runBounded(
    Array.from({ length: count }, (_, i) => () => create(i).then(() => undefined)),
    inFlight,
  );
}

export function cond(conds: Condition[] | undefined, type: string): Condition | undefined {
  return conds?.find((c) => c.type === type);
}

/** Portico's entry for `gateway` in a route's status.parents. */
export function parentStatus(route: Obj | undefined, gateway: string) {
  return route?.status?.parents?.find(
    (p) => p.controllerName === 'portico.dev/gateway-controller' && p.parentRef.name === gateway,
  );
}

export function tlsSecretYaml(name: string, namespace: string, hosts: string[]): string {
  const ca = makeCa();
  const cert = makeLeaf(ca, { commonName: hosts[0] ?? name, dnsNames: hosts, usage: 'server' });
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: { name, namespace },
    data: {
      'tls.crt': Buffer.from(cert.certPem).toString('base64'),
      'tls.key': Buffer.from(cert.keyPem).toString('base64'),
    },
  });
}

/** A selector-less Service and a hand-made EndpointSlice, as the local cluster has no kubelet. */
export function backendYaml(name: string, port: number, ip: string, namespace = 'default'): string {
  return serviceYaml(name, port, port, [ip], namespace);
}

export const GATEWAY_CLASS_YAML = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: portico }
spec: { controllerName: portico.dev/gateway-controller }
`;

/** GatewayClass portico and Gateway default/web with one HTTP listener per port. */
export function webGatewayYaml(listeners: { name: string; port: number }[]): string {
  return `${GATEWAY_CLASS_YAML}---\n${stringify({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'web', namespace: 'default' },
    spec: { gatewayClassName: 'portico', listeners: listeners.map((l) => ({ ...l, protocol: 'HTTP' })) },
  })}`;
}

/** LoadBalancerIPPool `loopback` on `cidr` (from `claimPool`), for every Service without a `pool` label. */
export const poolYaml = (cidr: string) => `
apiVersion: portico.dev/v1alpha1
kind: LoadBalancerIPPool
metadata: { name: loopback }
spec:
  blocks: [{ cidr: ${cidr} }]
  serviceSelector: { matchExpressions: [{ key: pool, operator: DoesNotExist }] }
`;

/** The seed lab's objects (GatewayClass, three Gateways, their routes, backends). */
export const SEED_LAB_YAML = `${GATEWAY_CLASS_YAML}---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: my-gateway, namespace: default }
spec:
  gatewayClassName: portico
  listeners:
  - { name: web-gw, protocol: HTTP, port: 80, allowedRoutes: { namespaces: { from: Same } } }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: http-app-1, namespace: default }
spec:
  parentRefs: [{ name: my-gateway }]
  rules:
  - matches: [{ path: { type: PathPrefix, value: /details } }]
    backendRefs: [{ name: details, port: 9080 }]
  - matches:
    - headers: [{ type: Exact, name: magic, value: foo }]
      queryParams: [{ type: Exact, name: great, value: example }]
      path: { type: PathPrefix, value: / }
      method: GET
    backendRefs: [{ name: productpage, port: 9080 }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: tls-gateway, namespace: default }
spec:
  gatewayClassName: portico
  listeners:
  - name: https-1
    protocol: HTTPS
    port: 443
    hostname: bookinfo.cilium.rocks
    tls: { certificateRefs: [{ kind: Secret, name: demo-cert }] }
  - name: https-2
    protocol: HTTPS
    port: 443
    hostname: hipstershop.cilium.rocks
    tls: { certificateRefs: [{ kind: Secret, name: demo-cert }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: https-app-route-1, namespace: default }
spec:
  parentRefs: [{ name: tls-gateway }]
  hostnames: [bookinfo.cilium.rocks]
  rules:
  - matches: [{ path: { type: PathPrefix, value: /details } }]
    backendRefs: [{ name: details, port: 9080 }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: https-app-route-2, namespace: default }
spec:
  parentRefs: [{ name: tls-gateway }]
  hostnames: [hipstershop.cilium.rocks]
  rules:
  - matches: [{ path: { type: PathPrefix, value: / } }]
    backendRefs: [{ name: productpage, port: 9080 }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: cilium-tls-gateway, namespace: default }
spec:
  gatewayClassName: portico
  listeners:
  - name: cilium-tls-gateway
    hostname: nginx.cilium.rocks
    port: 443
    protocol: TLS
    tls: { mode: Passthrough }
    allowedRoutes: { namespaces: { from: All } }
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: { name: nginx, namespace: default }
spec:
  parentRefs: [{ name: cilium-tls-gateway }]
  hostnames: [nginx.cilium.rocks]
  rules:
  - backendRefs: [{ name: my-nginx, port: 443 }]
---
${backendYaml('details', 9080, '10.244.1.10')}
---
${backendYaml('productpage', 9080, '10.244.1.11')}
---
${backendYaml('my-nginx', 443, '10.244.1.12')}
`;

/** Sum of a Prometheus sample family on /metrics, filtered by a label substring (e.g. `kind="HTTPRoute"`). */
export async function metric(port: number, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || line.startsWith('#')) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    if (labels && !rest.includes(labels)) continue;
    sum += Number(line.split(' ').pop());
  }
  return sum;
}

export function operatorFlags(kubeconfigPath: string, extra: string[] = []): string[] {
  return [
    '--kubeconfig',
    kubeconfigPath,
    '--metrics-address',
    '127.0.0.1',
    '--metrics-port',
    '0',
    '--xds-port=-1',
    '--leader-election-id=',
    '--log-level',
    'warn',
    ...extra,
  ];
}

/** operatorFlags with the xDS server on a free loopback port, in plain text (the harness's Envoys dial it). */
export function xdsOperatorFlags(kubeconfigPath: string, extra: string[] = []): string[] {
  return operatorFlags(kubeconfigPath, [
    '--xds-address',
    '127.0.0.1',
    '--xds-port',
    '0',
    '--insecure-xds-plaintext-loopback',
    ...extra,
  ]).filter((f) => f !== '--xds-port=-1');
}

/** An operator process (`operator/main.ts`) with its metrics on a free port, once /readyz answers. */
export async function startOperatorProcess(
  kubeconfigPath: string,
  id: string,
  args: string[],
): Promise<{ proc: Managed; metricsPort: number }> {
  const metricsPort = await freePort();
  const proc = startProcess(
    `operator-${id}`,
    process.execPath,
    [
      '--import',
      'tsx',
      'operator/main.ts',
      `--kubeconfig=${kubeconfigPath}`,
      '--metrics-address=127.0.0.1',
      `--metrics-port=${metricsPort}`,
      ...args,
    ],
    { cwd: ROOT },
  );
  await eventually(
    `${id} ready`,
    async () => (await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).ok,
    30000,
  );
  return { proc, metricsPort };
}

/** Holder of the operator's election Lease in namespace default. */
export async function leaseHolder(client: KubeClient): Promise<string | undefined> {
  const lease = await client.request<{ spec?: { holderIdentity?: string } }>(
    resourcePath(LEASES, 'default', 'portico-operator'),
  );
  return lease.spec?.holderIdentity;
}

/** Gateway `name` in default with these listeners. */
export function gatewayYaml(name: string, listeners: Record<string, unknown>[]): string {
  return stringify({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name, namespace: 'default' },
    spec: { gatewayClassName: 'portico', listeners },
  });
}

/** HTTPRoute `name` on `parent`: one rule per PathPrefix, each to Service echo:80. */
export function echoRouteYaml(
  name: string,
  parent: string,
  prefixes: string[],
  filters: unknown[] = [],
): string {
  return stringify({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace: 'default' },
    spec: {
      parentRefs: [{ name: parent }],
      rules: prefixes.map((p) => ({
        matches: [{ path: { type: 'PathPrefix', value: p } }],
        ...(filters.length ? { filters } : {}),
        backendRefs: [{ name: 'echo', port: 80 }],
      })),
    },
  });
}

/**
 * The GatewayClass, a loopback pool on `requested` (each suite its own, see docs/testing.md; claimed
 * with `claimPool`), and an echo backend behind Service echo:80, with `objects` applied beside them.
 */
export async function echoSetup(cp: ControlPlane, requested: string, objects: string[]): Promise<Pod> {
  const poolCidr = claimPool(cp, requested);
  const echo = await startBackend('echo', 'echo', 8080);
  const pool = stringify({
    apiVersion: 'portico.dev/v1alpha1',
    kind: 'LoadBalancerIPPool',
    metadata: { name: 'suite' },
    spec: { blocks: [{ cidr: poolCidr }] },
  });
  await cp.applyYaml(
    [GATEWAY_CLASS_YAML, pool, serviceYaml('echo', 80, 8080, [echo.ip]), ...objects].join('\n---\n'),
  );
  return echo;
}

/** Resolves with `read()` once it stayed the same for `quietMs` (ACKs and status writes settled). */
export async function settled(read: () => Promise<number>, quietMs = 1500): Promise<number> {
  let last = await read();
  await eventually(
    'the count to settle',
    async () => {
      await new Promise((r) => setTimeout(r, quietMs));
      const now = await read();
      const quiet = now === last;
      last = now;
      return quiet;
    },
    60000,
  );
  return last;
}

/**
 * The operator in-process with a delta-xDS Envoy, by default with no periodic reconcile (every
 * translation counted has a cause), once the Gateway `gateway` is Programmed; its address is `vip`.
 */
export async function operatorWithEnvoy(
  cp: ControlPlane,
  client: KubeClient,
  gateway = 'web',
  resyncMs = 3600000,
): Promise<{ op: RunningOperator; envoy: EnvoyHandle; vip: string }> {
  const op = await runOperator(
    parseFlags(xdsOperatorFlags(cp.kubeconfigPath, ['--resync-ms', String(resyncMs)])),
  );
  const envoy = await startEnvoy(
    renderBootstrap({ xdsAddress: '127.0.0.1', xdsPort: op.xdsPort!, nodeId: 'node-1', delta: true }),
    { waitReady: false },
  );
  const gw = await eventually(
    'Gateway Programmed',
    async () => {
      const g = await get(client, 'gateways', gateway);
      return cond(g?.status?.conditions, 'Programmed')?.status === 'True' && g;
    },
    60000,
  );
  return { op, envoy, vip: gw.status!.addresses![0]!.value };
}
