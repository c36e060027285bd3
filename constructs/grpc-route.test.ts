import { Testing } from 'cdk8s';
import { Gateway } from './gateway.ts';
import { GrpcRoute } from './grpc-route.ts';
import { testChart } from '../test-support/cdk8s.ts';

function setup() {
  const chart = testChart();
  const gw = new Gateway(chart, 'gw', {
    metadata: { name: 'grpc-gw' },
    listeners: [
      { name: 'web', protocol: 'HTTP' },
      { name: 'tls', protocol: 'TLS', tlsMode: 'Passthrough' },
    ],
  });
  return { chart, gw };
}

const SVC = 'helloworld.Greeter';

describe('GrpcRoute', () => {
  test('routes calls by service, method and metadata, with header filters and weights', () => {
    const { chart, gw } = setup();
    const route = new GrpcRoute(chart, 'route', {
      metadata: { name: 'greeter' },
      parentRefs: [{ gateway: gw, sectionName: 'web' }],
      hostnames: ['grpc.example.com'],
    });
    route.addRule({
      name: 'hello',
      matches: [
        { method: { service: SVC, method: 'SayHello' } },
        {
          method: { type: 'RegularExpression', method: 'Say.*' },
          headers: [{ name: 'version', value: 'two' }],
        },
      ],
      filters: [{ type: 'RequestHeaderModifier', set: [{ name: 'x-via', value: 'portico' }] }],
      backendRefs: [
        { service: 'greeter-v1', port: 50051, weight: 90 },
        { service: 'greeter-v2', port: 50051, weight: 10 },
      ],
    });
    route.addRule({ backendRefs: [{ service: 'fallback', port: 50051 }] });
    const obj = Testing.synth(chart).find((o) => o.kind === 'GRPCRoute');
    expect(obj).toMatchSnapshot();
    expect(obj.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(obj.spec.parentRefs).toEqual([{ name: 'grpc-gw', sectionName: 'web' }]);
    expect(obj.spec.rules[0].matches).toEqual([
      { method: { service: SVC, method: 'SayHello', type: 'Exact' } },
      {
        method: { method: 'Say.*', type: 'RegularExpression' },
        headers: [{ name: 'version', value: 'two', type: 'Exact' }],
      },
    ]);
    expect(obj.spec.rules[1]).toEqual({ backendRefs: [{ name: 'fallback', port: 50051 }] });
  });

  test.each([
    [{ method: {} }, 'rules[0].matches[0].method must name a service, a method or both'],
    [{ method: { service: 'bad/name' } }, 'is not a valid gRPC service name, got "bad/name"'],
    [{ method: { method: 'Say.Hello' } }, 'is not a valid gRPC method name, got "Say.Hello"'],
    [{ method: { type: 'RegularExpression' as const, method: '(' } }, 'rules[0].matches[0].method.method'],
    [{ headers: [{ name: '', value: 'x' }] }, 'rules[0].matches[0].headers[0].name must not be empty'],
  ])('refuses the match %j', (match, message) => {
    const { chart, gw } = setup();
    const route = new GrpcRoute(chart, 'route', { parentRefs: [gw] });
    expect(() => route.addRule({ matches: [match], backendRefs: [{ service: 's', port: 1 }] })).toThrow(
      message,
    );
  });

  test('refuses a rule without backends, an unsupported filter and a bad hostname', () => {
    const { chart, gw } = setup();
    const route = new GrpcRoute(chart, 'route', { parentRefs: [gw] });
    expect(() => route.addRule({ backendRefs: [] })).toThrow('rules[0].backendRefs must list at least one');
    expect(() =>
      route.addRule({
        filters: [{ type: 'URLRewrite' } as never],
        backendRefs: [{ service: 's', port: 1 }],
      }),
    ).toThrow('must be RequestHeaderModifier or ResponseHeaderModifier, got "URLRewrite"');
    expect(() => new GrpcRoute(chart, 'bad', { hostnames: ['Not A Host'] })).toThrow('hostnames[0]');
  });

  test('cannot attach to a TLS listener, and needs a parent', () => {
    const { chart, gw } = setup();
    new GrpcRoute(chart, 'route', {
      parentRefs: [{ gateway: gw, sectionName: 'tls' }],
      rules: [{ backendRefs: [{ service: 's', port: 1 }] }],
    });
    expect(() => Testing.synth(chart)).toThrow('a GRPCRoute cannot attach to listener tls (TLS Passthrough)');
    const { chart: c2 } = setup();
    new GrpcRoute(c2, 'lonely', { rules: [{ backendRefs: [{ service: 's', port: 1 }] }] });
    expect(() => Testing.synth(c2)).toThrow('parentRefs must not be empty');
  });
});
