// /metrics as an operator user scrapes it: every portico_* family is there with its help text,
// and each moves when its help text says it does (real kube-apiserver, the operator in-process).
import type { ControlPlane } from '../local/control-plane/control-plane.ts';
import { parseFlags, runOperator, type RunningOperator } from '../operator/main.ts';
import type { KubeClient } from '../operator/kube/rest.ts';
import { RESOURCES, resourcePath } from '../operator/kube/resources.ts';
import {
  backendYaml,
  cond,
  eventually,
  get,
  metric,
  operatorFlags,
  startCluster,
  webGatewayYaml,
} from '../test-support/operator-harness.ts';

describe('operator: /metrics (real kube-apiserver)', () => {
  let cp: ControlPlane;
  let client: KubeClient;
  let op: RunningOperator;
  const m = (name: string, labels = '') => metric(op.metricsPort, name, labels);

  beforeAll(async () => {
    ({ cp, client } = await startCluster());
    await cp.applyYaml(
      webGatewayYaml([{ name: 'http', port: 80 }]) + '---\n' + backendYaml('app', 8080, '10.244.3.10'),
    );
    op = await runOperator(parseFlags(operatorFlags(cp.kubeconfigPath)));
    await eventually('Gateway web Accepted', async () => {
      const g = await get(client, 'gateways', 'web');
      return cond(g?.status?.conditions, 'Accepted')?.status === 'True';
    });
    await op.controller.idle();
  });
  afterAll(async () => {
    await op?.stop();
    client?.close();
    await cp?.stop();
  });

  it('serves every portico_* family with a help text', async () => {
    const text = await (await fetch(`http://127.0.0.1:${op.metricsPort}/metrics`)).text();
    const help = new Map(
      [...text.matchAll(/^# HELP (portico_\w+) (.+)$/gm)].map((x) => [x[1]!, x[2]!] as const),
    );
    expect([...help.keys()].sort()).toEqual([
      'portico_apply_total',
      'portico_endpoint_pushes_total',
      'portico_leader',
      'portico_reconcile_duration_seconds',
      'portico_reconcile_total',
      'portico_status_echoes_total',
      'portico_status_throttled_total',
      'portico_status_writes_skipped_total',
      'portico_status_writes_total',
      'portico_watch_errors_total',
      'portico_workqueue_depth',
    ]);
    expect(help.get('portico_reconcile_total')).toMatch(/phase .*result .*error.*conflict.*skipped/);
  });

  it('counts both reconcile phases, their durations, the applied Service and the status writes', async () => {
    expect(await m('portico_reconcile_total', 'phase="translate",result="ok"')).toBeGreaterThan(0);
    expect(await m('portico_reconcile_total', 'phase="write",result="ok"')).toBeGreaterThan(0);
    expect(await m('portico_reconcile_duration_seconds_count', 'phase="translate"')).toBeGreaterThan(0);
    expect(await m('portico_reconcile_duration_seconds_count', 'phase="write"')).toBeGreaterThan(0);
    expect(await m('portico_apply_total', 'kind="Service",action="apply"')).toBe(1);
    expect(await m('portico_status_writes_total', 'kind="Gateway"')).toBeGreaterThan(0);
    expect(await m('portico_status_writes_total', 'kind="GatewayClass"')).toBeGreaterThan(0);
    expect(await m('portico_leader')).toBe(1);
    expect(await m('portico_reconcile_total', 'result="error"')).toBe(0);
  });

  it('counts a status write that was not needed as skipped (unchanged), not as a write', async () => {
    const writes = await m('portico_status_writes_total', 'kind="Gateway"');
    const skipped = await m('portico_status_writes_skipped_total', 'kind="Gateway",reason="unchanged"');
    // A label change: a reconcile, but nothing new to say about the Gateway.
    await client.request(resourcePath(RESOURCES.gateways, 'default', 'web'), {
      method: 'PATCH',
      patchType: 'merge',
      body: { metadata: { labels: { touched: 'yes' } } },
    });
    await eventually(
      'a skipped Gateway status write',
      async () =>
        (await m('portico_status_writes_skipped_total', 'kind="Gateway",reason="unchanged"')) > skipped,
    );
    await op.controller.idle();
    expect(await m('portico_status_writes_total', 'kind="Gateway"')).toBe(writes);
  });

  it('counts a reconcile whose write fails as result="error"', async () => {
    // The API server refuses the Gateway's LoadBalancer Service: an admission policy denies every
    // Service in namespace "full".
    await cp.applyYaml(`
apiVersion: v1
kind: Namespace
metadata: { name: full, labels: { services: denied } }
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: { name: no-services }
spec:
  matchConstraints:
    resourceRules:
      - { apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [services] }
  validations: [{ expression: "false", message: no Services here }]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: { name: no-services }
spec:
  policyName: no-services
  validationActions: [Deny]
  matchResources: { namespaceSelector: { matchLabels: { services: denied } } }
`);
    // The policy takes effect once the API server has loaded it.
    await eventually('the policy to refuse a Service', async () => {
      try {
        await cp.applyYaml(backendYaml('probe', 80, '10.244.3.11', 'full'));
        await client.request(resourcePath(RESOURCES.services, 'full', 'probe'), { method: 'DELETE' });
        return false;
      } catch (err) {
        return /no Services here/.test(String(err));
      }
    });
    await cp.applyYaml(`
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: refused, namespace: full }
spec:
  gatewayClassName: portico
  listeners: [{ name: http, protocol: HTTP, port: 80 }]
`);
    await eventually(
      'portico_reconcile_total{phase="write",result="error"} > 0',
      async () => (await m('portico_reconcile_total', 'phase="write",result="error"')) > 0,
      60000,
    );
    expect(await m('portico_apply_total', 'kind="Service",action="apply"')).toBe(1);
  });
});
