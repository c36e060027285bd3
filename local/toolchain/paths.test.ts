import { toolchainPaths } from './paths.ts';
import { versions } from './versions.ts';

describe('toolchainPaths', () => {
  it('keys every binary by its pinned version under the cache root', () => {
    const t = toolchainPaths('/cache');
    expect(t.kubeApiserver).toBe(`/cache/kubernetes-${versions.kubernetes}/kube-apiserver`);
    expect(t.etcd).toBe(`/cache/etcd-${versions.etcd}/etcd`);
    expect(t.envoy).toBe(`/cache/envoy-${versions.envoy}/envoy`);
    expect(t.coredns).toBe(`/cache/coredns-${versions.coredns}/coredns`);
    expect(t.helm).toBe(`/cache/helm-${versions.helm}/helm`);
    expect(t.gatewayCrds).toBe(`/cache/gateway-api-${versions.gatewayApi}/crds`);
  });
});
