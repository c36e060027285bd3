import { InstallChart } from './install-chart.ts';
import { testApp } from '../test-support/cdk8s.ts';

describe('InstallChart', () => {
  test('puts Portico together in its namespace', () => {
    const chart = new InstallChart(testApp(), 'portico');
    const objs = chart.toJson();
    // The bootstrap belongs to operator/xds (tested there against the real Envoy); keep it out of this snapshot.
    expect(
      objs.map((o) => (o.kind === 'ConfigMap' ? { ...o, data: Object.keys(o.data) } : o)),
    ).toMatchSnapshot();
    const kinds = objs.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'Namespace/portico-system',
        'CustomResourceDefinition/loadbalancerippools.portico.dev',
        'CustomResourceDefinition/l2announcementpolicies.portico.dev',
        'Deployment/portico-operator',
        'Service/portico-xds',
        'DaemonSet/portico-envoy',
        'DaemonSet/portico-agent',
        'GatewayClass/portico',
      ]),
    );
    const clusterScoped = [
      'Namespace',
      'CustomResourceDefinition',
      'ClusterRole',
      'ClusterRoleBinding',
      'GatewayClass',
    ];
    for (const o of objs) {
      if (clusterScoped.includes(o.kind)) expect(o.metadata.namespace).toBeUndefined();
      else expect(o.metadata.namespace).toBe('portico-system');
    }
    const gc = objs.find((o) => o.kind === 'GatewayClass');
    expect(gc.spec.controllerName).toBe('portico.dev/gateway-controller');
  });

  test('runs the operator with its node flags (gc for the idle collection)', () => {
    const objs = new InstallChart(testApp(), 'portico').toJson();
    const dep = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'portico-operator');
    const c = dep.spec.template.spec.containers.find((x: { name: string }) => x.name === 'operator');
    // The image's entrypoint (node /app/main.js) runs: no command of the chart's own.
    expect(c.command).toBeUndefined();
    const env = Object.fromEntries(c.env.map((e: { name: string; value?: string }) => [e.name, e.value]));
    expect(env.NODE_OPTIONS?.split(' ')).toEqual(['--expose-gc']);
  });

  test("points Envoy's ADS at the operator's xDS Service", () => {
    const chart = new InstallChart(testApp(), 'portico', { namespace: 'edge', xdsPort: 18001 });
    const cm = chart.toJson().find((o) => o.kind === 'ConfigMap');
    const boot = JSON.parse(cm.data['bootstrap.json']);
    expect(JSON.stringify(boot.static_resources)).toContain('portico-xds.edge.svc.cluster.local');
    expect(JSON.stringify(boot.static_resources)).toContain('18001');
    // Delta xDS, as the local cluster runs: pushes carry only changed clusters and listeners.
    expect(boot.dynamic_resources.ads_config.api_type).toBe('DELTA_GRPC');
  });

  test('can add a default IP pool and L2 policy (local mode)', () => {
    const chart = new InstallChart(testApp(), 'portico', { ipPoolBlocks: [{ cidr: '127.0.200.0/24' }] });
    const objs = chart.toJson();
    const pool = objs.find((o) => o.kind === 'LoadBalancerIPPool');
    expect(pool.metadata).toEqual({ name: 'default', labels: { 'app.kubernetes.io/part-of': 'portico' } });
    expect(pool.spec.blocks).toEqual([{ cidr: '127.0.200.0/24' }]);
    expect(objs.find((o) => o.kind === 'L2AnnouncementPolicy').spec.loadBalancerIPs).toBe(true);
    expect(
      () =>
        new InstallChart(testApp(), 'bad', {
          ipPoolBlocks: [{ start: '127.0.200.9', stop: '127.0.200.1' }],
        }),
    ).toThrow(
      'LoadBalancerIpPool "bad/DefaultIpPool": blocks[0] start 127.0.200.9 is after stop 127.0.200.1',
    );
  });

  test('can leave out the default GatewayClass', () => {
    const chart = new InstallChart(testApp(), 'portico', { gatewayClass: false });
    expect(chart.toJson().some((o) => o.kind === 'GatewayClass')).toBe(false);
  });
});
