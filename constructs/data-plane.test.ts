import { Chart } from 'cdk8s';
import { versions } from '../local/toolchain/versions.ts';
import { AgentDaemonSet } from './agent-daemon-set.ts';
import { ENVOY_ADMIN_SOCKET, ENVOY_IMAGE, ENVOY_VERSION, EnvoyDaemonSet } from './envoy-daemon-set.ts';
import { Operator, operatorClusterRules } from './operator.ts';
import { testApp } from '../test-support/cdk8s.ts';

const bootstrap = {
  node: { id: 'portico-envoy', cluster: 'portico' },
  admin: { address: { pipe: { path: ENVOY_ADMIN_SOCKET, mode: 0o660 } } },
  dynamic_resources: { ads_config: { api_type: 'GRPC' } },
};

// Synthesized manifests are free-form JSON (cdk8s types them as any[]).
const byKind = (objs: ReturnType<Chart['toJson']>, kind: string) => objs.filter((o) => o.kind === kind);

function chart() {
  return new Chart(testApp(), 'portico', { namespace: 'portico-system' });
}

describe('EnvoyDaemonSet', () => {
  test('pins the Envoy the tests run', () => {
    expect(ENVOY_VERSION).toBe(versions.envoy);
    expect(ENVOY_IMAGE).toBe(`envoyproxy/envoy:v${versions.envoy}`);
  });

  test('one Envoy per node on the host network, bootstrap from a ConfigMap, admin on a pod-local socket', () => {
    const c = chart();
    new EnvoyDaemonSet(c, 'envoy', { bootstrap });
    const objs = c.toJson();
    expect(objs).toMatchSnapshot();
    const ds = byKind(objs, 'DaemonSet')[0];
    const pod = ds.spec.template.spec;
    expect(pod.hostNetwork).toBe(true);
    expect(pod.dnsPolicy).toBe('ClusterFirstWithHostNet');
    // Control-plane nodes too: every node that may hold a Gateway address needs its Envoy.
    expect(pod.tolerations).toEqual([{ operator: 'Exists' }]);
    const [envoy, lifecycle] = pod.containers;
    expect(envoy.image).toBe(ENVOY_IMAGE);
    expect(envoy.securityContext.capabilities).toEqual({ add: ['NET_BIND_SERVICE'], drop: ['ALL'] });
    expect(envoy.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(envoy.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    const cm = byKind(objs, 'ConfigMap')[0];
    expect(JSON.parse(cm.data['bootstrap.json'])).toEqual(bootstrap);
    expect(cm.data['envoy-lifecycle.mjs']).toContain('drain_listeners');
    expect(pod.volumes[0].configMap.name).toBe(cm.metadata.name);
    // A rollout starts the new pod beside the old one (no node without a ready Envoy); readiness
    // comes from this pod's own Envoy, over its admin socket, not a port the two pods would share.
    expect(ds.spec.updateStrategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
    expect(lifecycle.readinessProbe.exec.command).toEqual([
      'node',
      '/etc/envoy/envoy-lifecycle.mjs',
      'ready',
      ENVOY_ADMIN_SOCKET,
    ]);
    expect(lifecycle.command).toEqual([
      'node',
      '/etc/envoy/envoy-lifecycle.mjs',
      'run',
      ENVOY_ADMIN_SOCKET,
      '15',
    ]);
    expect(lifecycle.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true });
    // Envoy outlives the drain, and the grace period outlives both.
    expect(envoy.lifecycle.preStop).toEqual({ sleep: { seconds: 16 } });
    expect(pod.terminationGracePeriodSeconds).toBe(30);
    expect(envoy.livenessProbe).toBeUndefined();
  });

  test('refuses a bootstrap without ADS, an admin interface on a port, and a bad drain time', () => {
    expect(() => new EnvoyDaemonSet(chart(), 'envoy', { bootstrap: { admin: bootstrap.admin } })).toThrow(
      'EnvoyDaemonSet "portico/envoy": bootstrap has no dynamic_resources',
    );
    const tcpAdmin = {
      ...bootstrap,
      admin: { address: { socket_address: { address: '127.0.0.1', port_value: 19000 } } },
    };
    expect(() => new EnvoyDaemonSet(chart(), 'envoy', { bootstrap: tcpAdmin })).toThrow(
      `bootstrap admin must listen on the unix socket ${ENVOY_ADMIN_SOCKET}`,
    );
    expect(() => new EnvoyDaemonSet(chart(), 'envoy', { bootstrap, drainSeconds: 0 })).toThrow(
      'drainSeconds must be a whole number from 1 to 3600, got 0',
    );
  });
});

describe('AgentDaemonSet', () => {
  test('host network with the XDP and ARP capabilities only, RBAC to read, hold Leases and report', () => {
    const c = chart();
    new AgentDaemonSet(c, 'agent');
    const objs = c.toJson();
    expect(objs).toMatchSnapshot();
    const pod = byKind(objs, 'DaemonSet')[0].spec.template.spec;
    expect(pod.hostNetwork).toBe(true);
    const sc = pod.containers[0].securityContext;
    expect(sc.capabilities).toEqual({ add: ['NET_ADMIN', 'NET_RAW', 'BPF', 'PERFMON'], drop: ['ALL'] });
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(sc.privileged).toBe(false);
    expect(sc.allowPrivilegeEscalation).toBe(false);
    const clusterRole = byKind(objs, 'ClusterRole')[0];
    expect(clusterRole.metadata.namespace).toBeUndefined();
    // Reads, plus only the announcing node's condition on Services and Events.
    const writes = clusterRole.rules.filter((r: { verbs: string[] }) =>
      r.verbs.some((v) => !['get', 'list', 'watch'].includes(v)),
    );
    expect(writes.map((r: { resources: string[] }) => r.resources)).toEqual([
      ['services/status'],
      ['events'],
    ]);
    expect(byKind(objs, 'Role')[0].rules[0].resources).toEqual(['leases']);
  });
});

describe('Operator', () => {
  test('Deployment, xDS Service and least-privilege RBAC', () => {
    const c = chart();
    const op = new Operator(c, 'operator', { replicas: 3 });
    const objs = c.toJson();
    expect(objs).toMatchSnapshot();
    const dep = byKind(objs, 'Deployment')[0];
    expect(dep.spec.replicas).toBe(3);
    // In-cluster config reads the mounted token; cdk8s-plus leaves it out unless asked.
    expect(dep.spec.template.spec.automountServiceAccountToken).toBe(true);
    expect(dep.spec.template.spec.containers[0].args).toContain(
      '--controller-name=portico.dev/gateway-controller',
    );
    const svc = byKind(objs, 'Service')[0];
    expect(svc.metadata.name).toBe('portico-xds');
    expect(svc.spec.ports).toEqual([{ name: 'xds', port: 18000, targetPort: 18000 }]);
    expect(svc.spec.selector).toEqual(dep.spec.selector.matchLabels);
    expect(op.xdsPort).toBe(18000);
  });

  test('never asks for wildcards, secrets writes or write access to routes', () => {
    for (const rule of operatorClusterRules) {
      expect(rule.verbs).not.toContain('*');
      expect(rule.resources).not.toContain('*');
      if (rule.resources?.includes('secrets')) expect(rule.verbs).toEqual(['get', 'list', 'watch']);
      if (rule.resources?.includes('httproutes')) expect(rule.verbs).toEqual(['get', 'list', 'watch']);
    }
  });

  test('refuses a bad port', () => {
    expect(() => new Operator(chart(), 'operator', { xdsPort: 0 })).toThrow(
      'Operator "portico/operator": xdsPort must be an integer port',
    );
  });
});
