import { Testing } from 'cdk8s';
import { GatewayService, type GatewayServiceProps } from './gateway-service.ts';
import { testChart } from '../test-support/cdk8s.ts';

const gateway = { name: 'my-gateway', namespace: 'infra', uid: '6f1c0a52-0000-4000-8000-000000000001' };

describe('GatewayService', () => {
  test("carries the Gateway's infrastructure labels and annotations; Portico's own labels win", () => {
    const chart = testChart();
    new GatewayService(chart, 'svc', {
      gateway,
      listenerPorts: [80],
      labels: { key2: 'value2', 'gateway.networking.k8s.io/gateway-name': 'other' },
      annotations: { 'example.com/key1': 'value1' },
    });
    const [obj] = Testing.synth(chart);
    expect(obj.metadata.labels).toEqual({
      key2: 'value2',
      'service.kubernetes.io/service-proxy-name': 'portico',
      'gateway.networking.k8s.io/gateway-name': 'my-gateway',
    });
    expect(obj.metadata.annotations).toEqual({ 'example.com/key1': 'value1' });
    expect(
      () => new GatewayService(testChart(), 'bad', { gateway, listenerPorts: [80], labels: { 'a b': 'x' } }),
    ).toThrow('labels["a b"] must be a Kubernetes label or annotation key ([prefix/]name)');
  });

  test('synthesizes the per-Gateway LoadBalancer Service', () => {
    const chart = testChart();
    const svc = new GatewayService(chart, 'svc', {
      gateway,
      listenerPorts: [443, 80, 443, 8443],
      loadBalancerIPs: ['127.0.200.10', 'fd00::10'],
    });
    const [obj] = Testing.synth(chart);
    expect(obj).toMatchSnapshot();
    expect(svc.name).toBe('portico-my-gateway');
    expect(svc.apiObject.node.id).toBe('Resource');
    expect(obj.metadata.name).toBe('portico-my-gateway');
    expect(obj.metadata.namespace).toBe('infra');
    expect(obj.spec.type).toBe('LoadBalancer');
    // One TCP port per distinct listener port, in order.
    expect(obj.spec.ports).toEqual(
      [80, 443, 8443].map((port) => ({ name: `port-${port}`, port, protocol: 'TCP', targetPort: port })),
    );
    expect(obj.metadata.labels).toEqual({
      'service.kubernetes.io/service-proxy-name': 'portico',
      'gateway.networking.k8s.io/gateway-name': 'my-gateway',
    });
    expect(obj.metadata.annotations).toEqual({ 'portico.dev/lb-ips': '127.0.200.10,fd00::10' });
    expect(obj.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'Gateway',
        name: 'my-gateway',
        uid: gateway.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
  });

  test('asks IPAM for nothing in particular when no IPs are requested', () => {
    const chart = testChart();
    new GatewayService(chart, 'svc', { gateway, listenerPorts: [80] });
    const [obj] = Testing.synth(chart);
    expect(obj.metadata.annotations).toBeUndefined();
  });

  const bad: [string, Partial<GatewayServiceProps>, string][] = [
    ['no ports', { listenerPorts: [] }, 'listenerPorts must list at least one listener port'],
    ['port out of range', { listenerPorts: [80, 70000] }, 'listenerPorts[1] must be an integer port'],
    [
      'bad gateway name',
      { gateway: { ...gateway, name: 'My_GW' } },
      'gateway.name must be a lower-case DNS subdomain',
    ],
    [
      'dotted gateway name',
      { gateway: { ...gateway, name: 'edge.example' } },
      'makes Service name "portico-edge.example", which must be a DNS label',
    ],
    [
      'long gateway name',
      { gateway: { ...gateway, name: 'g'.repeat(60) } },
      'which must be a DNS label of at most 63 characters',
    ],
    ['empty uid', { gateway: { ...gateway, uid: '' } }, "gateway.uid must be the Gateway's uid"],
    [
      'bad requested IP',
      { loadBalancerIPs: ['10.0.0.300'] },
      'loadBalancerIPs[0] must be an IPv4 or IPv6 address',
    ],
  ];
  test.each(bad)('rejects %s', (_name, props, message) => {
    expect(() => new GatewayService(testChart(), 'svc', { gateway, listenerPorts: [80], ...props })).toThrow(
      message,
    );
    expect(() => new GatewayService(testChart(), 'svc', { gateway, listenerPorts: [80], ...props })).toThrow(
      'GatewayService "test/svc": ',
    );
  });
});
