import { Testing } from 'cdk8s';
import { GatewayService } from '../../constructs/gateway-service.ts';
import { ownedServiceObjects, type OwnedInvalid } from './owned.ts';
import type { OwnedService } from '../translate/types.ts';
import { testChart } from '../../test-support/cdk8s.ts';

const svc = (gateway: string, ports: number[]): OwnedService => ({
  name: `portico-${gateway}`,
  namespace: 'default',
  ports: ports.map((port) => ({ name: `port-${port}`, port, protocol: 'TCP' })),
  labels: {},
  owner: {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    name: gateway,
    uid: `uid-${gateway}`,
  },
});

test('builds each Gateway Service with the GatewayService construct', () => {
  const [obj, ...rest] = ownedServiceObjects([
    { ...svc('web', [80, 443]), loadBalancerIPs: ['127.0.200.7'] },
  ]);
  expect(rest).toEqual([]);
  expect(obj).toMatchObject({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'portico-web',
      namespace: 'default',
      labels: { 'service.kubernetes.io/service-proxy-name': 'portico' },
      annotations: { 'portico.dev/lb-ips': '127.0.200.7' },
      ownerReferences: [{ kind: 'Gateway', name: 'web', uid: 'uid-web', controller: true }],
    },
    spec: { type: 'LoadBalancer', ports: [{ port: 80 }, { port: 443 }] },
  });
});

test('skips and reports a Gateway whose Service the construct refuses, and builds the others', () => {
  const bad: OwnedInvalid[] = [];
  const objs = ownedServiceObjects([svc('edge.example', [80]), svc('web', [80])], (b) => bad.push(b));
  expect(objs.map((o) => o.metadata?.name)).toEqual(['portico-web']);
  expect(bad).toEqual([
    expect.objectContaining({ name: 'portico-edge.example', error: expect.stringContaining('DNS label') }),
  ]);
});

test("puts the Gateway's infrastructure labels and annotations on its Service", () => {
  const [obj] = ownedServiceObjects([
    { ...svc('web', [80]), infrastructure: { labels: { key2: 'value2' }, annotations: { key1: 'value1' } } },
  ]);
  expect(obj?.metadata?.labels).toMatchObject({
    key2: 'value2',
    'gateway.networking.k8s.io/gateway-name': 'web',
  });
  expect(obj?.metadata?.annotations).toEqual({ key1: 'value1' });
});

test('applies what cdk8s synth writes for the GatewayService construct', () => {
  const s: OwnedService = {
    ...svc('web', [443, 80, 80]),
    ports: [
      { name: 'port-443', port: 443, protocol: 'TCP' },
      { name: 'port-80', port: 80, protocol: 'TCP' },
      { name: 'udp-53', port: 53, protocol: 'UDP' },
    ],
    loadBalancerIPs: ['127.0.200.7', 'fd00::7'],
    infrastructure: { labels: { team: 'a' }, annotations: { 'example.com/x': 'y' } },
  };
  const chart = testChart();
  new GatewayService(chart, 'svc', {
    gateway: { ...s.owner, namespace: s.namespace },
    listenerPorts: [443, 80],
    udpListenerPorts: [53],
    loadBalancerIPs: ['127.0.200.7', 'fd00::7'],
    labels: { team: 'a' },
    annotations: { 'example.com/x': 'y' },
  });
  expect(ownedServiceObjects([s])).toEqual(Testing.synth(chart));
  expect(ownedServiceObjects([{ ...svc('web', [80]) }])[0]?.metadata).not.toHaveProperty('annotations');
});
