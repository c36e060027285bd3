import type { V1Service } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { endpointSliceYaml } from '../local/light/workloads.ts';

/** A Service without a selector (port -> targetPort) and the EndpointSlice that points it at `ips`. */
export function serviceYaml(
  name: string,
  port: number,
  targetPort: number,
  ips: string[],
  namespace = 'default',
): string {
  const svc: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { ports: [{ name: 'http', port, targetPort, protocol: 'TCP' }] },
  };
  return `${stringify(svc)}---\n${endpointSliceYaml(svc, ips)}`;
}
