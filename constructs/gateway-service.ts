import { Construct } from 'constructs';
import { IntOrString, KubeService } from 'cdk8s-plus-34/lib/imports/k8s.js';
import {
  GATEWAY_NAME_LABEL,
  LB_IPS_ANNOTATION,
  SERVICE_PROXY_NAME_LABEL,
  gatewayServiceName,
} from './names.ts';
import { gatewayServiceManifest, type GatewayServiceProps } from './gateway-service-manifest.ts';

export type { GatewayServiceOwner, GatewayServiceProps } from './gateway-service-manifest.ts';
export { GATEWAY_NAME_LABEL, LB_IPS_ANNOTATION, SERVICE_PROXY_NAME_LABEL, gatewayServiceName };

/**
 * The per-Gateway `type: LoadBalancer` Service `portico-<gateway>`: it carries the Gateway's VIP
 * (assigned by Portico's LB IPAM). The operator applies the same object, built by
 * `gatewayServiceManifest` without cdk8s.
 */
export class GatewayService extends Construct {
  readonly apiObject: KubeService;
  readonly name: string;

  constructor(scope: Construct, id: string, props: GatewayServiceProps) {
    super(scope, id);
    const m = gatewayServiceManifest(this, props);
    this.name = m.metadata.name;
    this.apiObject = new KubeService(this, 'Resource', {
      metadata: m.metadata,
      spec: {
        ...m.spec,
        ports: m.spec.ports.map((p) => ({ ...p, targetPort: IntOrString.fromNumber(p.targetPort) })),
      },
    });
  }
}
