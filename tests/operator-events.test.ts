// What a user sees for a broken Gateway on a real kube-apiserver: the Gateway's own conditions
// name the listener and its cause, and one Warning Event carries it (counted, not repeated).
import { pino } from 'pino';
import { stringify } from 'yaml';
import type { ControlPlane } from '../local/control-plane/control-plane.ts';
import { gatewayApiReport } from '../local/cli/status.ts';
import { EventRecorder } from '../operator/kube/events.ts';
import type { KubeClient } from '../operator/kube/rest.ts';
import { parseFlags, runOperator, type RunningOperator } from '../operator/main.ts';
import {
  GATEWAY_CLASS_YAML,
  cond,
  eventually,
  get,
  operatorFlags,
  startCluster,
} from '../test-support/operator-harness.ts';

const BROKEN = `${GATEWAY_CLASS_YAML}---\n${stringify({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'Gateway',
  metadata: { name: 'broken', namespace: 'default' },
  spec: {
    gatewayClassName: 'portico',
    listeners: [
      { name: 'https', protocol: 'HTTPS', port: 443, tls: { certificateRefs: [{ name: 'no-such-secret' }] } },
    ],
  },
})}`;

interface Event {
  type: string;
  reason: string;
  message: string;
  count?: number;
  involvedObject: { kind: string; name: string };
}

describe('operator: a broken Gateway says why, with an Event (real kube-apiserver)', () => {
  let cp: ControlPlane;
  let client: KubeClient;
  let op: RunningOperator | undefined;

  beforeAll(async () => {
    ({ cp, client } = await startCluster());
  });
  afterAll(async () => {
    await op?.stop();
    client?.close();
    await cp?.stop();
  });

  const events = async (name: string) =>
    (await client.request<{ items: Event[] }>('/api/v1/namespaces/default/events')).items.filter(
      (e) => e.involvedObject.name === name,
    );

  it('an Event recorded twice is one Event with count 2', async () => {
    const rec = new EventRecorder(client, pino({ level: 'silent' }), 'portico-test');
    const cm = await client.request<{ metadata: { uid: string } }>('/api/v1/namespaces/default/configmaps', {
      method: 'POST',
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'target' } },
    });
    const target = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'target', namespace: 'default', uid: cm.metadata.uid },
    };
    await rec.record(target, 'Warning', 'Broken', 'it broke');
    await rec.record(target, 'Warning', 'Broken', 'it broke');
    await rec.record(target, 'Normal', 'Fixed', 'it works');
    const list = await events('target');
    expect(list.map((e) => [e.type, e.reason, e.message, e.count])).toEqual(
      expect.arrayContaining([
        ['Warning', 'Broken', 'it broke', 2],
        ['Normal', 'Fixed', 'it works', 1],
      ]),
    );
    expect(list).toHaveLength(2);
    // A second recorder (a restarted operator) counts the same Event up instead of failing.
    await new EventRecorder(client, pino({ level: 'silent' }), 'portico-test').record(
      target,
      'Warning',
      'Broken',
      'it broke',
    );
    expect((await events('target')).find((e) => e.reason === 'Broken')?.count).toBe(3);
  });

  it('an HTTPS listener whose Secret is missing: Programmed False/Invalid naming it, and a Warning Event', async () => {
    await cp.applyYaml(BROKEN);
    op = await runOperator(parseFlags(operatorFlags(cp.kubeconfigPath)));
    const cause = 'listener https: InvalidCertificateRef: Secret default/no-such-secret not found';
    const programmed = await eventually('Gateway broken Programmed from Portico', async () => {
      const c = cond((await get(client, 'gateways', 'broken'))?.status?.conditions, 'Programmed');
      return c?.status === 'False' && c;
    });
    expect(programmed).toMatchObject({
      status: 'False',
      reason: 'Invalid',
      message: `no listener is valid: ${cause}`,
    });
    const warning = await eventually('Warning Event for broken', async () =>
      (await events('broken')).find((e) => e.type === 'Warning'),
    );
    expect(warning).toMatchObject({
      reason: 'Invalid',
      message: `no listener is valid: ${cause}`,
      involvedObject: { kind: 'Gateway', name: 'broken' },
    });
    await op.controller.idle();
    expect((await events('broken')).filter((e) => e.type === 'Warning')).toHaveLength(1);
  });

  it('a route whose backend Service does not exist gets a BackendNotFound Warning Event', async () => {
    await cp.applyYaml(
      stringify({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'lost', namespace: 'default' },
        spec: {
          parentRefs: [{ name: 'broken' }],
          rules: [{ backendRefs: [{ name: 'no-such-service', port: 80 }] }],
        },
      }),
    );
    const warning = await eventually('Warning Event for route lost', async () =>
      (await events('lost')).find((e) => e.type === 'Warning' && e.reason === 'BackendNotFound'),
    );
    expect(warning.involvedObject.kind).toBe('HTTPRoute');
    expect(warning.message).toMatch(/^Gateway default\/broken: .*no-such-service/);
  });

  it('a ListenerSet on a Portico Gateway is refused with NotAllowed rather than left without status', async () => {
    await cp.applyYaml(
      stringify({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'ListenerSet',
        metadata: { name: 'extra', namespace: 'default' },
        spec: { parentRef: { name: 'broken' }, listeners: [{ name: 'more', protocol: 'HTTP', port: 8080 }] },
      }),
    );
    const ls = await eventually('ListenerSet refused', async () => {
      const o = await get(client, 'listenerSets', 'extra');
      return cond(o?.status?.conditions, 'Accepted')?.reason === 'NotAllowed' && o;
    });
    expect(cond(ls.status?.conditions, 'Accepted')).toMatchObject({
      status: 'False',
      message:
        'Gateway default/broken does not allow ListenerSets from namespace default (spec.allowedListeners)',
    });
    expect(cond(ls.status?.conditions, 'Programmed')).toMatchObject({
      status: 'False',
      reason: 'NotAllowed',
    });
  });

  it('portico status names the missing Gateway, the unknown class and the broken listener', async () => {
    await cp.applyYaml(
      [
        {
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind: 'Gateway',
          metadata: { name: 'typo', namespace: 'default' },
          spec: { gatewayClassName: 'portcio', listeners: [{ name: 'http', protocol: 'HTTP', port: 80 }] },
        },
        {
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind: 'HTTPRoute',
          metadata: { name: 'orphan', namespace: 'default' },
          spec: { parentRefs: [{ name: 'x' }], rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] },
        },
        ...['TCPRoute', 'UDPRoute'].map((kind) => ({
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind,
          metadata: { name: `orphan-${kind.slice(0, 3).toLowerCase()}`, namespace: 'default' },
          spec: { parentRefs: [{ name: 'x' }], rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] },
        })),
      ]
        .map((o) => stringify(o))
        .join('---\n'),
    );
    const report = await eventually('status report with every answer', async () => {
      const r = await gatewayApiReport(cp.kubeConfig);
      const text = r.lines.join('\n');
      return /orphan-udp/.test(text) && /typo/.test(text) && r;
    });
    expect(report.problems).toBe(6);
    const text = report.lines.join('\n');
    expect(text).toMatch(/HTTPRoute\s+default\s+orphan\s+Gateway default\/x not found/);
    expect(text).toMatch(/TCPRoute\s+default\s+orphan-tcp\s+Gateway default\/x not found/);
    expect(text).toMatch(/UDPRoute\s+default\s+orphan-udp\s+Gateway default\/x not found/);
    expect(text).toMatch(/default\s+typo\s+portcio\s+Unknown: GatewayClass portcio does not exist/);
    expect(text).toMatch(
      /default\s+broken\s+portico\s+False: Invalid: no listener is valid: listener https: InvalidCertificateRef/,
    );
    expect(text).toMatch(/^2 Gateway\(s\) with problems \(see PROGRAMMED\)$/m);
    expect(text).toMatch(/^4 route\(s\) with problems \(see STATUS\)$/m);
  });
});
