import { Chart, Testing } from 'cdk8s';
import * as plus from 'cdk8s-plus-34';
import { Gateway, type ListenerProps } from './gateway.ts';
import { GatewayClass } from './gateway-class.ts';
import { testApp, testChart } from '../test-support/cdk8s.ts';

const certs = [{ name: 'demo-cert' }];

describe('Gateway', () => {
  test('synthesizes listeners of every protocol', () => {
    const chart = testChart();
    const gw = new Gateway(chart, 'gw', {
      metadata: { name: 'lab', namespace: 'infra' },
      addresses: ['127.0.200.10'],
      listeners: [{ name: 'http', protocol: 'HTTP' }],
    });
    gw.addListener({ name: 'https', protocol: 'HTTPS', hostname: '*.cilium.rocks', certificateRefs: certs });
    gw.addListener({
      name: 'tls',
      protocol: 'TLS',
      port: 8443,
      tlsMode: 'Passthrough',
      allowedRoutes: { from: 'Selector', selector: { team: 'edge' } },
    });
    const [obj] = Testing.synth(chart);
    expect(obj).toMatchSnapshot();
    expect(obj.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(obj.spec.gatewayClassName).toBe('portico');
    expect(obj.spec.addresses).toEqual([{ type: 'IPAddress', value: '127.0.200.10' }]);
    expect(obj.spec.listeners.map((l: { port: number }) => l.port)).toEqual([80, 443, 8443]);
    expect(obj.spec.listeners[1].tls).toEqual({
      mode: 'Terminate',
      certificateRefs: [{ kind: 'Secret', name: 'demo-cert' }],
    });
    expect(obj.spec.listeners[2].allowedRoutes.namespaces).toEqual({
      from: 'Selector',
      selector: { matchLabels: { team: 'edge' } },
    });
    expect(gw.listeners.map((l) => l.kinds)).toEqual([
      ['HTTPRoute', 'GRPCRoute'],
      ['HTTPRoute', 'GRPCRoute'],
      ['TLSRoute'],
    ]);
  });

  test('takes the class and certificates as constructs', () => {
    const chart = testChart();
    const cls = new GatewayClass(chart, 'cls', { metadata: { name: 'edge' } });
    const secret = new plus.Secret(chart, 'cert', { metadata: { name: 'tls-cert', namespace: 'certs' } });
    new Gateway(chart, 'gw', {
      gatewayClass: cls,
      listeners: [{ name: 'https', protocol: 'HTTPS', certificateRefs: [secret] }],
    });
    const gw = Testing.synth(chart).find((o) => o.kind === 'Gateway');
    expect(gw.spec.gatewayClassName).toBe('edge');
    expect(gw.spec.listeners[0].tls.certificateRefs).toEqual([
      { kind: 'Secret', name: 'tls-cert', namespace: 'certs' },
    ]);
  });

  const invalid: [string, ListenerProps[], string][] = [
    [
      'duplicate listener names',
      [
        { name: 'a', protocol: 'HTTP' },
        { name: 'a', protocol: 'HTTP', port: 81 },
      ],
      'listeners[1].name "a" is already used',
    ],
    [
      'HTTPS without certificateRefs',
      [{ name: 'a', protocol: 'HTTPS' }],
      'listeners[0].certificateRefs must name at least one TLS Secret',
    ],
    [
      'TLS Terminate without certificateRefs',
      [{ name: 'a', protocol: 'TLS' }],
      'listeners[0].certificateRefs must name at least one TLS Secret',
    ],
    [
      'HTTPS in Passthrough',
      [{ name: 'a', protocol: 'HTTPS', tlsMode: 'Passthrough' }],
      'use protocol "TLS" for passthrough',
    ],
    [
      'certificates on Passthrough',
      [{ name: 'a', protocol: 'TLS', tlsMode: 'Passthrough', certificateRefs: certs }],
      'must be empty in Passthrough mode',
    ],
    [
      'TLS settings on HTTP',
      [{ name: 'a', protocol: 'HTTP', certificateRefs: certs }],
      'only for HTTPS and TLS listeners',
    ],
    [
      'an invalid hostname',
      [{ name: 'a', protocol: 'HTTP', hostname: 'Shop_Example' }],
      'listeners[0].hostname must be a lower-case DNS name',
    ],
    [
      'an IP as hostname',
      [{ name: 'a', protocol: 'HTTP', hostname: '10.0.0.1' }],
      'listeners[0].hostname must be a lower-case DNS name',
    ],
    [
      'a wildcard in the middle',
      [{ name: 'a', protocol: 'HTTP', hostname: 'a.*.com' }],
      'listeners[0].hostname must be',
    ],
    [
      'a port out of range',
      [{ name: 'a', protocol: 'HTTP', port: 70000 }],
      'listeners[0].port must be an integer port between 1 and 65535, got 70000',
    ],
    [
      'an invalid listener name',
      [{ name: 'Web_1', protocol: 'HTTP' }],
      'listeners[0].name must be a lower-case DNS label',
    ],
    [
      'an unknown protocol',
      [{ name: 'a', protocol: 'SCTP' as 'HTTP' }],
      'listeners[0].protocol must be HTTP, HTTPS, TLS, TCP or UDP, got "SCTP"',
    ],
    [
      'Selector without labels',
      [{ name: 'a', protocol: 'HTTP', allowedRoutes: { from: 'Selector' } }],
      'allowedRoutes.selector must list namespace labels',
    ],
    [
      'labels without Selector',
      [{ name: 'a', protocol: 'HTTP', allowedRoutes: { selector: { a: 'b' } } }],
      'is only used with allowedRoutes.from "Selector"',
    ],
    [
      'a TLSRoute kind on HTTP',
      [{ name: 'a', protocol: 'HTTP', allowedRoutes: { kinds: ['TLSRoute'] } }],
      'allowedRoutes.kinds[0] "TLSRoute" cannot attach to a HTTP listener',
    ],
  ];
  test.each(invalid)('refuses %s', (_what, listeners, message) => {
    const chart = testChart();
    expect(() => new Gateway(chart, 'gw', { listeners })).toThrow(/^Gateway "test\/gw": listeners\[\d\]\./);
    expect(() => new Gateway(testChart(), 'gw', { listeners })).toThrow(message);
  });

  test('takes TLS listeners in modes Terminate and Passthrough on one port (TLSRouteModeMixed)', () => {
    const chart = testChart();
    const gw = new Gateway(chart, 'gw', {
      listeners: [
        { name: 'a', protocol: 'TLS', port: 8443, hostname: 'a.example.com', tlsMode: 'Passthrough' },
        {
          name: 'b',
          protocol: 'TLS',
          port: 8443,
          hostname: 'b.example.com',
          certificateRefs: [{ name: 'cert' }],
        },
      ],
    });
    const [obj] = Testing.synth(chart);
    expect(obj.spec.listeners.map((l: { tls: { mode: string } }) => l.tls.mode)).toEqual([
      'Passthrough',
      'Terminate',
    ]);
    expect(gw.listeners.map((l) => l.kinds)).toEqual([['TLSRoute'], ['TLSRoute']]);
  });

  test('writes spec.infrastructure', () => {
    const chart = testChart();
    new Gateway(chart, 'gw', {
      listeners: [{ name: 'a', protocol: 'HTTP' }],
      infrastructure: { labels: { team: 'a' }, annotations: { note: 'x' } },
    });
    const obj = Testing.synth(chart).find((o) => o.kind === 'Gateway');
    expect(obj.spec.infrastructure).toEqual({ labels: { team: 'a' }, annotations: { note: 'x' } });
  });

  test('refuses a bad address and class name', () => {
    expect(() => new Gateway(testChart(), 'gw', { addresses: ['10.0.0.300'] })).toThrow(
      'addresses[0] must be an IPv4 or IPv6 address, got "10.0.0.300"',
    );
    // The one IP parser (constructs/ip.ts), as the pools and IPAM use: no loose IPv6 look-alikes.
    for (const bad of [':::', '1::2::3', 'fe80::1%eth0', '::1.2.3.4'])
      expect(() => new Gateway(testChart(), 'gw', { addresses: [bad] })).toThrow(
        `addresses[0] must be an IPv4 or IPv6 address, got "${bad}"`,
      );
    expect(
      new Gateway(testChart(), 'gw', { addresses: ['fd00::1'] }).apiObject.toJson().spec.addresses,
    ).toEqual([{ type: 'IPAddress', value: 'fd00::1' }]);
    expect(() => new Gateway(testChart(), 'gw', { gatewayClass: 'Bad Class' })).toThrow(
      'gatewayClassName must be a lower-case DNS subdomain',
    );
  });

  test('refuses a Gateway without listeners at synth time', () => {
    const chart = testChart();
    new Gateway(chart, 'gw');
    expect(() => Testing.synth(chart)).toThrow(
      '[test/gw] Gateway: listeners must not be empty; call addListener()',
    );
  });
});

describe('GatewayClass', () => {
  test('defaults to Portico, cluster-scoped even in a namespaced chart', () => {
    const namespaced = new Chart(testApp(), 'ns', { namespace: 'portico-system' });
    new GatewayClass(namespaced, 'cls', { description: 'lab' });
    const [obj] = namespaced.toJson();
    expect(obj).toMatchSnapshot();
    expect(obj.metadata).toEqual({ name: 'portico' });
    expect(obj.spec.controllerName).toBe('portico.dev/gateway-controller');
  });

  test('refuses a controller name without a domain', () => {
    expect(() => new GatewayClass(testChart(), 'cls', { controllerName: 'portico' })).toThrow(
      'GatewayClass "test/cls": controllerName must be a domain-prefixed path',
    );
  });
});
