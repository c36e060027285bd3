import { Duration, Size } from 'cdk8s';
import * as plus from 'cdk8s-plus-34';
import {
  KubeClusterRole,
  KubeClusterRoleBinding,
  KubeRole,
  KubeRoleBinding,
  type PolicyRule,
} from 'cdk8s-plus-34/lib/imports/k8s.js';
import { Construct } from 'constructs';
import { NONROOT_ID, nonRootContainer } from './security.ts';
import { PORTICO_VERSION_TAG } from './agent-daemon-set.ts';
import { clusterScoped } from './cluster-scoped.ts';
import { PORTICO_CONTROLLER_NAME } from './gateway-class.ts';
import { PORTICO_GROUP } from './portico-crds.ts';
import { checkPort } from './validate.ts';

/**
 * node flags the operator runs with: in its image, in this chart and in the local harness. gc() for
 * the collection once it goes quiet after a busy period (operator/idle-gc.ts). A smaller young
 * generation (--max-semi-space-size=8) lowers RSS after a burst further but slowed 10,000 routes.
 */
export const OPERATOR_NODE_OPTIONS: readonly string[] = ['--expose-gc'];

export interface OperatorProps {
  /** @default "portico-operator" */
  readonly name?: string;
  /** @default "portico/operator:0.1.0" */
  readonly image?: string;
  /** Replicas; any can serve xDS, one (the Lease holder) writes. @default 2 */
  readonly replicas?: number;
  /** Port of the ADS gRPC server. @default 18000 */
  readonly xdsPort?: number;
  /** Name of the Service Envoy dials for ADS. @default "portico-xds" */
  readonly xdsServiceName?: string;
  /** @default 9090 */
  readonly metricsPort?: number;
  /** @default "portico.dev/gateway-controller" */
  readonly controllerName?: string;
  /** @default requests 100m CPU / 128Mi, limit 512Mi memory */
  readonly resources?: plus.ContainerResources;
  /** @default "info" */
  readonly logLevel?: string;
  /** Elect a leader that alone writes statuses and objects; off only for a single replica. @default true */
  readonly leaderElection?: boolean;
  /** Secret with the xDS server certificate, key and client CA (made by XdsCertgen). @default "portico-xds-server" */
  readonly xdsTlsSecret?: string;
}

/** Where the operator reads its xDS server certificate. */
export const OPERATOR_XDS_TLS_DIR = '/etc/portico/xds-tls';

const GW = 'gateway.networking.k8s.io';
const READ = ['get', 'list', 'watch'];
const WRITE_STATUS = ['get', 'update', 'patch'];

/** What the operator may do, and no more: read its inputs, write statuses, own the Gateway Services. */
export const operatorClusterRules: PolicyRule[] = [
  {
    apiGroups: [GW],
    resources: [
      'gatewayclasses',
      'gateways',
      'httproutes',
      'grpcroutes',
      'tlsroutes',
      'tcproutes',
      'udproutes',
      'referencegrants',
      'listenersets',
      'backendtlspolicies',
    ],
    verbs: READ,
  },
  {
    apiGroups: [GW],
    resources: [
      'gatewayclasses/status',
      'gateways/status',
      'httproutes/status',
      'grpcroutes/status',
      'tlsroutes/status',
      'tcproutes/status',
      'udproutes/status',
      'listenersets/status',
      'backendtlspolicies/status',
    ],
    verbs: WRITE_STATUS,
  },
  { apiGroups: [''], resources: ['services'], verbs: [...READ, 'create', 'update', 'patch', 'delete'] },
  { apiGroups: [''], resources: ['services/status'], verbs: WRITE_STATUS },
  { apiGroups: [''], resources: ['secrets', 'configmaps', 'namespaces', 'nodes'], verbs: READ },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: READ },
  { apiGroups: [PORTICO_GROUP], resources: ['loadbalancerippools', 'l2announcementpolicies'], verbs: READ },
  {
    apiGroups: [PORTICO_GROUP],
    resources: ['loadbalancerippools/status', 'l2announcementpolicies/status'],
    verbs: WRITE_STATUS,
  },
  { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
];

/** The operator Deployment, its RBAC and the xDS Service Envoy connects to. */
export class Operator extends Construct {
  readonly deployment: plus.Deployment;
  readonly serviceAccount: plus.ServiceAccount;
  readonly xdsService: plus.Service;
  readonly metricsService: plus.Service;
  readonly xdsPort: number;

  constructor(scope: Construct, id: string, props: OperatorProps = {}) {
    super(scope, id);
    const name = props.name ?? 'portico-operator';
    this.xdsPort = props.xdsPort ?? 18000;
    const metricsPort = props.metricsPort ?? 9090;
    checkPort(this, 'xdsPort', this.xdsPort);
    checkPort(this, 'metricsPort', metricsPort);
    const labels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'portico' };
    this.serviceAccount = new plus.ServiceAccount(this, 'ServiceAccount', { metadata: { name, labels } });
    const namespace = this.serviceAccount.metadata.namespace;
    const subjects = [{ kind: 'ServiceAccount', name: this.serviceAccount.name, namespace }];

    const role = clusterScoped(
      new KubeClusterRole(this, 'ClusterRole', { metadata: { name, labels }, rules: operatorClusterRules }),
    );
    clusterScoped(
      new KubeClusterRoleBinding(this, 'ClusterRoleBinding', {
        metadata: { name, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.name },
        subjects,
      }),
    );
    // Leader election only in Portico's own namespace.
    const leader = new KubeRole(this, 'LeaderElectionRole', {
      metadata: { name: `${name}-leader-election`, labels },
      rules: [
        {
          apiGroups: ['coordination.k8s.io'],
          resources: ['leases'],
          // delete: the leader removes xDS reports of replicas long gone (ack-reports.ts).
          verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
        },
      ],
    });
    new KubeRoleBinding(this, 'LeaderElectionRoleBinding', {
      metadata: { name: `${name}-leader-election`, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: leader.name },
      subjects,
    });

    this.deployment = new plus.Deployment(this, 'Resource', {
      metadata: { name, labels },
      podMetadata: { labels },
      replicas: props.replicas ?? 2,
      serviceAccount: this.serviceAccount,
      // cdk8s-plus leaves the token out by default; the operator talks to the API.
      automountServiceAccountToken: true,
      isolate: false,
      // The xDS key is group-readable by the operator's group only.
      securityContext: { ensureNonRoot: true, user: NONROOT_ID, group: NONROOT_ID, fsGroup: NONROOT_ID },
    });
    const container = this.deployment.addContainer({
      name: 'operator',
      image: props.image ?? `portico/operator:${PORTICO_VERSION_TAG}`,
      imagePullPolicy: plus.ImagePullPolicy.IF_NOT_PRESENT,
      args: [
        `--controller-name=${props.controllerName ?? PORTICO_CONTROLLER_NAME}`,
        `--xds-port=${this.xdsPort}`,
        `--metrics-port=${metricsPort}`,
        `--log-level=${props.logLevel ?? 'info'}`,
        `--leader-election-id=${props.leaderElection === false ? '' : name}`,
        `--xds-tls-dir=${OPERATOR_XDS_TLS_DIR}`,
      ],
      envVariables: {
        POD_NAMESPACE: plus.EnvValue.fromFieldRef(plus.EnvFieldPaths.POD_NAMESPACE),
        // Also in the image; set here too so the chart keeps them with any image.
        NODE_OPTIONS: plus.EnvValue.fromValue(OPERATOR_NODE_OPTIONS.join(' ')),
      },
      ports: [
        { name: 'xds', number: this.xdsPort },
        { name: 'metrics', number: metricsPort },
      ],
      readiness: plus.Probe.fromHttpGet('/readyz', { port: metricsPort }),
      liveness: plus.Probe.fromHttpGet('/healthz', { port: metricsPort }),
      // A busy node may take a while to start it; liveness counts only from then.
      startup: plus.Probe.fromHttpGet('/healthz', {
        port: metricsPort,
        periodSeconds: Duration.seconds(2),
        failureThreshold: 90,
      }),
      resources: props.resources ?? {
        cpu: { request: plus.Cpu.millis(100) },
        memory: { request: Size.mebibytes(128), limit: Size.mebibytes(512) },
      },
      securityContext: nonRootContainer,
    });
    const tls = plus.Secret.fromSecretName(this, 'XdsTlsSecret', props.xdsTlsSecret ?? 'portico-xds-server');
    container.mount(
      OPERATOR_XDS_TLS_DIR,
      plus.Volume.fromSecret(this, 'XdsTls', tls, { name: 'xds-tls', defaultMode: 0o440 }),
      { readOnly: true },
    );
    this.xdsService = new plus.Service(this, 'XdsService', {
      metadata: { name: props.xdsServiceName ?? 'portico-xds', labels },
      selector: this.deployment,
      ports: [{ name: 'xds', port: this.xdsPort, targetPort: this.xdsPort }],
    });
    this.metricsService = new plus.Service(this, 'MetricsService', {
      metadata: { name: `${name}-metrics`, labels },
      selector: this.deployment,
      ports: [{ name: 'metrics', port: metricsPort, targetPort: metricsPort }],
    });
  }
}
