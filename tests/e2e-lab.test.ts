import { startLocalCluster, type LocalCluster } from '../local/cluster.ts';
import { runLabChecks } from '../local/demo.ts';
import { deployLab, type Lab } from '../local/lab.ts';

// The seed lab through the whole system: real kube-apiserver, the operator, a real Envoy fed over
// xDS, Gateway VIPs from a loopback pool, backends as processes in network namespaces.
describe('the seed lab end to end', () => {
  let cluster: LocalCluster;
  let lab: Lab;

  beforeAll(async () => {
    // Each suite has its own VIP range: two Envoys bound to one VIP:port would share its connections.
    cluster = await startLocalCluster({ poolCidr: '127.0.203.0/24' });
    lab = await deployLab(cluster.controlPlane.kubeConfig, (y) => cluster.controlPlane.applyYaml(y));
  }, 180000);
  afterAll(async () => {
    await lab?.stop();
    await cluster?.stop();
  });

  it('passes every check the lab makes (HTTP matches, HTTPS, passthrough, 50/50, 99/1, 75/25)', async () => {
    const checks = await runLabChecks(cluster.controlPlane.kubeConfig, lab, cluster.envoy!.adminUrl, false);
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(checks.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'GET /details/1 returns the book',
        'the same request without the header is 404',
        "TLS passthrough: the client sees the backend's own certificate",
        expect.stringMatching(/^\/echo split 99\/1/),
        expect.stringMatching(/^\/exam split 75\/25/),
      ]),
    );
  }, 300000);
});
