import { Testing } from 'cdk8s';
import * as plus from 'cdk8s-plus-34';
import { Gateway } from './gateway.ts';
import { TcpRoute } from './tcp-route.ts';
import { UdpRoute } from './udp-route.ts';
import { testChart } from '../test-support/cdk8s.ts';

function setup() {
  const chart = testChart();
  const gw = new Gateway(chart, 'gw', {
    metadata: { name: 'l4-gw' },
    listeners: [
      { name: 'web', protocol: 'HTTP' },
      { name: 'db', protocol: 'TCP', port: 5432 },
      { name: 'dns', protocol: 'UDP', port: 53 },
      { name: 'dns-tcp', protocol: 'TCP', port: 53 },
    ],
  });
  return { chart, gw };
}

describe('Gateway TCP and UDP listeners', () => {
  test('admit TCPRoute and UDPRoute; TCP and UDP may share a port', () => {
    const { chart, gw: construct } = setup();
    expect(construct.listeners.map((l) => l.kinds)).toEqual([
      ['HTTPRoute', 'GRPCRoute'],
      ['TCPRoute'],
      ['UDPRoute'],
      ['TCPRoute'],
    ]);
    const gw = Testing.synth(chart).find((o) => o.kind === 'Gateway');
    expect(gw.spec.listeners.slice(1)).toEqual([
      { name: 'db', protocol: 'TCP', port: 5432, allowedRoutes: expect.anything() },
      { name: 'dns', protocol: 'UDP', port: 53, allowedRoutes: expect.anything() },
      { name: 'dns-tcp', protocol: 'TCP', port: 53, allowedRoutes: expect.anything() },
    ]);
  });

  test.each([
    [{ name: 'x', protocol: 'TCP' as const }, 'listeners[0].port is required for a TCP listener'],
    [
      { name: 'x', protocol: 'UDP' as const, port: 53, hostname: 'a.example.com' },
      'listeners[0].hostname is ignored by UDP listeners (no SNI or Host); remove it',
    ],
    [
      { name: 'x', protocol: 'TCP' as const, port: 1, tlsMode: 'Passthrough' as const },
      'listeners[0].tlsMode and certificateRefs are only for HTTPS and TLS listeners',
    ],
    [
      { name: 'x', protocol: 'TCP' as const, port: 1, allowedRoutes: { kinds: ['UDPRoute' as const] } },
      'listeners[0].allowedRoutes.kinds[0] "UDPRoute" cannot attach to a TCP listener; use TCPRoute',
    ],
  ])('refuses %j', (listener, message) => {
    expect(() => new Gateway(testChart(), 'gw', { listeners: [listener] })).toThrow(message);
  });
});

describe('TcpRoute and UdpRoute', () => {
  test('forward to weighted backends', () => {
    const { chart, gw } = setup();
    const svc = new plus.Service(chart, 'svc', { metadata: { name: 'postgres' }, ports: [{ port: 5432 }] });
    new TcpRoute(chart, 'tcp', {
      metadata: { name: 'db' },
      parentRefs: [{ gateway: gw, sectionName: 'db' }],
      backendRefs: [
        { service: svc, weight: 9 },
        { service: 'replica', port: 5432, weight: 1 },
      ],
    });
    const udp = new UdpRoute(chart, 'udp', {
      metadata: { name: 'dns' },
      backendRefs: [{ service: 'coredns', port: 53 }],
    });
    udp.attachTo({ gateway: gw, port: 53 });
    const objs = Testing.synth(chart);
    const tcpObj = objs.find((o) => o.kind === 'TCPRoute');
    const udpObj = objs.find((o) => o.kind === 'UDPRoute');
    expect([tcpObj, udpObj]).toMatchSnapshot();
    expect(tcpObj.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(tcpObj.spec).toEqual({
      parentRefs: [{ name: 'l4-gw', sectionName: 'db' }],
      rules: [
        {
          backendRefs: [
            { name: 'postgres', port: 5432, weight: 9 },
            { name: 'replica', port: 5432, weight: 1 },
          ],
        },
      ],
    });
    expect(udpObj.spec).toEqual({
      parentRefs: [{ name: 'l4-gw', port: 53 }],
      rules: [{ backendRefs: [{ name: 'coredns', port: 53 }] }],
    });
  });

  test.each([
    ['no backends', { backendRefs: [] }, 'backendRefs must list at least one backend Service'],
    ['a backend without a port', { backendRefs: [{ service: 'a' }] }, 'backendRefs[0].port is required'],
    [
      'a bad weight',
      { backendRefs: [{ service: 'a', port: 1, weight: -1 }] },
      'backendRefs[0].weight must be an integer between 0 and 1000000',
    ],
  ])('refuse %s', (_what, props, message) => {
    expect(() => new TcpRoute(testChart(), 'route', props)).toThrow(`TcpRoute "test/route": ${message}`);
    expect(() => new UdpRoute(testChart(), 'route', props)).toThrow(`UdpRoute "test/route": ${message}`);
  });

  test('refuse attachment to a listener of another protocol at synth time', () => {
    const { chart, gw } = setup();
    new TcpRoute(chart, 'tcp', {
      parentRefs: [{ gateway: gw, sectionName: 'dns' }],
      backendRefs: [{ service: 'a', port: 1 }],
    });
    expect(() => Testing.synth(chart)).toThrow(
      'a TCPRoute cannot attach to listener dns (UDP) of Gateway "l4-gw"; a TCPRoute needs a TCP listener or pick another sectionName',
    );
    const other = setup();
    new UdpRoute(other.chart, 'udp', {
      parentRefs: [{ gateway: other.gw, port: 5432 }],
      backendRefs: [{ service: 'a', port: 1 }],
    });
    expect(() => Testing.synth(other.chart)).toThrow('a UDPRoute cannot attach to listener db (TCP)');
  });

  test('refuse a missing parent at synth time', () => {
    const chart = testChart();
    new UdpRoute(chart, 'udp', { backendRefs: [{ service: 'a', port: 1 }] });
    expect(() => Testing.synth(chart)).toThrow('parentRefs must not be empty; call attachTo(gateway)');
  });
});
