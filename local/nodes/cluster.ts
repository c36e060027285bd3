import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppsV1Api, CoordinationV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { buildChart, helm } from '../../charts/helm/cli.ts';
import {
  kubeConfigFor,
  startControlPlane,
  type ControlPlane,
  type TokenUser,
} from '../control-plane/control-plane.ts';
import { ensureImages, imageNames, importImages, type ImageGroup } from '../images/index.ts';
import { waitFor } from '../common/process.ts';
import { cniBinDir, ensureToolchain } from '../toolchain/install.ts';
import type { GatewayApiChannel } from '../toolchain/paths.ts';
import { clusterDnsYaml } from './cluster-dns.ts';
import { nodeDirs } from './configs.ts';
import {
  createBridge,
  createNodeNamespace,
  deleteNetwork,
  networkIdFor,
  nodeAddress,
  nodeNetwork,
  run,
  type NodeAddress,
  type NodeNetwork,
} from './network.ts';
import { startNode, type RunningNode } from './node.ts';

export interface NodesClusterOptions {
  /** Data folder (etcd, certificates, nodes); wiped at start. Default: a temp dir, removed on stop. */
  dir?: string;
  /** Nodes: one control-plane node and N-1 workers, as the lab's kind cluster. @default 3 */
  nodes?: number;
  /** Which node network (172.30.<id>.0/24): clusters that run at once need different ids. @default 0 */
  networkId?: number;
  apiserverPort?: number;
  /** Gateway pool prefix length: 29 gives the lab's 6 addresses, 26 gives 62. @default 29 */
  poolPrefix?: number;
  /** Image groups to build and import besides the cluster's own images. @default none */
  imageGroups?: readonly ImageGroup[];
  /** Gateway API CRD channel to install. @default 'standard' */
  gatewayApiChannel?: GatewayApiChannel;
  /** Install Portico (operator, Envoy DaemonSet, GatewayClass, IP pool). @default true */
  portico?: boolean;
  log?: (line: string) => void;
}

export interface NodesCluster {
  readonly controlPlane: ControlPlane;
  readonly kubeconfigPath: string;
  readonly network: NodeNetwork;
  readonly nodes: readonly RunningNode[];
  /** Gateway addresses (a pool on the node network). */
  readonly poolCidr: string;
  /** The node whose agent announces a LoadBalancer Service's address (its L2 Lease holder). */
  announcer(namespace: string, service: string): Promise<NodeAddress | undefined>;
  /** GET on a node's Envoy admin interface (loopback inside the node). */
  envoyAdmin(node: NodeAddress, pathAndQuery: string): Promise<string>;
  /** Resolves with a component's name if one exits on its own. */
  readonly exited: Promise<string>;
  stop(): Promise<void>;
}

export const NAMESPACE = 'portico-system';

/** The node holding a Service's L2 announcement Lease (the agent's `portico-l2-<ns>-<name>`). */
export async function announcingNode(
  kc: KubeConfig,
  namespace: string,
  service: string,
): Promise<string | undefined> {
  const lease = await kc
    .makeApiClient(CoordinationV1Api)
    .readNamespacedLease({ namespace: NAMESPACE, name: `portico-l2-${namespace}-${service}` })
    .catch(() => undefined);
  return lease?.spec?.holderIdentity ?? undefined;
}

/**
 * GET on the Envoy admin interface of the node whose network namespace is `netns`: the unix socket
 * in the Envoy pod's folder, reached in the node's mount namespace (during a rollout, the newest pod's).
 */
export function nodeEnvoyAdmin(netns: string, pathAndQuery: string): string {
  const m = /^ptc(\d+)-(.+)$/.exec(netns);
  if (!m) throw new Error(`not a node namespace: ${netns}`);
  const mntNs = path.join(path.dirname(nodeDirs('', Number(m[1]), m[2]!).containerdSocket), 'mnt');
  // Socket paths are limited to 107 bytes: curl is given the socket's name inside its folder.
  const script = `for s in $(ls -t /var/lib/kubelet/pods/*/volumes/kubernetes.io~empty-dir/run/admin.sock); do
  if out=$(cd "$(dirname "$s")" && curl -sS --max-time 5 --unix-socket admin.sock "http://envoy$1"); then
    printf '%s' "$out"; exit 0
  fi
done
echo "no Envoy admin socket on this node" >&2; exit 1`;
  return run('nsenter', [`--mount=${mntNs}`, '--', 'sh', '-c', script, 'sh', pathAndQuery]);
}

export function nodeNames(count: number): string[] {
  if (!Number.isInteger(count) || count < 1 || count > 9) throw new Error(`nodes must be 1-9, got ${count}`);
  return Array.from({ length: count }, (_, i) =>
    i === 0 ? 'portico-control-plane' : `portico-worker${i === 1 ? '' : i}`,
  );
}

/** Values for the Helm chart on this cluster: one operator, the pool, L2 on each node's link. */
export function installValues(poolCidr: string): Record<string, unknown> {
  return {
    operator: { replicas: 1 },
    ipPool: { blocks: [{ cidr: poolCidr }] },
    // Each node's link to the node network; pods' veths and the CNI bridge are not announced on.
    l2Announcement: { interfaces: ['^eth0$'] },
  };
}

/** Installs Portico as a user does: `helm install` of the chart generated from the install chart. */
function helmInstall(dir: string, kubeconfig: string, poolCidr: string, log: (line: string) => void): void {
  const out = path.join(dir, 'helm');
  const tgz = buildChart(out);
  const values = path.join(out, 'values.yaml');
  fs.writeFileSync(values, stringify(installValues(poolCidr)));
  log(`helm install portico ${path.basename(tgz)} -n ${NAMESPACE} --create-namespace -f values.yaml`);
  helm([
    'install',
    'portico',
    tgz,
    '-n',
    NAMESPACE,
    '--create-namespace',
    '-f',
    values,
    '--kubeconfig',
    kubeconfig,
  ]);
}

/**
 * A cluster of real nodes on this machine: etcd, kube-apiserver, kube-controller-manager and
 * kube-scheduler on the host; each node a set of namespaces with containerd, kubelet and
 * kube-proxy; CoreDNS, then Portico installed into it as a user installs it.
 */
export async function startNodesCluster(opts: NodesClusterOptions = {}): Promise<NodesCluster> {
  const log = opts.log ?? (() => {});
  const tools = ensureToolchain(log);
  const wanted = [...imageNames(), ...(opts.imageGroups ?? []).flatMap((g) => imageNames(g))];
  const images = await ensureImages(log, wanted);
  const net = nodeNetwork(networkIdFor(opts.networkId ?? 0), opts.poolPrefix);
  const names = nodeNames(opts.nodes ?? 3);
  const addresses = names.map((n, i) => nodeAddress(net, n, i));
  const ownDir = !opts.dir;
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'portico-nodes-'));
  if (opts.dir) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
  }
  const nodes: RunningNode[] = [];
  let controlPlane: ControlPlane | undefined;
  const stop = async () => {
    for (const n of [...nodes].reverse()) await n.stop();
    await controlPlane?.stop();
    deleteNetwork(net, addresses);
    fs.rmSync(`/run/portico/${net.id}`, { recursive: true, force: true });
    if (ownDir) fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    log(`creating the node network ${net.cidr} (bridge ${net.bridge})`);
    createBridge(net);
    const token = () => crypto.randomBytes(24).toString('hex');
    const kubeletUsers: TokenUser[] = names.map((n) => ({
      token: token(),
      user: `system:node:${n}`,
      groups: ['system:nodes'],
    }));
    const proxyUser: TokenUser = { token: token(), user: 'system:kube-proxy', groups: [] };
    log('starting etcd, kube-apiserver, kube-controller-manager and kube-scheduler');
    controlPlane = await startControlPlane({
      dir,
      apiserverPort: opts.apiserverPort,
      nodes: { address: net.gateway, users: [...kubeletUsers, proxyUser] },
      timeoutMs: 120000,
    });
    const cp = controlPlane;
    const kubeconfig = (u: TokenUser) => kubeConfigFor(cp.server, cp.caPem, u.user, u.token).exportConfig();
    log(`installing the Gateway API CRDs (${opts.gatewayApiChannel ?? 'standard'} channel)`);
    await cp.installGatewayCrds(opts.gatewayApiChannel);

    for (const [i, a] of addresses.entries()) {
      log(`starting node ${a.name} (${a.ip}, pods ${a.podCidr})`);
      createNodeNamespace(net, a, addresses);
      nodes.push(
        await startNode({
          net,
          address: a,
          clusterDir: dir,
          bin: { kubelet: tools.kubelet, kubeProxy: tools.kubeProxy, cniBinDir },
          kubeletKubeconfig: kubeconfig(kubeletUsers[i]!),
          proxyKubeconfig: kubeconfig(proxyUser),
          taints: i === 0 && addresses.length > 1 ? ['node-role.kubernetes.io/control-plane:NoSchedule'] : [],
        }),
      );
    }
    // Before any workload is applied: a pod whose image is missing would fail, not wait.
    log(`importing ${images.length} images into every node's containerd`);
    await Promise.all(
      nodes.map((n) =>
        // The images built above: building again here would re-read sources edited meanwhile.
        importImages({ address: n.dirs.containerdSocket, images }),
      ),
    );
    await waitNodesReady(cp.kubeConfig, names, nodes);
    await cp.applyYaml(controlPlaneLabelYaml(names[0]!));
    log(`${names.length} nodes Ready`);

    await cp.applyYaml(clusterDnsYaml(net.dnsIp));
    if (opts.portico !== false) {
      log(
        'installing Portico with its Helm chart (operator, Envoy and agent DaemonSets, GatewayClass, IP pool)',
      );
      helmInstall(dir, cp.kubeconfigPath, net.poolCidr, log);
    }
    await waitRollouts(cp.kubeConfig, opts.portico !== false, names.length, log);

    const watched = [...cp.processes, ...nodes.flatMap((n) => n.processes)].map((p) =>
      p.exited.then(() => p.name),
    );
    return {
      controlPlane: cp,
      kubeconfigPath: cp.kubeconfigPath,
      network: net,
      nodes,
      poolCidr: net.poolCidr,
      announcer: async (namespace, service) => {
        const holder = await announcingNode(cp.kubeConfig, namespace, service);
        return addresses.find((a) => a.name === holder);
      },
      envoyAdmin: async (node, p) => nodeEnvoyAdmin(node.netns, p),
      exited: Promise.race(watched),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function waitNodesReady(kc: KubeConfig, names: string[], nodes: RunningNode[]): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await waitFor(
    `${names.length} nodes Ready`,
    async () => {
      for (const n of nodes) {
        if (n.kubelet.child.exitCode !== null)
          throw new Error(`${n.address.name} kubelet exited:\n${n.kubelet.logs().slice(-3000)}`);
      }
      const list = await core.listNode();
      const ready = list.items.filter((n) =>
        n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      );
      return ready.length === names.length;
    },
    { timeoutMs: 120000, intervalMs: 500 },
  ).catch((err: Error) => {
    const logs = nodes
      .map((n) => `--- ${n.address.name} kubelet\n${n.kubelet.logs().slice(-2000)}`)
      .join('\n');
    throw new Error(`${err.message}\n${logs}`);
  });
}

/**
 * The control-plane role label, server-side-applied: a kubelet may not set node-role labels on
 * itself (NodeRestriction; kubeadm labels it too), and a read-then-replace raced the kubelet's own
 * Node updates (409).
 */
function controlPlaneLabelYaml(name: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'node-role.kubernetes.io/control-plane': '' } },
  });
}

/** Why a namespace's pods are not ready: each unready container's state and its last log lines. */
export async function podDiagnosis(kc: KubeConfig, namespace: string): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  const lines: string[] = [];
  for (const p of (await core.listNamespacedPod({ namespace })).items) {
    const name = p.metadata!.name!;
    for (const c of p.status?.containerStatuses ?? []) {
      if (c.ready) continue;
      const st = c.state?.waiting ?? c.state?.terminated;
      lines.push(
        `${namespace}/${name} ${c.name} on ${p.spec?.nodeName}: ${st?.reason ?? 'not ready'} ${st?.message ?? ''}`,
      );
      const log = await core
        .readNamespacedPodLog({
          namespace,
          name,
          container: c.name,
          tailLines: 15,
          previous: c.restartCount > 0,
        })
        .catch((e: Error) => `(no logs: ${e.message.split('\n')[0]})`);
      lines.push(String(log).trimEnd());
    }
    if (!p.status?.containerStatuses?.length)
      lines.push(
        `${namespace}/${name}: ${p.status?.phase} ${p.status?.conditions?.map((c) => `${c.type}=${c.status} ${c.message ?? ''}`).join('; ')}`,
      );
  }
  return lines.join('\n');
}

/** Waits for CoreDNS, the operator and every Envoy to be Ready. */
async function waitRollouts(
  kc: KubeConfig,
  portico: boolean,
  nodeCount: number,
  log: (line: string) => void,
): Promise<void> {
  const apps = kc.makeApiClient(AppsV1Api);
  const deployReady = (namespace: string, name: string) => async () => {
    const d = await apps.readNamespacedDeployment({ namespace, name });
    return (d.status?.availableReplicas ?? 0) >= (d.spec?.replicas ?? 1);
  };
  await waitFor('CoreDNS available', deployReady('kube-system', 'coredns'), {
    timeoutMs: 120000,
    intervalMs: 500,
  });
  log('CoreDNS available');
  if (!portico) return;
  const diagnose = async (err: Error) => {
    throw new Error(`${err.message}\n${await podDiagnosis(kc, NAMESPACE).catch(() => '')}`);
  };
  await waitFor('portico-operator available', deployReady(NAMESPACE, 'portico-operator'), {
    timeoutMs: Number(process.env.PORTICO_ROLLOUT_TIMEOUT_MS ?? 120000),
    intervalMs: 500,
  }).catch(diagnose);
  for (const name of ['portico-envoy', 'portico-agent']) {
    await waitFor(
      `${name} ${nodeCount}/${nodeCount} ready`,
      async () => {
        const ds = await apps.readNamespacedDaemonSet({ namespace: NAMESPACE, name });
        return (ds.status?.numberReady ?? 0) === nodeCount;
      },
      { timeoutMs: 120000, intervalMs: 500 },
    ).catch(diagnose);
  }
  log(
    `portico-operator 1/1, portico-envoy ${nodeCount}/${nodeCount}, portico-agent ${nodeCount}/${nodeCount}`,
  );
}
