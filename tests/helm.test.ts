import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App, Chart } from 'cdk8s';
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  RbacAuthorizationV1Api,
  type KubeConfig,
} from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { buildChart, helm, helmAsync } from '../charts/helm/cli.ts';
import { EchoChart } from '../charts/examples/echo.ts';
import { Gateway } from '../constructs/index.ts';
import { request } from '../local/cli/client.ts';
import { steadyClient } from '../test-support/steady-client.ts';
import { gatewayAddress } from '../local/cli/demo.ts';
import { run } from '../local/nodes/network.ts';
import {
  NAMESPACE,
  installValues,
  podDiagnosis,
  startNodesCluster,
  type NodesCluster,
} from '../local/nodes/cluster.ts';
import { waitFor } from '../local/common/process.ts';

/** A Gateway on port 80 and the lab's /echo route to two echo Deployments. */
function echoYaml(): string {
  const app = new App();
  const chart = new Chart(app, 'gw', { namespace: 'default' });
  const gateway = new Gateway(chart, 'my-gateway', {
    metadata: { name: 'my-gateway' },
    listeners: [{ name: 'web', protocol: 'HTTP', port: 80, allowedRoutes: { from: 'Same' } }],
  });
  new EchoChart(app, 'echo', { gateway });
  return app.charts
    .flatMap((c) => c.toJson() as unknown[])
    .map((o) => stringify(o))
    .join('---\n');
}

async function rolledOut(kc: KubeConfig, kind: 'Deployment' | 'DaemonSet', name: string): Promise<boolean> {
  const apps = kc.makeApiClient(AppsV1Api);
  if (kind === 'Deployment') {
    const d = await apps.readNamespacedDeployment({ namespace: NAMESPACE, name });
    const s = d.status ?? {};
    return (
      s.observedGeneration === d.metadata?.generation &&
      s.updatedReplicas === d.spec?.replicas &&
      s.availableReplicas === d.spec?.replicas &&
      (s.replicas ?? 0) === d.spec?.replicas
    );
  }
  const ds = await apps.readNamespacedDaemonSet({ namespace: NAMESPACE, name });
  const s = ds.status!;
  return (
    s.observedGeneration === ds.metadata?.generation &&
    s.desiredNumberScheduled > 0 &&
    s.updatedNumberScheduled === s.desiredNumberScheduled &&
    s.numberReady === s.desiredNumberScheduled
  );
}

// Portico installed with its Helm chart on real nodes (a control plane and a worker, each with
// containerd, kubelet and kube-proxy), then upgraded and uninstalled as a user would.
describe('helm install, upgrade and uninstall on real nodes', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-helm-'));
  let cluster: NodesCluster;
  let kc: KubeConfig;
  let tgz: string;
  let valuesFile: string;
  let gw = '';
  const timings: Record<string, number> = {};
  const helmEnv = () => ({
    env: {
      KUBECONFIG: cluster.kubeconfigPath,
      HELM_CACHE_HOME: path.join(dir, 'cache'),
      HELM_CONFIG_HOME: path.join(dir, 'config'),
      HELM_DATA_HOME: path.join(dir, 'data'),
    },
  });
  const h = (...args: string[]) => helm(args, helmEnv());
  const timed = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const t = Date.now();
    try {
      return await f();
    } finally {
      timings[name] = (Date.now() - t) / 1000;
    }
  };
  const diagnose = async (err: Error) => {
    throw new Error(`${err.message}\n${await podDiagnosis(kc, NAMESPACE).catch(() => '')}`);
  };

  beforeAll(async () => {
    tgz = buildChart(dir);
    cluster = await timed('cluster', () => startNodesCluster({ networkId: 4, nodes: 2, portico: false }));
    kc = cluster.controlPlane.kubeConfig;
    valuesFile = path.join(dir, 'values.yaml');
    // The values `portico up` installs with, and agent Leases that outlast a busy API server: on two
    // cores shared with other suites a renewal can take over the default 750 ms deadline, and the
    // agent then withdraws the address for a moment, which is not what this suite measures.
    const agentArgs = ['--lease-duration=4s', '--lease-renew-deadline=3s', '--max-liveness=3s'];
    fs.writeFileSync(
      valuesFile,
      stringify({ ...installValues(cluster.poolCidr), agent: { extraArgs: agentArgs } }),
    );
  }, 600000);
  afterAll(async () => {
    await cluster?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    console.log(`helm on real nodes, seconds: ${JSON.stringify(timings)}`);
  });

  it("refuses a wrong value at install with the schema's message, installing nothing", () => {
    expect(() =>
      h(
        'install',
        'portico',
        tgz,
        '-n',
        NAMESPACE,
        '--create-namespace',
        '-f',
        valuesFile,
        '--set-string',
        'operator.replicas=two',
      ),
    ).toThrow(/at '\/operator\/replicas': got string, want integer/);
    expect(h('list', '-A', '-q').trim()).toBe('');
  });

  it('installs: certgen makes the xDS Secrets, the operator and one Envoy per node become Ready', async () => {
    await timed('install', async () => {
      const out = h('install', 'portico', tgz, '-n', NAMESPACE, '--create-namespace', '-f', valuesFile);
      expect(out).toContain('kubectl -n portico-system rollout status deployment/portico-operator');
      await waitFor(
        'operator and Envoy DaemonSet ready',
        async () =>
          (await rolledOut(kc, 'Deployment', 'portico-operator')) &&
          (await rolledOut(kc, 'DaemonSet', 'portico-envoy')) &&
          (await rolledOut(kc, 'DaemonSet', 'portico-agent')),
        { timeoutMs: 180000, intervalMs: 1000 },
      ).catch(diagnose);
    });
    const core = kc.makeApiClient(CoreV1Api);
    const secrets = (await core.listNamespacedSecret({ namespace: NAMESPACE })).items.map(
      (s) => s.metadata!.name,
    );
    expect(secrets).toEqual(
      expect.arrayContaining(['portico-xds-ca', 'portico-xds-server', 'portico-xds-client']),
    );
    // Hook objects are gone once the hook succeeded.
    const jobs = await kc.makeApiClient(BatchV1Api).listNamespacedJob({ namespace: NAMESPACE });
    expect(jobs.items.map((j) => j.metadata!.name)).toEqual([]);
  }, 300000);

  it('serves a Gateway and HTTPRoute to a backend Deployment through the Gateway address', async () => {
    await timed('gateway', async () => {
      await cluster.controlPlane.applyYaml(echoYaml());
      gw = await gatewayAddress(kc.makeApiClient(CustomObjectsApi), 'my-gateway', 180000);
      await waitFor(
        'GET /echo answers 200',
        async () => (await request('http', gw, 80, '/echo').catch(() => ({ status: 0 }))).status === 200,
        {
          timeoutMs: 120000,
          intervalMs: 500,
        },
      );
    });
    expect(gw.split('.').slice(0, 3)).toEqual(cluster.poolCidr.split('.').slice(0, 3));
  }, 300000);

  it('refuses xDS to a plain-text client and to a TLS client without the client certificate', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const svc = await core.readNamespacedService({ namespace: NAMESPACE, name: 'portico-xds' });
    const ip = svc.spec!.clusterIP!;
    const host = `portico-xds.${NAMESPACE}.svc.cluster.local`;
    const url = (scheme: string) =>
      `${scheme}://${host}:18000/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources`;
    const client = (await core.readNamespacedSecret({ namespace: NAMESPACE, name: 'portico-xds-client' }))
      .data!;
    for (const f of ['tls.crt', 'tls.key', 'ca.crt'])
      fs.writeFileSync(path.join(dir, f), Buffer.from(client[f]!, 'base64'));
    const curl = (...args: string[]) => {
      try {
        return run('ip', [
          'netns',
          'exec',
          cluster.nodes[1]!.address.netns,
          'curl',
          '-sS',
          '--max-time',
          '5',
          '-o',
          '/dev/null',
          '-w',
          '%{http_code}',
          '--resolve',
          `${host}:18000:${ip}`,
          '-X',
          'POST',
          '-H',
          'content-type: application/grpc',
          '-H',
          'te: trailers',
          '--data-binary',
          '',
          ...args,
        ]);
      } catch (err) {
        return `failed: ${(err as Error).message}`;
      }
    };
    const plain = curl('--http2-prior-knowledge', url('http'));
    const noCert = curl('--http2', '--cacert', path.join(dir, 'ca.crt'), url('https'));
    const withCert = curl(
      '--http2',
      '--cacert',
      path.join(dir, 'ca.crt'),
      '--cert',
      path.join(dir, 'tls.crt'),
      '--key',
      path.join(dir, 'tls.key'),
      url('https'),
    );
    expect(plain).toMatch(/^failed/);
    expect(noCert).toMatch(/^failed/);
    // The control: the same request with the install's client certificate reaches the ADS service.
    expect(withCert).toMatch(/^200|failed:.*\b200\b/);
  });

  /** `helm upgrade` with `set` while a client sends requests; waits for `what` to roll out. */
  const upgradeUnderLoad = async (name: string, set: string, what: ['Deployment' | 'DaemonSet', string]) => {
    const load = steadyClient(gw, '/echo');
    await timed(name, async () => {
      // Not spawnSync: the client shares this event loop, and a blocked loop times requests out.
      await helmAsync(
        ['upgrade', 'portico', tgz, '-n', NAMESPACE, '-f', valuesFile, '--reuse-values', '--set', set],
        helmEnv(),
      );
      await waitFor(`${what[1]} rolled out`, () => rolledOut(kc, ...what), {
        timeoutMs: 180000,
        intervalMs: 1000,
      }).catch(diagnose);
      await waitFor(
        'serving after the rollout',
        async () => (await request('http', gw, 80, '/echo').catch(() => ({ status: 0 }))).status === 200,
        { timeoutMs: 60000 },
      );
      // Envoy reconnects to the new operator replica meanwhile; keep the client running past it.
      await new Promise((r) => setTimeout(r, 5000));
    });
    const r = await load.stop();
    const core = kc.makeApiClient(CoreV1Api);
    const agents = await core.listNamespacedPod({
      namespace: NAMESPACE,
      labelSelector: 'app.kubernetes.io/name=portico-agent',
    });
    for (const p of agents.items) {
      const logs = await core.readNamespacedPodLog({ namespace: NAMESPACE, name: p.metadata!.name! });
      const moves = logs.split('\n').filter((l) => /stopped leading|withdrawn/.test(l));
      if (moves.length) console.log(`${name}: ${p.spec!.nodeName} agent:\n${moves.join('\n')}`);
    }
    const when = r.failed
      ? ` between ${new Date(r.firstFailure).toISOString()} and ${new Date(r.lastFailure).toISOString()}`
      : '';
    console.log(`${name}: ${r.ok} requests ok, ${r.failed} failed${when} ${JSON.stringify([...r.errors])}`);
    return r;
  };

  it('upgrades the operator (replicas, log level) and Envoy (log level) with no failed request', async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    const removals = async () =>
      cluster.envoyAdmin(
        (await cluster.announcer('default', 'portico-my-gateway'))!,
        '/stats?filter=^(listener_manager\\.listener_removed|cluster_manager\\.cluster_removed)$',
      );
    const operatorRun = await upgradeUnderLoad(
      'upgrade-operator',
      'operator.replicas=2,operator.logLevel=debug,operator.resources.requests.cpu=50m',
      ['Deployment', 'portico-operator'],
    );
    const op = await apps.readNamespacedDeployment({ namespace: NAMESPACE, name: 'portico-operator' });
    expect(op.spec!.replicas).toBe(2);
    const c = op.spec!.template.spec!.containers[0]!;
    expect(c.args).toContain('--log-level=debug');
    expect(c.resources?.requests?.cpu).toBe('50m');
    // Envoy kept its configuration across the operator's restart (xDS reconnect, nothing removed).
    const kept = await removals();
    console.log(`Envoy on the announcing node after the operator upgrade:\n${kept}`);
    expect(kept).toMatch(/listener_removed: 0/);
    expect(kept).toMatch(/cluster_removed: 0/);

    // Every Envoy restarts: the new pod serves beside the old one before the old one drains and stops.
    const envoyRun = await upgradeUnderLoad('upgrade-envoy', 'envoy.logLevel=debug', [
      'DaemonSet',
      'portico-envoy',
    ]);
    const ds = await apps.readNamespacedDaemonSet({ namespace: NAMESPACE, name: 'portico-envoy' });
    const args = ds.spec!.template.spec!.containers[0]!.args!;
    expect(args[args.indexOf('--log-level') + 1]).toBe('debug');
    // --reuse-values kept the first upgrade's values.
    const op2 = await apps.readNamespacedDeployment({ namespace: NAMESPACE, name: 'portico-operator' });
    expect(op2.spec!.template.spec!.containers[0]!.args).toContain('--log-level=debug');
    expect(h('history', 'portico', '-n', NAMESPACE, '-o', 'json')).toContain('"revision":3');
    for (const r of [operatorRun, envoyRun]) expect(r.ok).toBeGreaterThan(100);
    expect({ operator: operatorRun.errors, envoy: envoyRun.errors }).toEqual({
      operator: new Map(),
      envoy: new Map(),
    });
  }, 420000);

  it('rolls back to the first revision', async () => {
    await timed('rollback', async () => {
      h('rollback', 'portico', '1', '-n', NAMESPACE);
      await waitFor('Envoy rolled back', () => rolledOut(kc, 'DaemonSet', 'portico-envoy'), {
        timeoutMs: 180000,
        intervalMs: 1000,
      }).catch(diagnose);
    });
    const ds = await kc
      .makeApiClient(AppsV1Api)
      .readNamespacedDaemonSet({ namespace: NAMESPACE, name: 'portico-envoy' });
    const args = ds.spec!.template.spec!.containers[0]!.args!;
    expect(args[args.indexOf('--log-level') + 1]).toBe('info');
    await waitFor(
      'serving after the rollback',
      async () => (await request('http', gw, 80, '/echo').catch(() => ({ status: 0 }))).status === 200,
      { timeoutMs: 60000 },
    );
  }, 300000);

  it('uninstalls everything it installed (and the xDS Secrets), keeping only the CRDs', async () => {
    await timed('uninstall', async () => {
      h('uninstall', 'portico', '-n', NAMESPACE, '--wait', '--timeout', '3m');
    });
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    const names = <T extends { metadata?: { name?: string } }>(l: { items: T[] }) =>
      l.items.map((o) => o.metadata!.name!).filter((n) => n.startsWith('portico'));
    await waitFor(
      'the certgen cleanup removed the Secrets',
      async () => names(await core.listNamespacedSecret({ namespace: NAMESPACE })).length === 0,
      { timeoutMs: 60000 },
    );
    expect({
      deployments: names(await apps.listNamespacedDeployment({ namespace: NAMESPACE })),
      daemonSets: names(await apps.listNamespacedDaemonSet({ namespace: NAMESPACE })),
      services: names(await core.listNamespacedService({ namespace: NAMESPACE })),
      configMaps: names(await core.listNamespacedConfigMap({ namespace: NAMESPACE })),
      serviceAccounts: names(await core.listNamespacedServiceAccount({ namespace: NAMESPACE })),
      roles: names(await rbac.listNamespacedRole({ namespace: NAMESPACE })),
      clusterRoles: names(await rbac.listClusterRole()),
      clusterRoleBindings: names(await rbac.listClusterRoleBinding()),
      jobs: names(await kc.makeApiClient(BatchV1Api).listNamespacedJob({ namespace: NAMESPACE })),
    }).toEqual({
      deployments: [],
      daemonSets: [],
      services: [],
      configMaps: [],
      serviceAccounts: [],
      roles: [],
      clusterRoles: [],
      clusterRoleBindings: [],
      jobs: [],
    });
    const custom = kc.makeApiClient(CustomObjectsApi);
    const classes = (await custom.listClusterCustomObject({
      group: 'gateway.networking.k8s.io',
      version: 'v1',
      plural: 'gatewayclasses',
    })) as { items: unknown[] };
    expect(classes.items).toEqual([]);
    const pools = (await custom.listClusterCustomObject({
      group: 'portico.dev',
      version: 'v1alpha1',
      plural: 'loadbalancerippools',
    })) as { items: unknown[] };
    expect(pools.items).toEqual([]);
  }, 300000);
});
