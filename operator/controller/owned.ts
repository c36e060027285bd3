// The owned objects, built as a cdk8s chart with the public constructs and synthesized to plain
// JSON, so what the operator applies is what `cdk8s synth` would write for the same input.
import { App, Chart } from 'cdk8s';
import { GatewayService } from '../../constructs/gateway-service.ts';
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
  if (services.length === 0) return [];
  const app = new App({ outdir: '/nonexistent' });
  const chart = new Chart(app, 'owned', { disableResourceNameHashes: true });
  for (const s of services) {
    try {
      new GatewayService(chart, `${s.namespace}-${s.owner.name}`, {
        gateway: { ...s.owner, namespace: s.namespace },
        listenerPorts: s.ports.filter((p) => p.protocol === 'TCP').map((p) => p.port),
        udpListenerPorts: s.ports.filter((p) => p.protocol === 'UDP').map((p) => p.port),
        loadBalancerIPs: s.loadBalancerIPs ? [...s.loadBalancerIPs] : undefined,
        labels: s.infrastructure?.labels && { ...s.infrastructure.labels },
        annotations: s.infrastructure?.annotations && { ...s.infrastructure.annotations },
      });
    } catch (err) {
      // One bad Gateway must not stop the others' Services (the construct validates eagerly).
      onInvalid({ namespace: s.namespace, name: s.name, error: (err as Error).message });
    }
  }
  return chart.toJson() as KubeObject[];
}
