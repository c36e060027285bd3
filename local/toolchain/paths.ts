import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { versions } from './versions.ts';

/** Per-version cache outside the clone, so fresh clones on one machine reuse builds. */
export function cacheDir(): string {
  return process.env.PORTICO_CACHE ?? path.join(os.homedir(), '.cache', 'portico');
}

export const toolchainSrc = path.dirname(fileURLToPath(import.meta.url));

export interface Toolchain {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kubelet: string;
  kubeProxy: string;
  envoy: string;
  /** CoreDNS (the cluster's DNS; its image is built from this binary). */
  coredns: string;
  /** Folder with the Gateway API CRD manifests (standard channel, TLSRoute included). */
  gatewayCrds: string;
  /** The same release's experimental-channel CRDs (retries, TLSRoute mixed mode, X* kinds). */
  gatewayCrdsExperimental: string;
  /** Helm (packages, lints and installs the `portico` chart). */
  helm: string;
}

/** Gateway API release channels: standard, or experimental (a superset of its fields and kinds). */
export const GATEWAY_API_CHANNELS = ['standard', 'experimental'] as const;
export type GatewayApiChannel = (typeof GATEWAY_API_CHANNELS)[number];

export function gatewayCrdDir(t: Toolchain, channel: GatewayApiChannel = 'standard'): string {
  return channel === 'experimental' ? t.gatewayCrdsExperimental : t.gatewayCrds;
}

export function toolchainPaths(root = cacheDir()): Toolchain {
  const kube = path.join(root, `kubernetes-${versions.kubernetes}`);
  return {
    etcd: path.join(root, `etcd-${versions.etcd}`, 'etcd'),
    kubeApiserver: path.join(kube, 'kube-apiserver'),
    kubeControllerManager: path.join(kube, 'kube-controller-manager'),
    kubeScheduler: path.join(kube, 'kube-scheduler'),
    kubelet: path.join(kube, 'kubelet'),
    kubeProxy: path.join(kube, 'kube-proxy'),
    envoy: path.join(root, `envoy-${versions.envoy}`, 'envoy'),
    coredns: path.join(root, `coredns-${versions.coredns}`, 'coredns'),
    gatewayCrds: path.join(root, `gateway-api-${versions.gatewayApi}`, 'crds'),
    gatewayCrdsExperimental: path.join(root, `gateway-api-${versions.gatewayApi}`, 'crds-experimental'),
    helm: path.join(root, `helm-${versions.helm}`, 'helm'),
  };
}

/** The upstream conformance suite and its echo server: built only when a conformance run needs them. */
export interface ConformanceTools {
  /** `go test -c sigs.k8s.io/gateway-api/conformance`: the suite, its manifests embedded. */
  suite: string;
  /** sigs.k8s.io/gateway-api/conformance/echo-basic, the backend every suite manifest runs. */
  echoBasic: string;
}

export function conformancePaths(root = cacheDir()): ConformanceTools {
  const dir = path.join(root, `gateway-api-conformance-${versions.gatewayApi}`);
  return { suite: path.join(dir, 'conformance.test'), echoBasic: path.join(dir, 'echo-basic') };
}
