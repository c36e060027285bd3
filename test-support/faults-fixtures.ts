// Shared setup of the fault suites: a light-harness cluster with two echo Services, Gateway gw and
// a steady route, and a way to run a fault while a client streams requests through the Gateway.
import { startLocalCluster, type LocalCluster, type LocalClusterOptions } from '../local/light/cluster.ts';
import type { EnvoyHandle } from '../local/light/envoy.ts';
import { waitFor } from '../local/common/process.ts';
import { resourcePath, type KubeObject, type ResourceType } from '../operator/kube/resources.ts';
import { isKubeError, type KubeClient, type KubeError } from '../operator/kube/rest.ts';
import {
  GATEWAY_YAML,
  httpRouteYaml,
  prefixRule,
  startEchoServices,
  statusReader,
  steadyStream,
  until,
  type StreamResult,
} from './e2e-fixtures.ts';

export { httpRouteYaml, listenerStats, prefixRule, until } from './e2e-fixtures.ts';

export interface FaultCluster {
  cluster: LocalCluster;
  /** The Gateway's address; /steady there goes to echo-a, echo-b is free for changes. */
  address: string;
  apply(yaml: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startFaultCluster(opts: LocalClusterOptions): Promise<FaultCluster> {
  const cluster = await startLocalCluster(opts);
  const apply = (y: string) => cluster.controlPlane.applyYaml(y);
  let backends: Awaited<ReturnType<typeof startEchoServices>> | undefined;
  const stop = async () => {
    await backends?.stop();
    await cluster.stop();
  };
  try {
    backends = await startEchoServices(apply, ['echo-a', 'echo-b']);
    await apply(`${GATEWAY_YAML}---\n${httpRouteYaml('steady', [prefixRule('/steady', { 'echo-a': 1 })])}`);
    // Only the address: whether Programmed holds across replicas is not what these suites test.
    const st = statusReader(cluster.controlPlane.kubeConfig);
    let address = '';
    await waitFor('Gateway gw address', async () => {
      const g = (await st.get('gateways', 'gw')) as { status?: { addresses?: { value: string }[] } };
      address = g?.status?.addresses?.[0]?.value ?? '';
      return address !== '';
    });
    await until(address, '/steady', (s) => s === 200, '/steady serving');
    for (const e of cluster.envoys) await waitFor('Envoy has /steady', () => hasRoute(e, '/steady'));
    return { cluster, address, apply, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Runs `fault` while /steady is streamed (a second of traffic before and after); returns its value and the stream. */
export async function underTraffic<T>(
  address: string,
  fault: () => Promise<T>,
): Promise<{ value: T; stream: StreamResult }> {
  const s = steadyStream(address, '/steady', { maxRequests: 1_000_000, maxMs: 600_000 });
  await new Promise((r) => setTimeout(r, 1000));
  try {
    const value = await fault();
    await new Promise((r) => setTimeout(r, 1000));
    return { value, stream: await s.stop() };
  } finally {
    await s.stop();
  }
}

/** Whether Envoy's route configuration has a match on `path`. */
export async function hasRoute(envoy: EnvoyHandle, path: string): Promise<boolean> {
  return (await envoy.admin('/config_dump?resource=dynamic_route_configs')).includes(`"${path}"`);
}

/** Server-side-applies objects of one kind `batch` at a time, field manager `faults`; returns the refusals. */
export async function applyMany(
  client: KubeClient,
  type: ResourceType,
  objects: KubeObject[],
  batch = 25,
): Promise<KubeError[]> {
  const refused: KubeError[] = [];
  for (let i = 0; i < objects.length; i += batch) {
    await Promise.all(
      objects.slice(i, i + batch).map((o) =>
        client
          .request(resourcePath(type, o.metadata?.namespace, o.metadata?.name), {
            method: 'PATCH',
            patchType: 'apply',
            query: { fieldManager: 'faults', force: true },
            body: o,
          })
          .catch((err: unknown) => {
            if (!isKubeError(err)) throw err;
            refused.push(err);
          }),
      ),
    );
  }
  return refused;
}
