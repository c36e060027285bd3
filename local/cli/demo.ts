import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { applyManifests } from '../control-plane/apply.ts';
import { binomialBounds, echoHost, request, tally, type Reply } from './client.ts';
import { STAND_IN_IMAGES } from '../images/index.ts';
import { deployLabOnNodes, type Lab } from './lab.ts';
import { announcingNode, nodeEnvoyAdmin, startNodesCluster, type NodesCluster } from '../nodes/cluster.ts';
import { waitFor } from '../common/process.ts';
import { readState } from './state.ts';

const GW = { group: 'gateway.networking.k8s.io', version: 'v1', namespace: 'default' };

interface GatewayObj {
  metadata: { generation?: number };
  status?: {
    addresses?: { value: string }[];
    conditions?: { type: string; status: string; observedGeneration?: number }[];
  };
}
interface RouteObj {
  metadata: { generation?: number };
  spec: { rules: { backendRefs?: { name: string; weight?: number }[] }[] };
  status?: { parents?: { conditions?: { type: string; observedGeneration?: number }[] }[] };
}

/** Waits until a Gateway has an address and Programmed=True for its current generation; returns the address. */
export async function gatewayAddress(
  api: CustomObjectsApi,
  name: string,
  timeoutMs = 60000,
): Promise<string> {
  let address = '';
  await waitFor(
    `Gateway ${name} Programmed with an address`,
    async () => {
      const g = (await api.getNamespacedCustomObject({ ...GW, plural: 'gateways', name })) as GatewayObj;
      const programmed = g.status?.conditions?.find((c) => c.type === 'Programmed');
      address = g.status?.addresses?.[0]?.value ?? '';
      return (
        !!address && programmed?.status === 'True' && programmed.observedGeneration === g.metadata.generation
      );
    },
    { timeoutMs, intervalMs: 100 },
  );
  return address;
}

/** Edits a route's backend weights in place, as `kubectl edit` does, and waits until Envoy serves them. */
export async function setWeights(
  api: CustomObjectsApi,
  route: string,
  weights: Record<string, number>,
  envoyAdmin?: EnvoyAdmin,
): Promise<void> {
  const r = (await api.getNamespacedCustomObject({ ...GW, plural: 'httproutes', name: route })) as RouteObj;
  for (const rule of r.spec.rules)
    for (const b of rule.backendRefs ?? []) if (b.name in weights) b.weight = weights[b.name];
  const updated = (await api.replaceNamespacedCustomObject({
    ...GW,
    plural: 'httproutes',
    name: route,
    body: r,
  })) as RouteObj;
  await waitFor(`HTTPRoute ${route} generation ${updated.metadata.generation} in status`, async () => {
    const now = (await api.getNamespacedCustomObject({
      ...GW,
      plural: 'httproutes',
      name: route,
    })) as RouteObj;
    return !!now.status?.parents?.every((p) =>
      p.conditions?.every((c) => c.observedGeneration === updated.metadata.generation),
    );
  });
  if (envoyAdmin) {
    const want = Object.values(weights);
    await waitFor('Envoy to serve the new weights', async () => {
      const dump = await envoyAdmin('/config_dump?resource=dynamic_route_configs');
      return want.every((w) => dump.includes(`"weight": ${w}`));
    });
  }
}

function showReply(title: string, text: string): void {
  console.log(`\n$ ${title}`);
  console.log(text.trimEnd());
}

function uniqC(counts: Map<string, number>): string {
  return [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${String(n).padStart(7)} Hostname: ${k}`)
    .join('\n');
}

/** GET on the admin interface of the Envoy that serves the Gateways. */
export type EnvoyAdmin = (pathAndQuery: string) => Promise<string>;

export const adminOver =
  (url: string): EnvoyAdmin =>
  async (p) =>
    (await fetch(`${url}${p}`)).text();

/** The Deployment behind an echo reply: a pod name less its ReplicaSet and pod suffixes. */
export const echoApp = (r: Reply): string => echoHost(r).replace(/-[a-z0-9]{6,10}-[a-z0-9]{5}$/, '');

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/**
 * Runs the seed lab's checks against a cluster where the lab is deployed (see deployLab), printing
 * each command and its output as the lab shows them when `print` is set.
 */
export async function runLabChecks(
  kc: KubeConfig,
  lab: Lab,
  envoyAdmin?: EnvoyAdmin,
  print = true,
): Promise<Check[]> {
  const checks: Check[] = [];
  const check = (name: string, ok: boolean, detail = '') => void checks.push({ name, ok, detail });
  const show = print ? showReply : () => {};
  try {
    const api = kc.makeApiClient(CustomObjectsApi);
    const gateway = await gatewayAddress(api, 'my-gateway');

    const details = await request('http', gateway, 80, '/details/1');
    show(`curl --fail -s http://${gateway}/details/1 | jq`, prettyJson(details.body));
    check(
      'GET /details/1 returns the book',
      details.status === 200 && /William Shakespeare/.test(details.body),
      `HTTP ${details.status}`,
    );

    const magic = await request('http', gateway, 80, '/?great=example', { headers: { magic: 'foo' } });
    show(`curl -H 'magic: foo' "http://${gateway}?great=example"`, `HTTP ${magic.status}\n${magic.body}`);
    check(
      'magic: foo + ?great=example + GET reaches productpage',
      magic.status === 200 && /simple bookstore/.test(magic.body),
      `HTTP ${magic.status}`,
    );
    const noMagic = await request('http', gateway, 80, '/?great=example');
    check('the same request without the header is 404', noMagic.status === 404, `HTTP ${noMagic.status}`);

    const tlsGateway = await gatewayAddress(api, 'tls-gateway');
    for (const [host, pathname, expected] of [
      ['bookinfo.cilium.rocks', '/details/1', /William Shakespeare/],
      ['hipstershop.cilium.rocks', '/', /simple bookstore/],
    ] as const) {
      const r = await request('https', tlsGateway, 443, pathname, { host, ca: lab.ca.certPem }).catch(failed);
      show(`curl -s --resolve ${host}:443:${tlsGateway} https://${host}${pathname}`, r.body);
      check(
        `HTTPS ${host}${pathname}, certificate verified`,
        r.status === 200 && expected.test(r.body),
        `HTTP ${r.status}`,
      );
    }

    const passthrough = await gatewayAddress(api, 'cilium-tls-gateway');
    const nginx = await request('https', passthrough, 443, '/', {
      host: 'nginx.cilium.rocks',
      ca: lab.ca.certPem,
    }).catch(failed);
    const subject = nginx.peerCertificate?.subject?.O;
    show(
      `curl --resolve "nginx.cilium.rocks:443:${passthrough}" "https://nginx.cilium.rocks:443"`,
      `subject: O=${subject}\n${nginx.body}`,
    );
    check(
      "TLS passthrough: the client sees the backend's own certificate",
      nginx.status === 200 && subject === lab.passthroughOrg && /Cilium rocks/.test(nginx.body),
      `HTTP ${nginx.status}, certificate O=${subject}`,
    );
    const unknown = await request('https', passthrough, 443, '/', {
      host: 'other.cilium.rocks',
      ca: lab.ca.certPem,
    }).catch(failed);
    check(
      'TLS passthrough: an unknown SNI gets no backend',
      unknown.status === 0,
      unknown.body.split('\n')[0]!,
    );

    const split = async (gw: string, pathname: string, weights: [number, number]) => {
      const counts = await tally(500, () => request('http', gw, 80, pathname), echoApp);
      show(
        `for _ in {1..500}; do curl -s http://${gw}${pathname}; done | grep -o "Hostname: echo-." | sort | uniq -c`,
        uniqC(counts),
      );
      const [lo, hi] = binomialBounds(500, weights[0] / (weights[0] + weights[1]));
      const n1 = counts.get('echo-1') ?? 0;
      const n2 = counts.get('echo-2') ?? 0;
      check(
        `${pathname} split ${weights.join('/')}: echo-1 in [${lo}, ${hi}] of 500`,
        n1 >= lo && n1 <= hi && n1 + n2 === 500,
        `echo-1 ${n1}, echo-2 ${n2}`,
      );
    };
    await split(gateway, '/echo', [50, 50]);
    if (print) console.log('\n$ kubectl edit httproute load-balancing-route   # weights 99 and 1');
    await setWeights(api, 'load-balancing-route', { 'echo-1': 99, 'echo-2': 1 }, envoyAdmin);
    await split(gateway, '/echo', [99, 1]);
    await split(await gatewayAddress(api, 'exam-gateway'), '/exam', [75, 25]);
  } catch (err) {
    check('the lab ran to its end', false, (err as Error).message.split('\n')[0]!);
  }
  return checks;
}

const failed = (e: Error): Reply => ({ status: 0, body: e.message, headers: {} });

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** `kubectl get pods -o wide` for the lab's namespace: which pod runs on which node. */
async function printPods(kc: KubeConfig): Promise<void> {
  const pods = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'default' });
  const rows = [['NAME', 'READY', 'STATUS', 'IP', 'NODE', 'IMAGE']];
  for (const p of pods.items) {
    const ready = p.status?.containerStatuses?.filter((c) => c.ready).length ?? 0;
    rows.push([
      p.metadata!.name!,
      `${ready}/${p.spec!.containers.length}`,
      p.status?.phase ?? '',
      p.status?.podIP ?? '',
      p.spec?.nodeName ?? '',
      p.spec!.containers.map((c) => c.image).join(','),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  console.log('\n$ kubectl get pods -o wide');
  for (const r of rows)
    console.log(
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('   ')
        .trimEnd(),
    );
}

/** `portico demo`: the seed lab on the running cluster (or a new one), printed as the lab shows it. */
export async function runDemo(): Promise<boolean> {
  const log = (line: string) => console.log(`portico: ${line}`);
  const state = readState();
  let cluster: NodesCluster | undefined;
  let kc: KubeConfig;
  let envoyAdmin: EnvoyAdmin | undefined;
  if (state?.ready) {
    log(`using the running cluster (pid ${state.pid})`);
    kc = new KubeConfig();
    kc.loadFromFile(state.kubeconfigPath);
    const nodes = state.nodes ?? [];
    envoyAdmin = async (p) => {
      const holder = await announcingNode(kc, 'default', 'portico-my-gateway');
      const node = nodes.find((n) => n.name === holder);
      if (!node) throw new Error(`no node announces my-gateway yet (Lease holder: ${holder ?? 'none'})`);
      return nodeEnvoyAdmin(node.netns, p);
    };
  } else {
    // Its own node network (5): the test suites use 1-4, a user's `portico up` 0. Its data
    // folder is a temporary one, removed on stop.
    cluster = await startNodesCluster({ log, networkId: 5 });
    kc = cluster.controlPlane.kubeConfig;
    const c = cluster;
    envoyAdmin = async (p) => {
      const node = await c.announcer('default', 'portico-my-gateway');
      if (!node) throw new Error('no node announces my-gateway yet');
      return c.envoyAdmin(node, p);
    };
  }
  let checks: Check[];
  try {
    log(`stand-in images (ours, answering as the lab's do): ${STAND_IN_IMAGES.join(', ')}`);
    const lab = await deployLabOnNodes(
      kc,
      async (y) => void (await applyManifests(kc, y, 'portico-demo')),
      log,
    );
    await printPods(kc);
    checks = await runLabChecks(kc, lab, envoyAdmin);
  } finally {
    await cluster?.stop();
  }
  console.log('\nChecks:');
  for (const c of checks)
    console.log(`  ${c.ok ? 'PASS' : 'FAIL'}  ${c.name}${c.detail ? `  (${c.detail})` : ''}`);
  const bad = checks.filter((c) => !c.ok).length;
  console.log(`\ndemo: ${checks.length - bad} passed, ${bad} failed`);
  return bad === 0;
}
