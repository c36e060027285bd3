import { Chart, type ChartProps, Include } from 'cdk8s';
import { KubeNamespace } from 'cdk8s-plus-34/lib/imports/k8s.js';
import type { Construct } from 'constructs';
import fs from 'node:fs';
import path from 'node:path';
import {
  AgentDaemonSet,
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
} from '../constructs/index.ts';
import { renderBootstrap } from '../operator/xds/bootstrap.ts';

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
}

/** Everything Portico deploys: CRDs, RBAC, the operator, Envoy and the agent per node, the GatewayClass. */
export class InstallChart extends Chart {
  readonly operator: Operator;
  readonly envoy: EnvoyDaemonSet;
  readonly agent?: AgentDaemonSet;

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
    this.operator = new Operator(this, 'Operator', {
      image: props.operatorImage,
      replicas: props.operatorReplicas,
      xdsPort: props.xdsPort,
    });
    this.envoy = new EnvoyDaemonSet(this, 'Envoy', {
      image: props.envoyImage,
      bootstrap: renderBootstrap({
        xdsAddress: `${this.operator.xdsService.name}.${namespace}.svc.cluster.local`,
        xdsPort: this.operator.xdsPort,
        delta: true,
      }),
    });
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
