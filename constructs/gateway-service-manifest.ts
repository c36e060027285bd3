// The per-Gateway LoadBalancer Service as a plain object, validated: the GatewayService construct
// wraps it, and the operator calls it directly so that its bundle loads neither cdk8s nor cdk8s-plus.
import { invalid, type ValidationScope } from './errors.ts';
import { parseIp } from './ip.ts';
import { checkName, checkPort } from './validate.ts';
import {
  GATEWAY_NAME_LABEL,
  LB_IPS_ANNOTATION,
  SERVICE_PROXY_NAME_LABEL,
  gatewayServiceName,
} from './names.ts';

/** The Gateway a GatewayService belongs to, as the API server knows it. */
export interface GatewayServiceOwner {
  /** The Gateway's name; the Service is named `portico-<name>`. */
  readonly name: string;
  /** The Gateway's namespace; the Service lives beside it. */
  readonly namespace: string;
  /** The Gateway's uid (an ownerReference needs it, so deleting the Gateway deletes the Service). */
  readonly uid: string;
  /** @default "gateway.networking.k8s.io/v1" */
  readonly apiVersion?: string;
}

export interface GatewayServiceProps {
  /** The Gateway this Service gives an address to. */
  readonly gateway: GatewayServiceOwner;
  /** The Gateway's TCP-based listener ports (HTTP, HTTPS, TLS, TCP); one TCP port per distinct port. */
  readonly listenerPorts: number[];
  /** The Gateway's UDP listener ports; one UDP port (`udp-<port>`) per distinct port. @default none */
  readonly udpListenerPorts?: number[];
  /** Addresses requested in the Gateway's spec.addresses. @default none: LB IPAM assigns one from a pool */
  readonly loadBalancerIPs?: string[];
  /** The Gateway's spec.infrastructure labels, added to the Service's (Portico's own win). @default none */
  readonly labels?: Record<string, string>;
  /** The Gateway's spec.infrastructure annotations, added to the Service's. @default none */
  readonly annotations?: Record<string, string>;
}

// Service names are DNS-1035 labels, narrower than the DNS subdomains Gateways may use.
const dns1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** One port of the Service: TCP ports are named `port-<n>`, UDP ones `udp-<n>`. */
export interface GatewayServicePort {
  readonly name: string;
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP';
  readonly targetPort: number;
}

/** The Service as the API server takes it. */
export interface GatewayServiceManifest {
  readonly apiVersion: 'v1';
  readonly kind: 'Service';
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly labels: Record<string, string>;
    readonly annotations?: Record<string, string>;
    readonly ownerReferences: {
      readonly apiVersion: string;
      readonly kind: 'Gateway';
      readonly name: string;
      readonly uid: string;
      readonly controller: true;
      readonly blockOwnerDeletion: true;
    }[];
  };
  readonly spec: {
    readonly type: 'LoadBalancer';
    readonly allocateLoadBalancerNodePorts: false;
    readonly ports: GatewayServicePort[];
  };
}

/** The Service's manifest; throws a PorticoValidationError naming the bad field. */
export function gatewayServiceManifest(
  scope: ValidationScope,
  props: GatewayServiceProps,
): GatewayServiceManifest {
  const gw = props.gateway;
  checkName(scope, 'gateway.name', gw.name);
  checkName(scope, 'gateway.namespace', gw.namespace);
  if (gw.uid.length === 0) invalid(scope, 'gateway.uid', 'must be the Gateway\'s uid (metadata.uid), got ""');
  const name = gatewayServiceName(gw.name);
  if (name.length > 63 || !dns1035.test(name)) {
    invalid(
      scope,
      'gateway.name',
      `makes Service name "${name}", which must be a DNS label of at most 63 characters (no "."); shorten the Gateway name`,
    );
  }
  props.listenerPorts.forEach((p, i) => checkPort(scope, `listenerPorts[${i}]`, p));
  const udpPorts = props.udpListenerPorts ?? [];
  udpPorts.forEach((p, i) => checkPort(scope, `udpListenerPorts[${i}]`, p));
  const distinct = (list: number[]) => [...new Set(list)].sort((a, b) => a - b);
  const ports = distinct(props.listenerPorts);
  if (ports.length + udpPorts.length === 0)
    invalid(scope, 'listenerPorts', 'must list at least one listener port');
  const ips = props.loadBalancerIPs ?? [];
  ips.forEach((ip, i) => {
    if (parseIp(ip) === undefined)
      invalid(scope, `loadBalancerIPs[${i}]`, `must be an IPv4 or IPv6 address, got "${ip}"`);
  });

  for (const [what, map] of [
    ['labels', props.labels],
    ['annotations', props.annotations],
  ] as const)
    for (const k of Object.keys(map ?? {}))
      if (
        !/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(k) ||
        k.length > 317
      )
        invalid(scope, `${what}["${k}"]`, 'must be a Kubernetes label or annotation key ([prefix/]name)');
  const annotations = {
    ...props.annotations,
    ...(ips.length > 0 ? { [LB_IPS_ANNOTATION]: ips.join(',') } : {}),
  };
  const manifest: GatewayServiceManifest = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace: gw.namespace,
      labels: { ...props.labels, [SERVICE_PROXY_NAME_LABEL]: 'portico', [GATEWAY_NAME_LABEL]: gw.name },
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      ownerReferences: [
        {
          apiVersion: gw.apiVersion ?? 'gateway.networking.k8s.io/v1',
          kind: 'Gateway',
          name: gw.name,
          uid: gw.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      type: 'LoadBalancer',
      // Envoy binds the VIP itself (host network): node ports would only be unused holes.
      allocateLoadBalancerNodePorts: false,
      ports: [
        ...ports.map((port) => ({
          name: `port-${port}`,
          port,
          protocol: 'TCP' as const,
          targetPort: port,
        })),
        // TCP and UDP may share a port number; the names keep them apart.
        ...distinct(udpPorts).map((port) => ({
          name: `udp-${port}`,
          port,
          protocol: 'UDP' as const,
          targetPort: port,
        })),
      ],
    },
  };
  return manifest;
}
