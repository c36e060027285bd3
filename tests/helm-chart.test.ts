import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { buildChart, helm } from '../charts/helm/cli.ts';
import { objectKey } from '../charts/helm/generate.ts';
import { InstallChart } from '../charts/install-chart.ts';

type Obj = {
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  [k: string]: unknown;
};

const parseDocs = (text: string): Obj[] =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => !!o);

describe('Helm chart generated from the install chart (real helm)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-chart-'));
  let tgz: string;
  const template = (...args: string[]) =>
    parseDocs(helm(['template', 'portico', tgz, '--namespace', 'portico-system', ...args]));

  beforeAll(() => {
    tgz = buildChart(dir); // includes helm lint --strict
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('renders at default values exactly what the cdk8s InstallChart synthesizes, object for object', () => {
    const cdk8s = (new InstallChart(new App(), 'portico-install').toJson() as Obj[]).filter(
      // helm install --create-namespace makes the namespace; CRDs live in the chart's crds/.
      (o) => o.kind !== 'Namespace' && o.kind !== 'CustomResourceDefinition',
    );
    const rendered = template()
      // The post-delete twin of certgen exists only in Helm (plain YAML has no uninstall step).
      .filter((o) => o.metadata.name !== 'portico-certgen-cleanup')
      .map((o) => {
        const metadata = { ...o.metadata };
        const annotations = Object.entries(metadata.annotations ?? {}).filter(
          ([k]) => !k.startsWith('helm.sh/hook'),
        );
        if (annotations.length) metadata.annotations = Object.fromEntries(annotations);
        else delete metadata.annotations;
        return { ...o, metadata };
      });
    expect(rendered.map(objectKey).sort()).toEqual(cdk8s.map(objectKey).sort());
    const byKey = new Map(rendered.map((o) => [objectKey(o), o]));
    for (const o of cdk8s) expect({ [objectKey(o)]: byKey.get(objectKey(o)) }).toEqual({ [objectKey(o)]: o });

    const crds = parseDocs(helm(['show', 'crds', tgz]));
    const cdk8sCrds = (new InstallChart(new App(), 'portico-install').toJson() as Obj[]).filter(
      (o) => o.kind === 'CustomResourceDefinition',
    );
    expect(crds).toEqual(expect.arrayContaining(cdk8sCrds));
    expect(crds).toHaveLength(cdk8sCrds.length);
  });

  it('installs the Gateway API CRDs of the chosen channel, standard by default', () => {
    const channelOf = (objs: Obj[]) =>
      new Set(
        objs
          .filter(
            (o) => o.kind === 'CustomResourceDefinition' && o.metadata.name.includes('gateway.networking'),
          )
          .map((o) => o.metadata.annotations?.['gateway.networking.k8s.io/channel']),
      );
    const names = (objs: Obj[]) => objs.map((o) => o.metadata.name);
    const standard = template('--set=gatewayAPI.installCRDs=true');
    expect(channelOf(standard)).toEqual(new Set(['standard']));
    expect(names(standard)).not.toContain('xbackendtrafficpolicies.gateway.networking.x-k8s.io');
    const experimental = template('--set=gatewayAPI.installCRDs=true,gatewayAPI.channel=experimental');
    expect(channelOf(experimental)).toEqual(new Set(['experimental']));
    expect(names(experimental)).toEqual(
      expect.arrayContaining([
        'httproutes.gateway.networking.k8s.io',
        'xbackendtrafficpolicies.gateway.networking.x-k8s.io',
      ]),
    );
    expect(() => template('--set=gatewayAPI.channel=beta')).toThrow(/gatewayAPI\.channel/);
  });

  it('runs certgen as a hook before install and upgrade, and cleans its Secrets after uninstall', () => {
    const hooks = template().filter((o) => o.metadata.annotations?.['helm.sh/hook']);
    expect(
      Object.fromEntries(hooks.map((o) => [objectKey(o), o.metadata.annotations!['helm.sh/hook']])),
    ).toEqual({
      'ServiceAccount/portico-certgen': 'pre-install,pre-upgrade,post-delete',
      'Role/portico-certgen': 'pre-install,pre-upgrade,post-delete',
      'RoleBinding/portico-certgen': 'pre-install,pre-upgrade,post-delete',
      'Job/portico-certgen': 'pre-install,pre-upgrade',
      'Job/portico-certgen-cleanup': 'post-delete',
    });
  });

  it('applies values where they belong', () => {
    const objs = template(
      '--namespace=edge',
      '--set=operator.replicas=3,operator.logLevel=debug,envoy.logLevel=debug,envoy.concurrency=2',
      '--set=envoy.extraArgs={--component-log-level,upstream:debug}',
      '--set=global.imageRegistry=registry.example.com,operator.image.digest=sha256:' + 'a'.repeat(64),
      '--set=agent.enabled=false,gatewayClass.name=edge,ipPool.blocks[0].cidr=192.0.2.0/28',
      '--set=operator.nodeSelector.tier=infra,imagePullSecrets[0].name=regcred',
      '--set=metrics.serviceMonitor.enabled=true,metrics.port=9191,gatewayAPI.installCRDs=true',
    );
    const get = (key: string) => objs.find((o) => objectKey(o) === key) as Obj & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const op = get('Deployment/portico-operator');
    expect(op.metadata.namespace).toBe('edge');
    expect(op.spec.replicas).toBe(3);
    const c = op.spec.template.spec.containers[0];
    expect(c.args).toEqual(expect.arrayContaining(['--log-level=debug', '--metrics-port=9191']));
    expect(c.image).toBe(`registry.example.com/portico/operator:0.1.0@sha256:${'a'.repeat(64)}`);
    expect(c.readinessProbe.httpGet.port).toBe(9191);
    expect(op.spec.template.spec.nodeSelector).toEqual({ tier: 'infra' });
    expect(op.spec.template.spec.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    const envoy = get('DaemonSet/portico-envoy').spec.template.spec.containers[0];
    expect(envoy.args).toContain('--log-level');
    expect(envoy.args[envoy.args.indexOf('--log-level') + 1]).toBe('debug');
    expect(envoy.args).toEqual(
      expect.arrayContaining(['--concurrency', '2', '--component-log-level', 'upstream:debug']),
    );
    expect(envoy.image).toBe('registry.example.com/envoyproxy/envoy:v1.40.0');
    // The Envoy pod's lifecycle container runs the operator image, wherever that comes from.
    const lifecycle = get('DaemonSet/portico-envoy').spec.template.spec.containers[1];
    expect(lifecycle.name).toBe('lifecycle');
    expect(lifecycle.image).toBe(c.image);
    const boot = JSON.parse(get('ConfigMap/portico-envoy-bootstrap').data['bootstrap.json']);
    expect(JSON.stringify(boot.static_resources)).toContain('portico-xds.edge.svc.cluster.local');
    expect(objs.some((o) => o.metadata.name?.startsWith('portico-agent'))).toBe(false);
    const withAgent = template('--set=agent.extraArgs={--lease-duration=3s}');
    const agent = withAgent.find((o) => objectKey(o) === 'DaemonSet/portico-agent') as Obj &
      Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(agent.spec.template.spec.containers[0].args).toContain('--lease-duration=3s');
    expect(get('GatewayClass/edge')).toBeDefined();
    expect(get('LoadBalancerIPPool/default').spec.blocks).toEqual([{ cidr: '192.0.2.0/28' }]);
    expect(get('L2AnnouncementPolicy/default')).toBeDefined();
    expect(get('ServiceMonitor/portico-operator-metrics')).toBeDefined();
    expect(get('CustomResourceDefinition/gateways.gateway.networking.k8s.io').metadata.annotations).toEqual(
      expect.objectContaining({ 'helm.sh/resource-policy': 'keep' }),
    );
  });

  it.each([
    [
      'a wrong type',
      '--set-string=operator.replicas=two',
      /operator\/replicas.*(got string, want integer|integer)/s,
    ],
    ['a misspelt key', '--set=operator.replicsa=2', /replicsa/],
    ['an unknown log level', '--set=envoy.logLevel=loud', /envoy\/logLevel/],
  ])("refuses %s with the schema's message", (_what, flag, message) => {
    expect(() => template(flag)).toThrow(message);
  });
});
