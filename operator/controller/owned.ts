// The owned objects, built as a cdk8s chart in memory and synthesized to plain JSON, so what the
// operator applies is what `cdk8s synth` would write for the same input.
import { ApiObject, App, Chart } from 'cdk8s';
import type { OwnedService } from '../translate/types.ts';
import type { KubeObject } from '../kube/resources.ts';

/** Requested Gateway addresses travel to IPAM as this Service annotation (comma-separated). */
export const LB_IPS_ANNOTATION = 'portico.dev/lb-ips';

export function ownedServiceObjects(services: readonly OwnedService[]): KubeObject[] {
  if (services.length === 0) return [];
  const app = new App({ outdir: '/nonexistent' });
  const chart = new Chart(app, 'owned', { disableResourceNameHashes: true });
  for (const s of services) {
    new ApiObject(chart, `${s.namespace}-${s.name}`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: s.name,
        namespace: s.namespace,
        labels: { ...s.labels },
        ...(s.loadBalancerIPs?.length
          ? { annotations: { [LB_IPS_ANNOTATION]: s.loadBalancerIPs.join(',') } }
          : {}),
        ownerReferences: [{ ...s.owner, controller: true, blockOwnerDeletion: true }],
      },
      spec: {
        type: 'LoadBalancer',
        // Envoy binds the VIP itself (host network): node ports would only be unused holes.
        allocateLoadBalancerNodePorts: false,
        ports: s.ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol, targetPort: p.port })),
      },
    });
  }
  return chart.toJson() as KubeObject[];
}
