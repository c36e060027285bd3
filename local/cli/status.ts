import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  type V1Lease,
} from '@kubernetes/client-node';
import { gatewayServiceName } from '../../operator/translate/types.ts';
import { cond, gatewayVerdict, routeParents, routeVerdict, type Obj } from './status-report.ts';
import { UsageError } from './errors.ts';
import { readState } from './state.ts';
import { versions } from '../toolchain/versions.ts';

const GW = { group: 'gateway.networking.k8s.io', version: 'v1' };

/** Nodes, then Portico's Deployment and DaemonSets as `cilium status` shows its own: desired, ready, images. */
async function printWorkloads(kc: KubeConfig, print = true): Promise<boolean> {
  const log = print ? console.log : () => {};
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const nodes = (await core.listNode()).items;
  const readyNodes = nodes.filter((n) =>
    n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  );
  log('\nNodes:');
  log(
    table([
      ['NAME', 'READY', 'ROLE', 'INTERNAL-IP', 'VERSION'],
      ...nodes.map((n) => [
        n.metadata!.name!,
        readyNodes.includes(n) ? 'True' : 'False',
        'node-role.kubernetes.io/control-plane' in (n.metadata?.labels ?? {}) ? 'control-plane' : 'worker',
        n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '',
        n.status?.nodeInfo?.kubeletVersion ?? '',
      ]),
    ]),
  );
  const ns = 'portico-system';
  const deployments = (await apps.listNamespacedDeployment({ namespace: ns })).items;
  const daemonSets = (await apps.listNamespacedDaemonSet({ namespace: ns })).items;
  const pods = (await core.listNamespacedPod({ namespace: ns })).items;
  const running = (prefix: string) =>
    pods.filter((p) => p.metadata?.name?.startsWith(prefix) && p.status?.phase === 'Running').length;
  const images = (spec: { containers: { image?: string }[] } | undefined) =>
    (spec?.containers ?? []).map((c) => c.image).join(', ');
  let healthy = readyNodes.length === nodes.length && nodes.length > 0;
  const rows = [['KIND', 'NAME', 'DESIRED', 'READY', 'AVAILABLE', 'RUNNING', 'IMAGE']];
  for (const d of deployments) {
    const want = d.spec?.replicas ?? 1;
    const avail = d.status?.availableReplicas ?? 0;
    if (avail < want) healthy = false;
    const name = d.metadata!.name!;
    rows.push([
      'Deployment',
      name,
      String(want),
      String(d.status?.readyReplicas ?? 0),
      String(avail),
      String(running(name)),
      images(d.spec?.template.spec),
    ]);
  }
  for (const d of daemonSets) {
    const want = d.status?.desiredNumberScheduled ?? 0;
    const ready = d.status?.numberReady ?? 0;
    if (ready < want || want === 0) healthy = false;
    const name = d.metadata!.name!;
    rows.push([
      'DaemonSet',
      name,
      String(want),
      String(ready),
      String(d.status?.numberAvailable ?? 0),
      String(running(name)),
      images(d.spec?.template.spec),
    ]);
  }
  log('\nPortico (namespace portico-system):');
  log(rows.length > 1 ? table(rows) : '  nothing installed');
  if (rows.length === 1) healthy = false;
  return healthy;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map(
      (r) =>
        '  ' +
        r
          .map((c, i) => c.padEnd(widths[i]!))
          .join('   ')
          .trimEnd(),
    )
    .join('\n');
}

/** Like `cilium status`: each component OK or not, then Gateway API objects and what is wrong with them. */
export async function printStatus(opts: { waitMs?: number } = {}): Promise<boolean> {
  const state = readState();
  if (!state) throw new UsageError('no cluster is up (start one with `portico up --detach`)');
  const kc = new KubeConfig();
  kc.loadFromFile(state.kubeconfigPath);
  const api = kc.makeApiClient(CustomObjectsApi);
  const apiserverOk = await api
    .listClusterCustomObject({ ...GW, plural: 'gatewayclasses' })
    .then(() => true)
    .catch(() => false);
  if (apiserverOk && opts.waitMs) {
    // As `cilium status --wait`: until every node and Portico workload is ready, or time is up.
    const deadline = Date.now() + opts.waitMs;
    while (Date.now() < deadline && !(await printWorkloads(kc, false).catch(() => false)))
      await new Promise((r) => setTimeout(r, 1000));
  }
  const ok = (b: boolean) => (b ? 'OK' : 'not OK');
  console.log(`Portico local cluster (pid ${state.pid}, since ${state.startedAt})`);
  console.log(
    table([
      ['etcd + kube-apiserver', ok(apiserverOk), `etcd ${versions.etcd}, kubernetes ${versions.kubernetes}`],
    ]),
  );
  console.log(`  KUBECONFIG=${state.kubeconfigPath}`);
  if (!apiserverOk) return false;
  const componentsOk = await printWorkloads(kc);
  const report = await gatewayApiReport(kc);
  for (const line of report.lines) console.log(line);
  return componentsOk && report.problems === 0;
}

/** The Gateway API part of `portico status`: classes, Gateways, routes and what is wrong with them. */
export async function gatewayApiReport(kc: KubeConfig): Promise<{ lines: string[]; problems: number }> {
  const out: string[] = [];
  const log = (line: string) => out.push(line);
  const api = kc.makeApiClient(CustomObjectsApi);
  const list = async (plural: string) =>
    ((await api.listClusterCustomObject({ ...GW, plural })) as { items: Obj[] }).items;
  const [classes, gateways, httpRoutes, grpcRoutes, tlsRoutes, tcpRoutes, udpRoutes] = await Promise.all(
    ['gatewayclasses', 'gateways', 'httproutes', 'grpcroutes', 'tlsroutes', 'tcproutes', 'udproutes'].map(
      list,
    ),
  );
  log('\nGatewayClasses:');
  log(
    table([
      ['NAME', 'CONTROLLER', 'ACCEPTED'],
      ...classes!.map((c) => [
        c.metadata.name,
        c.spec?.controllerName ?? '',
        cond(c.status?.conditions, 'Accepted')?.status ?? 'Unknown',
      ]),
    ]),
  );
  // The node agents' per-Service Leases: who answers ARP for each Gateway address.
  const announcers = new Map<string, string>();
  const leases = await kc
    .makeApiClient(CoordinationV1Api)
    .listNamespacedLease({ namespace: 'portico-system' })
    .catch(() => ({ items: [] as V1Lease[] }));
  const services = await kc.makeApiClient(CoreV1Api).listServiceForAllNamespaces();
  for (const svc of services.items) {
    const { namespace, name } = svc.metadata!;
    const lease = leases.items.find((l) => l.metadata?.name === `portico-l2-${namespace}-${name}`);
    if (lease?.spec?.holderIdentity) announcers.set(`${namespace}/${name}`, lease.spec.holderIdentity);
  }
  log('\nGateways:');
  const gatewayVerdicts = gateways!.map((g) => gatewayVerdict(g, classes!));
  log(
    table([
      ['NAMESPACE', 'NAME', 'CLASS', 'ADDRESS', 'PROGRAMMED', 'ROUTES', 'ANNOUNCED BY'],
      ...gateways!.map((g, i) => [
        g.metadata.namespace ?? '',
        g.metadata.name,
        g.spec?.gatewayClassName ?? '',
        g.status?.addresses?.map((a) => a.value).join(',') ?? '',
        gatewayVerdicts[i]!.text,
        String((g.status?.listeners ?? []).reduce((n, l) => n + (l.attachedRoutes ?? 0), 0)),
        announcers.get(`${g.metadata.namespace}/${gatewayServiceName(g.metadata.name)}`) ?? '-',
      ]),
    ]),
  );
  const routes = [
    ...httpRoutes!.map((r) => ['HTTPRoute', r] as const),
    ...grpcRoutes!.map((r) => ['GRPCRoute', r] as const),
    ...tlsRoutes!.map((r) => ['TLSRoute', r] as const),
    ...tcpRoutes!.map((r) => ['TCPRoute', r] as const),
    ...udpRoutes!.map((r) => ['UDPRoute', r] as const),
  ];
  const routeVerdicts = routes.map(([, r]) => routeVerdict(r, gateways!, classes!));
  log('\nRoutes:');
  log(
    table([
      ['KIND', 'NAMESPACE', 'NAME', 'PARENTS', 'STATUS'],
      ...routes.map(([kind, r], i) => [
        kind,
        r.metadata.namespace ?? '',
        r.metadata.name,
        routeParents(r),
        routeVerdicts[i]!.text,
      ]),
    ]),
  );
  const badGateways = gatewayVerdicts.filter((v) => v.problem).length;
  const badRoutes = routeVerdicts.filter((v) => v.problem).length;
  if (badGateways > 0) log(`\n${badGateways} Gateway(s) with problems (see PROGRAMMED)`);
  if (badRoutes > 0) log(`${badGateways > 0 ? '' : '\n'}${badRoutes} route(s) with problems (see STATUS)`);
  return { lines: out, problems: badGateways + badRoutes };
}
