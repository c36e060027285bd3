// Pinned versions of every real binary the local cluster runs. Update deliberately.
export const versions = {
  kubernetes: 'v1.36.3',
  etcd: 'v3.6.16',
  envoy: '1.40.0',
  gatewayApi: 'v1.6.3',
  coredns: 'v1.12.2',
  helm: 'v4.3.2',
} as const;
