import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { V1Service } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { startPod, type Pod } from './pods.ts';

/** The stand-in workloads' server (local/backends/server.ts): echo, details, ratings, reviews, productpage, tls-static, hello. */
export const backendServer = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'backends',
  'server.ts',
);

/** A stand-in workload as a pod: `server.ts <kind> <port> [...args]` in its own network namespace. */
export function startBackend(name: string, kind: string, port: number, args: string[] = []): Promise<Pod> {
  return startPod(name, process.execPath, ['--import', 'tsx', backendServer, kind, String(port), ...args], {
    readyPort: port,
  });
}

/** EndpointSlices for a Service whose "pods" are processes in network namespaces (no kubelet here). */
export function endpointSliceYaml(svc: V1Service, ips: string[]): string {
  const name = svc.metadata!.name!;
  return stringify({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${name}-local`,
      namespace: svc.metadata!.namespace,
      labels: {
        'kubernetes.io/service-name': name,
        'endpointslice.kubernetes.io/managed-by': 'local.portico.dev',
      },
    },
    addressType: 'IPv4',
    ports: (svc.spec?.ports ?? []).map((p) => ({
      name: p.name ?? '',
      port: typeof p.targetPort === 'number' ? p.targetPort : p.port,
      protocol: p.protocol ?? 'TCP',
    })),
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
  });
}
