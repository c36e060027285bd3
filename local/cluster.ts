import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startControlPlane, type ControlPlane } from './control-plane.ts';
import { startEnvoy, type EnvoyHandle } from './envoy.ts';
import { localInstallManifests } from './install-manifests.ts';
import { freePort, startProcess, waitFor, type Managed } from './process.ts';
import { ensureToolchain } from './toolchain/install.ts';
import { renderBootstrap } from '../operator/xds/bootstrap.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface LocalClusterOptions {
  /** Data folder (etcd, certificates, kubeconfig); wiped at start. Default: a temp dir. */
  dir?: string;
  /** Gateway addresses: a loopback range so the host reaches every Gateway (default 127.0.200.0/24). */
  poolCidr?: string;
  /** kube-apiserver's port (default: a free one). */
  apiserverPort?: number;
  /** Start the operator and the node's Envoy (default true); false gives a bare control plane with CRDs. */
  portico?: boolean;
  log?: (line: string) => void;
  /** Run the operator from this JavaScript file (e.g. the image's esbuild bundle) instead of its TypeScript under tsx. */
  operatorScript?: string;
}

export interface LocalCluster {
  readonly controlPlane: ControlPlane;
  readonly kubeconfigPath: string;
  readonly poolCidr: string;
  readonly operator?: Managed;
  /** The operator's metrics and health endpoint. */
  readonly operatorUrl?: string;
  readonly envoy?: EnvoyHandle;
  /** Resolves with a component's name if one exits on its own. */
  readonly exited: Promise<string>;
  stop(): Promise<void>;
}

/**
 * The embedded default: real etcd + kube-apiserver + kube-controller-manager, the Gateway API and
 * Portico CRDs, the `portico` GatewayClass and a loopback LoadBalancerIPPool, the operator, and one
 * Envoy in the host network namespace playing the node (as a hostNetwork DaemonSet pod would).
 */
export async function startLocalCluster(opts: LocalClusterOptions = {}): Promise<LocalCluster> {
  const log = opts.log ?? (() => {});
  const poolCidr = opts.poolCidr ?? '127.0.200.0/24';
  ensureToolchain(log);
  if (opts.dir) {
    fs.rmSync(opts.dir, { recursive: true, force: true });
    fs.mkdirSync(opts.dir, { recursive: true });
  }
  log('starting etcd, kube-apiserver and kube-controller-manager');
  const controlPlane = await startControlPlane({
    controllerManager: true,
    dir: opts.dir,
    apiserverPort: opts.apiserverPort,
  });
  const stops: (() => Promise<void>)[] = [() => controlPlane.stop()];
  const stop = async () => {
    for (const s of stops.reverse()) await s();
  };
  try {
    log('installing the Gateway API and Portico CRDs, GatewayClass portico and the IP pool');
    await controlPlane.installGatewayCrds();
    await controlPlane.applyYaml(localInstallManifests(poolCidr));
    const watched: Promise<string>[] = controlPlane.processes.map((p) => p.exited.then(() => p.name));
    if (opts.portico === false) {
      return {
        controlPlane,
        kubeconfigPath: controlPlane.kubeconfigPath,
        poolCidr,
        exited: Promise.race(watched),
        stop,
      };
    }
    const xdsPort = await freePort();
    const metricsPort = await freePort();
    log('starting the operator');
    const operator = startProcess('operator', process.execPath, [
      ...(opts.operatorScript
        ? [opts.operatorScript]
        : ['--import', 'tsx', path.join(root, 'operator', 'main.ts')]),
      `--kubeconfig=${controlPlane.kubeconfigPath}`,
      '--xds-address=127.0.0.1',
      // Envoy runs on this host and dials loopback: plain text never leaves the machine.
      '--insecure-xds-plaintext-loopback',
      `--xds-port=${xdsPort}`,
      '--metrics-address=127.0.0.1',
      `--metrics-port=${metricsPort}`,
    ]);
    stops.push(() => operator.stop());
    const operatorUrl = `http://127.0.0.1:${metricsPort}`;
    await waitFor('operator /readyz', async () => (await fetch(`${operatorUrl}/readyz`)).ok, {
      process: operator,
      timeoutMs: 60000,
    });
    log('starting Envoy (the node) with ADS from the operator');
    const envoy = await startEnvoy(
      renderBootstrap({ nodeId: 'local-node', xdsAddress: '127.0.0.1', xdsPort, delta: true }),
      {
        waitReady: false,
      },
    );
    stops.push(() => envoy.stop());
    watched.push(
      operator.exited.then(() => 'operator'),
      envoy.process.exited.then(() => 'envoy'),
    );
    return {
      controlPlane,
      kubeconfigPath: controlPlane.kubeconfigPath,
      poolCidr,
      operator,
      operatorUrl,
      envoy,
      exited: Promise.race(watched),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
