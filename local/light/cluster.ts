import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startControlPlane, type ControlPlane } from '../control-plane/control-plane.ts';
import { startEnvoy, type EnvoyHandle } from './envoy.ts';
import { localInstallManifests } from './install-manifests.ts';
import { claimLoopbackPool } from './loopback-pools.ts';
import { freePort, startProcess, waitFor, type Managed } from '../common/process.ts';
import { ensureToolchain } from '../toolchain/install.ts';
import { renderBootstrap } from '../../operator/xds/bootstrap.ts';
import { OPERATOR_NODE_OPTIONS } from '../../constructs/operator.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface LocalClusterOptions {
  /** Data folder (etcd, certificates, kubeconfig); wiped at start. Default: a temp dir. */
  dir?: string;
  /**
   * Gateway addresses: a loopback /24 so the host reaches every Gateway (default 127.0.200.0/24).
   * Claimed machine-wide: if another live cluster holds it, 127.N.C.0/24 with the first free N.
   */
  poolCidr?: string;
  /** kube-apiserver's port (default: a free one). */
  apiserverPort?: number;
  /** Start the operator and the node's Envoy (default true); false gives a bare control plane with CRDs. */
  portico?: boolean;
  /**
   * Operator replicas (default 1). With more, they elect a leader through the Lease, and every
   * Envoy's ADS cluster lists each replica (as the xDS Service would), so an Envoy whose replica
   * dies reconnects to another.
   */
  operators?: number;
  /** The operators' Lease duration (default: the operator's own). */
  leaseDurationMs?: number;
  /** Envoys, each one node binding every Gateway address (default 1). */
  envoys?: number;
  log?: (line: string) => void;
  /** Run the operator from this JavaScript file (e.g. the image's esbuild bundle) instead of its TypeScript under tsx. */
  operatorScript?: string;
  /** node flags for the operator (V8 heap settings, measured by bench/e2e-scale.ts). */
  operatorNodeArgs?: string[];
  /** More kube-apiserver flags (e.g. `--profiling=true` for a bench's CPU profile). */
  apiserverArgs?: string[];
  /** More operator flags (e.g. `--resync-ms=3600000`: no periodic reconcile to hide a lost event). */
  operatorArgs?: string[];
}

export interface OperatorReplica {
  readonly identity: string;
  proc: Managed;
  readonly url: string;
  readonly xdsPort: number;
}

export interface LocalCluster {
  readonly controlPlane: ControlPlane;
  readonly kubeconfigPath: string;
  readonly poolCidr: string;
  /** The first operator replica and its metrics and health endpoint. */
  readonly operator?: Managed;
  readonly operatorUrl?: string;
  /** The first Envoy. */
  readonly envoy?: EnvoyHandle;
  /** Every operator replica (current processes: restarts replace entries). */
  readonly operators: OperatorReplica[];
  readonly envoys: EnvoyHandle[];
  /** Kills operator replica `i` (SIGKILL) and, unless `down`, starts it again on the same ports. */
  restartOperator(i: number, opts?: { down?: boolean }): Promise<void>;
  /**
   * Kills Envoy `i` (SIGKILL) and starts it again with the same bootstrap (same node id; a new
   * admin port); `whileDown` runs once the old process is gone.
   */
  restartEnvoy(i: number, opts?: { whileDown?: () => unknown }): Promise<EnvoyHandle>;
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
  ensureToolchain(log);
  const pool = claimLoopbackPool(opts.poolCidr ?? '127.0.200.0/24');
  const poolCidr = pool.cidr;
  if (opts.dir) {
    fs.rmSync(opts.dir, { recursive: true, force: true });
    fs.mkdirSync(opts.dir, { recursive: true });
  }
  log('starting etcd, kube-apiserver and kube-controller-manager');
  const controlPlane = await startControlPlane({
    controllerManager: true,
    dir: opts.dir,
    apiserverPort: opts.apiserverPort,
    apiserverArgs: opts.apiserverArgs,
  }).catch((err: unknown) => {
    pool.release();
    throw err;
  });
  const stops: (() => Promise<void>)[] = [async () => pool.release(), () => controlPlane.stop()];
  const stop = async () => {
    for (const s of stops.reverse()) await s();
  };
  try {
    log(`installing the Gateway API and Portico CRDs, GatewayClass portico and the IP pool (${poolCidr})`);
    await controlPlane.installGatewayCrds();
    await controlPlane.applyYaml(localInstallManifests(poolCidr));
    const watched: Promise<string>[] = controlPlane.processes.map((p) => p.exited.then(() => p.name));
    if (opts.portico === false) {
      return {
        controlPlane,
        kubeconfigPath: controlPlane.kubeconfigPath,
        poolCidr,
        operators: [],
        envoys: [],
        exited: Promise.race(watched),
        restartOperator: () => Promise.reject(new Error('no operator')),
        restartEnvoy: () => Promise.reject(new Error('no Envoy')),
        stop,
      };
    }
    const replicas = opts.operators ?? 1;
    const operators: OperatorReplica[] = [];
    const startOperator = (r: Omit<OperatorReplica, 'proc'>, metricsPort: number) =>
      startProcess(r.identity, process.execPath, [
        // As the image and the chart run it (node flags); operatorNodeArgs come after and win.
        ...OPERATOR_NODE_OPTIONS,
        ...(opts.operatorNodeArgs ?? []),
        ...(opts.operatorScript
          ? [opts.operatorScript]
          : ['--import', 'tsx', path.join(root, 'operator', 'main.ts')]),
        `--kubeconfig=${controlPlane.kubeconfigPath}`,
        '--xds-address=127.0.0.1',
        // Envoy runs on this host and dials loopback: plain text never leaves the machine.
        '--insecure-xds-plaintext-loopback',
        `--xds-port=${r.xdsPort}`,
        '--metrics-address=127.0.0.1',
        `--metrics-port=${metricsPort}`,
        `--identity=${r.identity}`,
        ...(opts.leaseDurationMs ? [`--lease-duration-ms=${opts.leaseDurationMs}`] : []),
        ...(opts.operatorArgs ?? []),
      ]);
    const operatorReady = (r: OperatorReplica) =>
      waitFor(`${r.identity} /readyz`, async () => (await fetch(`${r.url}/readyz`)).ok, {
        process: r.proc,
        timeoutMs: 60000,
      });
    const metricsPorts: number[] = [];
    log(`starting the operator (${replicas} replica${replicas > 1 ? 's' : ''})`);
    for (let i = 0; i < replicas; i++) {
      const [xdsPort, metricsPort] = [await freePort(), await freePort()];
      const base = {
        identity: replicas === 1 ? 'operator' : `operator-${i}`,
        url: `http://127.0.0.1:${metricsPort}`,
        xdsPort,
      };
      const r: OperatorReplica = { ...base, proc: startOperator(base, metricsPort) };
      metricsPorts.push(metricsPort);
      operators.push(r);
      stops.push(() => r.proc.stop());
    }
    for (const r of operators) await operatorReady(r);
    const bootstrap = (nodeId: string) => {
      const b = renderBootstrap({
        nodeId,
        xdsAddress: '127.0.0.1',
        xdsPort: operators[0]!.xdsPort,
        delta: true,
      });
      // Every replica is an endpoint of the ADS cluster, as the xDS Service's are.
      const ads = (
        b.static_resources as {
          clusters: { load_assignment: { endpoints: { lb_endpoints: unknown[] }[] } }[];
        }
      ).clusters[0]!.load_assignment.endpoints[0]!;
      ads.lb_endpoints = operators.map((r) => ({
        endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: r.xdsPort } } },
      }));
      return b;
    };
    const nodeIds = Array.from({ length: opts.envoys ?? 1 }, (_, i) =>
      i === 0 ? 'local-node' : `local-node-${i + 1}`,
    );
    log(
      `starting ${nodeIds.length} Envoy${nodeIds.length > 1 ? 's' : ''} (nodes) with ADS from the operator`,
    );
    const envoys: EnvoyHandle[] = [];
    const startNodeEnvoy = (nodeId: string) => startEnvoy(bootstrap(nodeId), { waitReady: false });
    for (const id of nodeIds) envoys.push(await startNodeEnvoy(id));
    stops.push(async () => {
      for (const e of envoys) await e.stop();
    });
    watched.push(...operators.map((r) => r.proc.exited.then(() => r.identity)));
    watched.push(...envoys.map((e) => e.process.exited.then(() => 'envoy')));
    return {
      controlPlane,
      kubeconfigPath: controlPlane.kubeconfigPath,
      poolCidr,
      get operator() {
        return operators[0]!.proc;
      },
      operatorUrl: operators[0]!.url,
      get envoy() {
        return envoys[0];
      },
      operators,
      envoys,
      exited: Promise.race(watched),
      async restartOperator(i, o = {}) {
        const r = operators[i]!;
        process.kill(-r.proc.child.pid!, 'SIGKILL');
        await r.proc.exited;
        if (o.down) return;
        r.proc = startOperator(r, metricsPorts[i]!);
        await operatorReady(r);
      },
      async restartEnvoy(i, o = {}) {
        const old = envoys[i]!;
        process.kill(-old.process.child.pid!, 'SIGKILL');
        await old.stop();
        await o.whileDown?.();
        envoys[i] = await startNodeEnvoy(nodeIds[i]!);
        return envoys[i];
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
