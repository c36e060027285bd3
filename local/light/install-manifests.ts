import { ApiObject, App, Chart } from 'cdk8s';
import { stringify } from 'yaml';
import {
  GatewayClass,
  LoadBalancerIpPool,
  PorticoCrd,
  l2AnnouncementPolicyCrd,
  loadBalancerIpPoolCrd,
} from '../../constructs/index.ts';

/**
 * What `portico up` installs besides the Gateway API CRDs: Portico's CRDs, the `portico`
 * GatewayClass and a LoadBalancerIPPool on a loopback range (the host reaches every Gateway VIP).
 * The operator and Envoy run as local processes, so their workloads are left out.
 */
export function localInstallManifests(poolCidr: string): string {
  const app = new App();
  const chart = new Chart(app, 'portico-local');
  new PorticoCrd(chart, 'LoadBalancerIPPoolCrd', loadBalancerIpPoolCrd);
  new PorticoCrd(chart, 'L2AnnouncementPolicyCrd', l2AnnouncementPolicyCrd);
  // The operator's leader-election Lease lives in its namespace, as in the install chart.
  new ApiObject(chart, 'Namespace', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'portico-system' },
  });
  new GatewayClass(chart, 'GatewayClass');
  new LoadBalancerIpPool(chart, 'Pool', {
    metadata: { name: 'local-loopback' },
    blocks: [{ cidr: poolCidr }],
  });
  return chart
    .toJson()
    .map((o: unknown) => stringify(o))
    .join('---\n');
}
