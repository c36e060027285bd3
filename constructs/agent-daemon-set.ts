import { Size } from 'cdk8s';
import * as plus from 'cdk8s-plus-34';
import {
  KubeClusterRole,
  KubeClusterRoleBinding,
  KubeRole,
  KubeRoleBinding,
} from 'cdk8s-plus-34/lib/imports/k8s.js';
import { Construct } from 'constructs';
import { PORTICO_GROUP } from './portico-crds.ts';
import { clusterScoped } from './cluster-scoped.ts';
import { runtimeDefaultSeccomp } from './security.ts';

export const PORTICO_VERSION_TAG = '0.1.0';

export interface AgentDaemonSetProps {
  /** @default "portico-agent" */
  readonly name?: string;
  /** @default "portico/agent:0.1.0" */
  readonly image?: string;
  /** @default requests 50m CPU / 64Mi, limit 256Mi memory */
  readonly resources?: plus.ContainerResources;
}

/**
 * The node agent: answers ARP and NDP for the Gateway addresses whose Lease it holds, with an XDP
 * program. It needs the host network, NET_ADMIN (VIP routes, attaching XDP), NET_RAW (gratuitous
 * ARP), BPF and PERFMON (loading the program and its maps), and nothing else. Nodes should have
 * net.ipv4.conf.all.arp_ignore=1 (the agent's /proc/sys is read-only, so it cannot set it): the
 * kernel then leaves ARP for those addresses to the program.
 */
export class AgentDaemonSet extends Construct {
  readonly daemonSet: plus.DaemonSet;
  readonly serviceAccount: plus.ServiceAccount;

  constructor(scope: Construct, id: string, props: AgentDaemonSetProps = {}) {
    super(scope, id);
    const name = props.name ?? 'portico-agent';
    const labels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'portico' };
    this.serviceAccount = new plus.ServiceAccount(this, 'ServiceAccount', { metadata: { name, labels } });
    const namespace = this.serviceAccount.metadata.namespace;

    const role = clusterScoped(
      new KubeClusterRole(this, 'ClusterRole', {
        metadata: { name, labels },
        rules: [
          { apiGroups: [''], resources: ['services', 'nodes'], verbs: ['get', 'list', 'watch'] },
          // The announcing node, as a condition on the Service and an Event on takeover.
          { apiGroups: [''], resources: ['services/status'], verbs: ['get', 'patch'] },
          { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
          { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
          {
            apiGroups: [PORTICO_GROUP],
            resources: ['l2announcementpolicies'],
            verbs: ['get', 'list', 'watch'],
          },
        ],
      }),
    );
    clusterScoped(
      new KubeClusterRoleBinding(this, 'ClusterRoleBinding', {
        metadata: { name, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.name },
        subjects: [{ kind: 'ServiceAccount', name: this.serviceAccount.name, namespace }],
      }),
    );
    // One Lease per announced address, in Portico's namespace only.
    const leases = new KubeRole(this, 'LeaseRole', {
      metadata: { name: `${name}-leases`, labels },
      rules: [
        {
          apiGroups: ['coordination.k8s.io'],
          resources: ['leases'],
          verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
        },
      ],
    });
    new KubeRoleBinding(this, 'LeaseRoleBinding', {
      metadata: { name: `${name}-leases`, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: leases.name },
      subjects: [{ kind: 'ServiceAccount', name: this.serviceAccount.name, namespace }],
    });

    this.daemonSet = new plus.DaemonSet(this, 'Resource', {
      metadata: { name, labels },
      podMetadata: { labels },
      hostNetwork: true,
      dns: { policy: plus.DnsPolicy.CLUSTER_FIRST_WITH_HOST_NET },
      serviceAccount: this.serviceAccount,
      // Leases, informers and status writes: the agent talks to the API.
      automountServiceAccountToken: true,
      securityContext: { ensureNonRoot: false },
      isolate: false,
    });
    // One per node, control-plane nodes included (as Cilium's agent and Envoy run).
    this.daemonSet.scheduling.tolerate(plus.Node.tainted(plus.NodeTaintQuery.any()));
    this.daemonSet.addContainer({
      name: 'agent',
      image: props.image ?? `portico/agent:${PORTICO_VERSION_TAG}`,
      imagePullPolicy: plus.ImagePullPolicy.IF_NOT_PRESENT,
      args: ['--node-name=$(NODE_NAME)', `--lease-namespace=$(POD_NAMESPACE)`],
      envVariables: {
        NODE_NAME: plus.EnvValue.fromFieldRef(plus.EnvFieldPaths.NODE_NAME),
        POD_NAMESPACE: plus.EnvValue.fromFieldRef(plus.EnvFieldPaths.POD_NAMESPACE),
      },
      portNumber: 9964,
      liveness: plus.Probe.fromHttpGet('/healthz', { port: 9964, host: '127.0.0.1' }),
      resources: props.resources ?? {
        cpu: { request: plus.Cpu.millis(50) },
        memory: { request: Size.mebibytes(64), limit: Size.mebibytes(256) },
      },
      securityContext: {
        ensureNonRoot: false,
        user: 0,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: {
          drop: [plus.Capability.ALL],
          add: [
            plus.Capability.NET_ADMIN,
            plus.Capability.NET_RAW,
            plus.Capability.BPF,
            plus.Capability.PERFMON,
          ],
        },
        seccompProfile: runtimeDefaultSeccomp,
      },
    });
  }
}
