import fs from 'node:fs';
import path from 'node:path';
import { conformancePaths, gatewayCrdDir, toolchainPaths, toolchainSrc } from './paths.ts';
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
    expect(gatewayCrdDir(t)).toBe(t.gatewayCrds);
    expect(gatewayCrdDir(t, 'experimental')).toBe(
      `/cache/gateway-api-${versions.gatewayApi}/crds-experimental`,
    );
  });
});

describe('conformancePaths', () => {
  it('keys the suite and echo-basic by the pinned Gateway API version', () => {
    const c = conformancePaths('/cache');
    expect(c.suite).toBe(`/cache/gateway-api-conformance-${versions.gatewayApi}/conformance.test`);
    expect(c.echoBasic).toBe(`/cache/gateway-api-conformance-${versions.gatewayApi}/echo-basic`);
  });

  it('builds them from a wrapper module that pins both modules at that version', () => {
    const mod = fs.readFileSync(path.join(toolchainSrc, 'conformance', 'go.mod'), 'utf8');
    const required = (m: string) =>
      mod.split('\n').some(
        (line) =>
          line
            .replace(/\/\/.*/, '')
            .trim()
            .split(/\s+/)
            .slice(-2)
            .join(' ') === `${m} ${versions.gatewayApi}`,
      );
    expect(required('sigs.k8s.io/gateway-api')).toBe(true);
    expect(required('sigs.k8s.io/gateway-api/conformance')).toBe(true);
  });
});
