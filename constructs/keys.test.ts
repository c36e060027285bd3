// What a JavaScript user (no type checker) gets for a misspelt or misplaced key: an error naming
// it and the fix, never a silently dropped field. Props are cast as plain JavaScript would pass them.
import { Gateway } from './gateway.ts';
import { GrpcRoute } from './grpc-route.ts';
import { HttpRoute } from './http-route.ts';
import { TlsRoute } from './tls-route.ts';
import { GatewayClass } from './gateway-class.ts';
import { L2AnnouncementPolicy } from './l2-announcement-policy.ts';
import { LoadBalancerIpPool } from './lb-ip-pool.ts';
import { ReferenceGrant } from './reference-grant.ts';
import { TcpRoute } from './tcp-route.ts';
import { testChart } from '../test-support/cdk8s.ts';

const js = <T>(v: unknown) => v as T;

function setup() {
  const chart = testChart();
  const gw = new Gateway(chart, 'gw', { listeners: [{ name: 'web', protocol: 'HTTP' }] });
  return { chart, gw };
}

describe('unknown keys in construct props', () => {
  test('a misspelt listener field names the listener and the right spelling', () => {
    const chart = testChart();
    expect(
      () =>
        new Gateway(chart, 'gw', {
          listeners: [js({ name: 'web', protocol: 'HTTP', protocl: 'HTTPS' })],
        }),
    ).toThrow(
      'Gateway "test/gw": listeners[0].protocl is not a known field; did you mean "protocol"? (known: name, protocol, port, hostname, tlsMode, certificateRefs, allowedRoutes)',
    );
  });

  test('a misspelt top-level prop and allowedRoutes field', () => {
    const chart = testChart();
    expect(() => new Gateway(chart, 'a', js({ listener: [] }))).toThrow(
      'Gateway "test/a": listener is not a known field; did you mean "listeners"?',
    );
    expect(
      () =>
        new Gateway(chart, 'b', {
          listeners: [{ name: 'web', protocol: 'HTTP', allowedRoutes: js({ namespaces: { from: 'All' } }) }],
        }),
    ).toThrow(
      'Gateway "test/b": listeners[0].allowedRoutes.namespaces is not a known field (known: from, selector, kinds)',
    );
  });

  test("Gateway API's nested filter shape gets the construct's flat shape in the message", () => {
    const { chart, gw } = setup();
    const route = new HttpRoute(chart, 'r', { parentRefs: [gw] });
    expect(() =>
      route.addRule({
        filters: [js({ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } })],
      }),
    ).toThrow(
      "HttpRoute \"test/r\": rules[0].filters[0].requestRedirect is Gateway API's YAML shape; here a filter's fields sit beside its type: { type: 'RequestRedirect', scheme: 'https', statusCode: 301 }",
    );
    expect(() =>
      route.addRule({
        filters: [js({ type: 'URLRewrite', hostname: 'a.example.com', replacePrefixMatch: '/' })],
      }),
    ).toThrow('rules[0].filters[0].replacePrefixMatch is not a known field (known: type, hostname, path)');
  });

  test('matches, backendRefs and parentRefs', () => {
    const { chart, gw } = setup();
    const route = new HttpRoute(chart, 'r', { parentRefs: [gw] });
    expect(() => route.addRule({ matches: [{ path: js({ typ: 'Exact', value: '/' }) }] })).toThrow(
      'rules[0].matches[0].path.typ is not a known field; did you mean "type"?',
    );
    expect(() => route.addRule({ matches: [js({ paths: [] })] })).toThrow(
      'rules[0].matches[0].paths is not a known field; did you mean "path"?',
    );
    expect(() => route.addRule({ backendRefs: [js({ service: 'web', port: 80, wieght: 1 })] })).toThrow(
      'rules[0].backendRefs[0].wieght is not a known field; did you mean "weight"?',
    );
    expect(() => route.attachTo(js({ gateway: 'gw', section: 'web' }))).toThrow(
      'parentRefs[1].section is not a known field (known: gateway, kind, namespace, sectionName, port)',
    );
    expect(() => route.addRule(js({ backendRef: [] }))).toThrow(
      'rules[0].backendRef is not a known field; did you mean "backendRefs"?',
    );
  });

  test('GrpcRoute and TlsRoute', () => {
    const { chart, gw } = setup();
    expect(() => new GrpcRoute(chart, 'g', js({ parentRefs: [gw], rule: [] }))).toThrow(
      'GrpcRoute "test/g": rule is not a known field; did you mean "rules"?',
    );
    const g = new GrpcRoute(chart, 'g2', { parentRefs: [gw] });
    expect(() =>
      g.addRule({
        matches: [{ method: js({ service: 'a.B', methd: 'C' }) }],
        backendRefs: [{ service: 's', port: 1 }],
      }),
    ).toThrow('rules[0].matches[0].method.methd is not a known field; did you mean "method"?');
    expect(
      () => new TlsRoute(chart, 't', js({ hostnames: ['a.example.com'], backendRefs: [], hostname: 'x' })),
    ).toThrow('TlsRoute "test/t": hostname is not a known field; did you mean "hostnames"?');
  });

  test('a value that is not an object', () => {
    const chart = testChart();
    expect(() => new Gateway(chart, 'gw', { listeners: [js('web')] })).toThrow(
      'Gateway "test/gw": listeners[0] must be an object, got "web"',
    );
  });

  test('pools, policies, grants, classes and TCP routes refuse unknown keys too', () => {
    const chart = testChart();
    expect(() => new LoadBalancerIpPool(chart, 'p', js({ block: [{ cidr: '10.0.0.0/29' }] }))).toThrow(
      /block is not a known field; did you mean "blocks"\?/,
    );
    expect(() => new L2AnnouncementPolicy(chart, 'l2', js({ interface: ['eth0'] }))).toThrow(
      /interface is not a known field; did you mean "interfaces"\?/,
    );
    expect(
      () =>
        new ReferenceGrant(chart, 'rg', {
          from: [js({ kind: 'HTTPRoute', namespce: 'a' })],
          to: [{ kind: 'Service' }],
        }),
    ).toThrow(/from\[0\]\.namespce is not a known field; did you mean "namespace"\?/);
    expect(() => new GatewayClass(chart, 'gc', js({ controller: 'x' }))).toThrow(
      /controller is not a known field/,
    );
    expect(() => new TcpRoute(chart, 't', js({ backendRef: [] }))).toThrow(
      /backendRef is not a known field; did you mean "backendRefs"\?/,
    );
  });
});
