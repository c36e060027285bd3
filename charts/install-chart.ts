import { ApiObject, Chart, type ChartProps, Include } from 'cdk8s';
import { KubeNamespace } from 'cdk8s-plus-34/lib/imports/k8s.js';
import type { Construct } from 'constructs';
import fs from 'node:fs';
import path from 'node:path';
import {
  AgentDaemonSet,
  ENVOY_ADMIN_SOCKET,
  ENVOY_XDS_TLS_DIR,
  EnvoyDaemonSet,
  GatewayClass,
  type IpBlock,
  L2AnnouncementPolicy,
  LoadBalancerIpPool,
  Operator,
  PorticoCrd,
  clusterScoped,
  l2AnnouncementPolicyCrd,
  loadBalancerIpPoolCrd,
  XDS_CLIENT_SECRET,
  XDS_SERVER_SECRET,
  XdsCertgen,
} from '../constructs/index.ts';
import { renderBootstrap, renderXdsClientSds, renderXdsServerCaSds } from '../operator/xds/bootstrap.ts';

export interface InstallChartProps extends ChartProps {
  /** Namespace Portico runs in. @default "portico-system" */
  readonly namespace?: string;
  /** @default the Operator construct's default */
  readonly operatorImage?: string;
  /** @default the AgentDaemonSet construct's default */
  readonly agentImage?: string;
  /** @default the upstream Envoy image at the tested version */
  readonly envoyImage?: string;
  /** @default 2 */
  readonly operatorReplicas?: number;
  /** Run the node agent (L2 announcements) on every node. @default true */
  readonly agent?: boolean;
  /** @default 18000 */
  readonly xdsPort?: number;
  /** Create the default GatewayClass "portico". @default true */
  readonly gatewayClass?: boolean;
  /** A folder of Gateway API CRD manifests to include (e.g. the pinned ones). @default not included */
  readonly gatewayApiCrdDir?: string;
  /**
   * Address blocks for a default LoadBalancerIPPool "default" and an L2AnnouncementPolicy "default" that
   * announces them (local mode uses a loopback range such as 127.0.200.0/24). @default neither is created
   */
  readonly ipPoolBlocks?: IpBlock[];
  /** Interfaces (RE2) the default L2AnnouncementPolicy announces on. @default every interface */
  readonly l2Interfaces?: string[];
  /** @default "info" */
  readonly operatorLogLevel?: string;
  /** @default "info" */
  readonly envoyLogLevel?: string;
  /** A Prometheus Operator ServiceMonitor for the operator's metrics. @default false */
  readonly serviceMonitor?: boolean;
}

/** The SDS files (in Envoy's bootstrap ConfigMap) that point at its xDS client certificate and CAs. */
const XDS_CLIENT_SDS_FILE = 'xds-client-sds.json';
const XDS_CA_SDS_FILE = 'xds-ca-sds.json';

/** Everything Portico deploys: CRDs, RBAC, the operator, Envoy and the agent per node, the GatewayClass. */
export class InstallChart extends Chart {
  readonly operator: Operator;
  readonly envoy: EnvoyDaemonSet;
  readonly agent?: AgentDaemonSet;
  readonly certgen: XdsCertgen;

  constructor(scope: Construct, id: string, props: InstallChartProps = {}) {
    const namespace = props.namespace ?? 'portico-system';
    super(scope, id, {
      ...props,
      namespace,
      labels: { 'app.kubernetes.io/part-of': 'portico', ...props.labels },
    });
    if (props.gatewayApiCrdDir) {
      for (const f of fs
        .readdirSync(props.gatewayApiCrdDir)
        .filter((n) => n.endsWith('.yaml'))
        .sort()) {
        new Include(this, `GatewayApiCrd-${f}`, { url: path.join(props.gatewayApiCrdDir, f) });
      }
    }
    clusterScoped(new KubeNamespace(this, 'Namespace', { metadata: { name: namespace } }));
    new PorticoCrd(this, 'LoadBalancerIPPoolCrd', loadBalancerIpPoolCrd);
    new PorticoCrd(this, 'L2AnnouncementPolicyCrd', l2AnnouncementPolicyCrd);
    this.certgen = new XdsCertgen(this, 'XdsCertgen', { image: props.operatorImage });
    this.operator = new Operator(this, 'Operator', {
      image: props.operatorImage,
      replicas: props.operatorReplicas,
      xdsPort: props.xdsPort,
      logLevel: props.operatorLogLevel,
      xdsTlsSecret: XDS_SERVER_SECRET,
    });
    const xdsHost = `${this.operator.xdsService.name}.${namespace}.svc.cluster.local`;
    this.envoy = new EnvoyDaemonSet(this, 'Envoy', {
      image: props.envoyImage,
      logLevel: props.envoyLogLevel,
      bootstrap: renderBootstrap({
        xdsAddress: xdsHost,
        xdsPort: this.operator.xdsPort,
        adminSocket: ENVOY_ADMIN_SOCKET,
        delta: true,
        tls: {
          certDir: ENVOY_XDS_TLS_DIR,
          sdsPath: `/etc/envoy/${XDS_CLIENT_SDS_FILE}`,
          caSdsPath: `/etc/envoy/${XDS_CA_SDS_FILE}`,
          serverName: xdsHost,
        },
      }),
      files: {
        [XDS_CLIENT_SDS_FILE]: JSON.stringify(renderXdsClientSds(ENVOY_XDS_TLS_DIR), null, 2),
        [XDS_CA_SDS_FILE]: JSON.stringify(renderXdsServerCaSds(ENVOY_XDS_TLS_DIR), null, 2),
      },
      xdsTlsSecret: XDS_CLIENT_SECRET,
    });
    if (props.serviceMonitor) {
      new ApiObject(this, 'ServiceMonitor', {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'ServiceMonitor',
        metadata: { name: this.operator.metricsService.name },
        spec: {
          selector: { matchLabels: this.operator.metricsService.metadata.toJson().labels },
          endpoints: [{ port: 'metrics', path: '/metrics', interval: '30s' }],
        },
      });
    }
    if (props.agent ?? true) this.agent = new AgentDaemonSet(this, 'Agent', { image: props.agentImage });
    if (props.ipPoolBlocks) {
      new LoadBalancerIpPool(this, 'DefaultIpPool', {
        metadata: { name: 'default' },
        blocks: props.ipPoolBlocks,
      });
      new L2AnnouncementPolicy(this, 'DefaultL2Policy', {
        metadata: { name: 'default' },
        interfaces: props.l2Interfaces,
      });
    }
    if (props.gatewayClass ?? true) {
      new GatewayClass(this, 'GatewayClass', {
        description: 'Portico: one Envoy per node, LB IPAM and L2 announcement.',
      });
    }
  }
}
