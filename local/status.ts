import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { readState } from './state.ts';
import { versions } from './toolchain/versions.ts';

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}
interface Obj {
  metadata: { name: string; namespace?: string; generation?: number };
  spec?: { controllerName?: string; gatewayClassName?: string };
  status?: {
    conditions?: Condition[];
    addresses?: { value: string }[];
    listeners?: { name: string; attachedRoutes?: number }[];
    parents?: { controllerName?: string; parentRef?: { name?: string }; conditions?: Condition[] }[];
  };
}

const GW = { group: 'gateway.networking.k8s.io', version: 'v1' };
const cond = (o: Obj | { conditions?: Condition[] }, type: string) =>
  ('status' in o ? o.status?.conditions : (o as { conditions?: Condition[] }).conditions)?.find(
    (c) => c.type === type,
  );

async function probe(url: string | undefined, init?: RequestInit): Promise<boolean> {
  if (!url) return false;
  try {
    return (await fetch(url, { ...init, signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
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
export async function printStatus(): Promise<boolean> {
  const state = readState();
  if (!state) {
    console.log('portico: no cluster is up (start one with `portico up --detach`)');
    process.exitCode = 1;
    return false;
  }
  const kc = new KubeConfig();
  kc.loadFromFile(state.kubeconfigPath);
  const api = kc.makeApiClient(CustomObjectsApi);
  const apiserverOk = await api
    .listClusterCustomObject({ ...GW, plural: 'gatewayclasses' })
    .then(() => true)
    .catch(() => false);
  const operatorOk = await probe(state.operatorMetricsUrl && `${state.operatorMetricsUrl}/healthz`);
  const envoyOk = await probe(state.envoyAdminUrl && `${state.envoyAdminUrl}/ready`);
  const ok = (b: boolean) => (b ? 'OK' : 'not OK');
  console.log(`Portico local cluster (pid ${state.pid}, since ${state.startedAt})`);
  console.log(
    table([
      ['etcd + kube-apiserver', ok(apiserverOk), `etcd ${versions.etcd}, kubernetes ${versions.kubernetes}`],
      ['operator', ok(operatorOk), state.operatorMetricsUrl ?? ''],
      ['envoy (node)', ok(envoyOk), `envoy ${versions.envoy}${envoyOk ? ', config LIVE' : ''}`],
    ]),
  );
  console.log(`  KUBECONFIG=${state.kubeconfigPath}`);
  if (!apiserverOk) {
    process.exitCode = 1;
    return false;
  }
  const list = async (plural: string) =>
    ((await api.listClusterCustomObject({ ...GW, plural })) as { items: Obj[] }).items;
  const [classes, gateways, httpRoutes, tlsRoutes] = await Promise.all(
    ['gatewayclasses', 'gateways', 'httproutes', 'tlsroutes'].map(list),
  );
  console.log('\nGatewayClasses:');
  console.log(
    table([
      ['NAME', 'CONTROLLER', 'ACCEPTED'],
      ...classes!.map((c) => [
        c.metadata.name,
        c.spec?.controllerName ?? '',
        cond(c, 'Accepted')?.status ?? 'Unknown',
      ]),
    ]),
  );
  console.log('\nGateways:');
  console.log(
    table([
      ['NAMESPACE', 'NAME', 'CLASS', 'ADDRESS', 'PROGRAMMED', 'ROUTES'],
      ...gateways!.map((g) => [
        g.metadata.namespace ?? '',
        g.metadata.name,
        g.spec?.gatewayClassName ?? '',
        g.status?.addresses?.map((a) => a.value).join(',') ?? '',
        cond(g, 'Programmed')?.status ?? 'Unknown',
        String((g.status?.listeners ?? []).reduce((n, l) => n + (l.attachedRoutes ?? 0), 0)),
      ]),
    ]),
  );
  const routes = [
    ...httpRoutes!.map((r) => ['HTTPRoute', r] as const),
    ...tlsRoutes!.map((r) => ['TLSRoute', r] as const),
  ];
  let notAccepted = 0;
  console.log('\nRoutes:');
  console.log(
    table([
      ['KIND', 'NAMESPACE', 'NAME', 'PARENTS', 'STATUS'],
      ...routes.map(([kind, r]) => {
        const ours = (r.status?.parents ?? []).filter(
          (p) => p.controllerName === 'portico.dev/gateway-controller',
        );
        const bad = ours
          .map((p) => ({ p, a: cond(p, 'Accepted'), rr: cond(p, 'ResolvedRefs') }))
          .filter(({ a, rr }) => a?.status !== 'True' || rr?.status === 'False');
        if (bad.length > 0 || ours.length === 0) notAccepted++;
        const why = bad
          .map(({ p, a, rr }) =>
            a?.status !== 'True'
              ? `${p.parentRef?.name}: Accepted=${a?.status ?? 'Unknown'} ${a?.reason ?? ''}`
              : `${p.parentRef?.name}: ResolvedRefs=False ${rr?.reason ?? ''}`,
          )
          .join('; ');
        return [
          kind,
          r.metadata.namespace ?? '',
          r.metadata.name,
          ours.map((p) => p.parentRef?.name).join(','),
          ours.length === 0 ? 'no status from Portico yet' : bad.length === 0 ? 'OK' : why.trim(),
        ];
      }),
    ]),
  );
  const healthy = apiserverOk && operatorOk && envoyOk;
  if (!healthy) process.exitCode = 1;
  if (notAccepted > 0) console.log(`\n${notAccepted} route(s) with problems (see STATUS)`);
  return healthy;
}
