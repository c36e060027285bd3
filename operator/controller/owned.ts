// The owned objects, built by the function the public GatewayService construct wraps, so what the
// operator applies is what `cdk8s synth` would write for the same input, without loading cdk8s
// and cdk8s-plus (about 40 MiB of the operator's memory).
import { gatewayServiceManifest } from '../../constructs/gateway-service-manifest.ts';
import type { OwnedService } from '../translate/types.ts';
import type { KubeObject } from '../kube/resources.ts';

/** An owned Service the construct refused (e.g. a Gateway name too long for a Service name). */
export interface OwnedInvalid {
  readonly namespace: string;
  readonly name: string;
  readonly error: string;
}

export function ownedServiceObjects(
  services: readonly OwnedService[],
  onInvalid: (bad: OwnedInvalid) => void = () => {},
): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const s of services) {
    try {
      // The path a chart "owned" would give the construct, so error messages stay the same.
      const scope = {
        validationKind: 'GatewayService',
        node: { path: `owned/${s.namespace}-${s.owner.name}` },
      };
      const manifest = gatewayServiceManifest(scope, {
        gateway: { ...s.owner, namespace: s.namespace },
        listenerPorts: s.ports.filter((p) => p.protocol === 'TCP').map((p) => p.port),
        udpListenerPorts: s.ports.filter((p) => p.protocol === 'UDP').map((p) => p.port),
        loadBalancerIPs: s.loadBalancerIPs ? [...s.loadBalancerIPs] : undefined,
        labels: s.infrastructure?.labels && { ...s.infrastructure.labels },
        annotations: s.infrastructure?.annotations && { ...s.infrastructure.annotations },
      });
      objects.push(manifest);
    } catch (err) {
      // One bad Gateway must not stop the others' Services (the construct validates eagerly).
      onInvalid({ namespace: s.namespace, name: s.name, error: (err as Error).message });
    }
  }
  return objects;
}
