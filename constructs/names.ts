// Names the constructs write and the operator reads: one home, so both sides agree. Pure (no cdk8s),
// so the operator's translator and IPAM import it too.

/** The controller name Portico's operator answers to. */
export const PORTICO_CONTROLLER_NAME = 'portico.dev/gateway-controller';
/** kube-proxy skips Services carrying this label; Envoy (host network) serves the VIP instead. */
export const SERVICE_PROXY_NAME_LABEL = 'service.kubernetes.io/service-proxy-name';
/** Names the Gateway a Service belongs to (the Gateway API's own label). */
export const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';
/** Requested IPs travel to Portico's LB IPAM as this annotation (comma-separated). */
export const LB_IPS_ANNOTATION = 'portico.dev/lb-ips';

/** Name of the LoadBalancer Service Portico owns for a Gateway. */
export function gatewayServiceName(gatewayName: string): string {
  return `portico-${gatewayName}`;
}

/** The condition IPAM sets on a Gateway's Service: whether its requested addresses were given. */
export const IPAM_CONDITION = 'portico.dev/IPAMRequestSatisfied';
