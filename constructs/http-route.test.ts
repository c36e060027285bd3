import { Testing } from 'cdk8s';
import * as plus from 'cdk8s-plus-34';
import { Gateway } from './gateway.ts';
import { HttpRoute, type HttpRouteRule } from './http-route.ts';
import type { HttpRouteRetry } from './http-retry.ts';
import { testChart } from '../test-support/cdk8s.ts';

function setup() {
  const chart = testChart();
  const gw = new Gateway(chart, 'gw', {
    metadata: { name: 'my-gateway' },
    listeners: [
      { name: 'web', protocol: 'HTTP' },
      { name: 'passthrough', protocol: 'TLS', tlsMode: 'Passthrough' },
    ],
  });
  return { chart, gw };
}

describe('HttpRoute', () => {
  test('synthesizes matches, filters and weighted backends', () => {
    const { chart, gw } = setup();
    const svc = new plus.Service(chart, 'svc', { metadata: { name: 'details' }, ports: [{ port: 9080 }] });
    const route = new HttpRoute(chart, 'route', {
      metadata: { name: 'shop' },
      parentRefs: [{ gateway: gw, sectionName: 'web', port: 80 }],
      hostnames: ['shop.example.com', '*.example.org'],
    });
    route.addRule({
      name: 'details',
      matches: [
        {
          path: { type: 'Exact', value: '/details' },
          headers: [
            { name: 'magic', value: 'foo' },
            { name: 'x-id', value: '^[0-9]+$', type: 'RegularExpression' },
          ],
          queryParams: [{ name: 'great', value: 'example' }],
          method: 'GET',
        },
        { path: { type: 'RegularExpression', value: '^/v[12]/.*' } },
      ],
      filters: [
        {
          type: 'RequestHeaderModifier',
          set: [{ name: 'x-a', value: '1' }],
          add: [{ name: 'x-b', value: '2' }],
          remove: ['x-c'],
        },
        { type: 'ResponseHeaderModifier', set: [{ name: 'x-served-by', value: 'portico' }] },
        { type: 'RequestMirror', backend: { service: 'shadow', port: 80 }, percent: 10 },
      ],
      backendRefs: [
        { service: svc, weight: 75 },
        { service: 'details-v2', port: 9080, namespace: 'canary', weight: 25 },
      ],
    });
    route.addRule({
      matches: [{ path: { value: '/old' } }],
      filters: [
        {
          type: 'RequestRedirect',
          scheme: 'https',
          statusCode: 301,
          path: { type: 'ReplacePrefixMatch', value: '/new' },
        },
      ],
    });
    route.addRule({
      matches: [{ path: { value: '/api' } }],
      filters: [
        { type: 'URLRewrite', hostname: 'api.internal', path: { type: 'ReplaceFullPath', value: '/' } },
      ],
      backendRefs: [{ service: svc }],
    });
    const obj = Testing.synth(chart).find((o) => o.kind === 'HTTPRoute');
    expect(obj).toMatchSnapshot();
    expect(obj.spec.parentRefs).toEqual([{ name: 'my-gateway', sectionName: 'web', port: 80 }]);
    const [r0, r1, r2] = obj.spec.rules;
    expect(r0.matches[0].path).toEqual({ type: 'Exact', value: '/details' });
    expect(r0.matches[0].headers[0]).toEqual({ name: 'magic', value: 'foo', type: 'Exact' });
    expect(r0.backendRefs).toEqual([
      { name: 'details', port: 9080, weight: 75 },
      { name: 'details-v2', port: 9080, namespace: 'canary', weight: 25 },
    ]);
    expect(r0.filters.map((f: { type: string }) => f.type)).toEqual([
      'RequestHeaderModifier',
      'ResponseHeaderModifier',
      'RequestMirror',
    ]);
    expect(r1.filters[0].requestRedirect).toEqual({
      scheme: 'https',
      statusCode: 301,
      path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/new' },
    });
    expect(r2.filters[0].urlRewrite).toEqual({
      hostname: 'api.internal',
      path: { type: 'ReplaceFullPath', replaceFullPath: '/' },
    });
    expect(r2.backendRefs).toEqual([{ name: 'details', port: 9080 }]);
  });

  test('attaches to a Gateway given as a construct, in another namespace', () => {
    const { chart, gw } = setup();
    const route = new HttpRoute(chart, 'route', { metadata: { namespace: 'team-a' } });
    route.attachTo(gw);
    route.addRule({ backendRefs: [{ service: 'web', port: 80 }] });
    const obj = Testing.synth(chart).find((o) => o.kind === 'HTTPRoute');
    expect(obj.spec.parentRefs).toEqual([{ name: 'my-gateway' }]);
    expect(obj.metadata.namespace).toBe('team-a');
  });

  const at = (rule: HttpRouteRule) => () => {
    const { chart, gw } = setup();
    new HttpRoute(chart, 'route', { parentRefs: [gw], rules: [rule] });
  };
  test.each<[string, HttpRouteRule, string]>([
    [
      'a negative weight',
      { backendRefs: [{ service: 'a', port: 80, weight: -1 }] },
      'rules[0].backendRefs[0].weight must be an integer between 0 and 1000000, got -1',
    ],
    [
      'a weight over 1000000',
      { backendRefs: [{ service: 'a', port: 80, weight: 1_000_001 }] },
      'rules[0].backendRefs[0].weight must be an integer between 0 and 1000000, got 1000001',
    ],
    [
      'a Service name without port',
      { backendRefs: [{ service: 'a' }] },
      'rules[0].backendRefs[0].port is required for Service "a"',
    ],
    [
      'a bad Service name',
      { backendRefs: [{ service: 'A_b', port: 80 }] },
      'rules[0].backendRefs[0].name must be a lower-case DNS subdomain',
    ],
    [
      'a path regex that does not compile',
      { matches: [{ path: { type: 'RegularExpression', value: '/(a' } }] },
      'rules[0].matches[0].path.value is not a valid RE2 regular expression',
    ],
    [
      'a lookahead RE2 cannot run',
      { matches: [{ path: { type: 'RegularExpression', value: '/(?!admin)' } }] },
      'no lookaround, no backreferences): invalid perl operator: (?!, got "/(?!admin)"',
    ],
    [
      'a header regex that does not compile',
      { matches: [{ headers: [{ name: 'x', value: '[', type: 'RegularExpression' }] }] },
      'rules[0].matches[0].headers[0].value is not a valid RE2 regular expression',
    ],
    [
      'a query regex that does not compile',
      { matches: [{ queryParams: [{ name: 'q', value: '*', type: 'RegularExpression' }] }] },
      'rules[0].matches[0].queryParams[0].value is not a valid RE2 regular expression',
    ],
    [
      'a path without a slash',
      { matches: [{ path: { value: 'details' } }] },
      'rules[0].matches[0].path.value must start with "/"',
    ],
    [
      'an unknown method',
      { matches: [{ method: 'FETCH' as 'GET' }] },
      'rules[0].matches[0].method must be one of',
    ],
    [
      'an empty header name',
      { matches: [{ headers: [{ name: '', value: 'x' }] }] },
      'rules[0].matches[0].headers[0].name must not be empty',
    ],
    [
      'a redirect with backends',
      { filters: [{ type: 'RequestRedirect', scheme: 'https' }], backendRefs: [{ service: 'a', port: 80 }] },
      "remove the rule's backendRefs",
    ],
    [
      'a bad redirect status',
      { filters: [{ type: 'RequestRedirect', statusCode: 304 as 301 }] },
      'rules[0].filters[0].statusCode must be 301, 302, 303, 307 or 308, got 304',
    ],
    [
      'a prefix rewrite without a prefix match',
      {
        matches: [{ path: { type: 'Exact', value: '/a' } }],
        filters: [{ type: 'URLRewrite', path: { type: 'ReplacePrefixMatch', value: '/b' } }],
      },
      'ReplacePrefixMatch needs every match of the rule to have a PathPrefix path',
    ],
    [
      'a header changed twice',
      { filters: [{ type: 'RequestHeaderModifier', set: [{ name: 'X-A', value: '1' }], remove: ['x-a'] }] },
      'changes header "x-a" more than once',
    ],
    [
      'a mirror over 100 percent',
      { filters: [{ type: 'RequestMirror', backend: { service: 'm', port: 80 }, percent: 150 }] },
      'rules[0].filters[0].percent must be an integer between 0 and 100, got 150',
    ],
    [
      'a bad rewrite hostname',
      { filters: [{ type: 'URLRewrite', hostname: 'bad host' }] },
      'rules[0].filters[0].hostname must be a lower-case DNS name',
    ],
    ['an invalid rule name', { name: 'Rule 1' }, 'rules[0].name must be a lower-case DNS label'],
    [
      'a backend filter that is not a header modifier',
      {
        backendRefs: [
          { service: 'a', port: 80, filters: [{ type: 'URLRewrite' as 'RequestHeaderModifier' }] },
        ],
      },
      'rules[0].backendRefs[0].filters[0].type must be RequestHeaderModifier or ResponseHeaderModifier, got "URLRewrite"',
    ],
    [
      'a CORS origin with a path',
      { filters: [{ type: 'CORS', allowOrigins: ['https://a.com/x'] }] },
      'rules[0].filters[0].allowOrigins[0] must be scheme://host[:port] or "*", got "https://a.com/x"',
    ],
    [
      'a CORS maxAge of zero',
      { filters: [{ type: 'CORS', allowOrigins: ['*'], maxAge: 0 }] },
      'rules[0].filters[0].maxAge must be a whole number of seconds, at least 1, got 0',
    ],
    [
      'a timeout that is not a duration',
      { timeouts: { request: '1.5s' } },
      'rules[0].timeouts.request must be a duration such as "500ms"',
    ],
    [
      'a backend timeout longer than the request timeout',
      { timeouts: { request: '1s', backendRequest: '2s' } },
      'rules[0].timeouts.backendRequest must be at most request (1s), got "2s"',
    ],
    [
      'a retry code that is not an error status',
      { retry: { codes: [500, 302] } },
      'rules[0].retry.codes[1] must be an HTTP status code from 400 to 599, got 302',
    ],
    [
      'zero retry attempts',
      { retry: { attempts: 0 } },
      'rules[0].retry.attempts must be a whole number of at least 1, got 0',
    ],
    [
      'a retry backoff that is not a duration',
      { retry: { backoff: 'soon' } },
      'rules[0].retry.backoff must be a duration such as "500ms"',
    ],
    ['an unknown retry key', { retry: { attemps: 2 } as HttpRouteRetry }, 'rules[0].retry'],
  ])('refuses %s', (_what, rule, message) => {
    expect(at(rule)).toThrow(message);
    expect(at(rule)).toThrow(/^HttpRoute "test\/route": rules\[0\]/);
  });

  test('writes backendRefs[].filters', () => {
    const { chart, gw } = setup();
    new HttpRoute(chart, 'route', {
      parentRefs: [gw],
      rules: [
        {
          backendRefs: [
            {
              service: 'a',
              port: 80,
              filters: [{ type: 'RequestHeaderModifier', set: [{ name: 'backend', value: 'a' }] }],
            },
          ],
        },
      ],
    });
    const obj = Testing.synth(chart).find((o) => o.kind === 'HTTPRoute');
    expect(obj.spec.rules[0].backendRefs).toEqual([
      {
        name: 'a',
        port: 80,
        filters: [
          {
            type: 'RequestHeaderModifier',
            requestHeaderModifier: { set: [{ name: 'backend', value: 'a' }] },
          },
        ],
      },
    ]);
  });

  test('writes a CORS filter', () => {
    const { chart, gw } = setup();
    new HttpRoute(chart, 'route', {
      parentRefs: [gw],
      rules: [
        {
          filters: [
            { type: 'CORS', allowOrigins: ['https://*.bar.com'], allowMethods: ['GET', '*'], maxAge: 60 },
          ],
          backendRefs: [{ service: 'a', port: 80 }],
        },
      ],
    });
    const obj = Testing.synth(chart).find((o) => o.kind === 'HTTPRoute');
    expect(obj.spec.rules[0].filters).toEqual([
      { type: 'CORS', cors: { allowOrigins: ['https://*.bar.com'], allowMethods: ['GET', '*'], maxAge: 60 } },
    ]);
  });

  test('writes rules[].retry (experimental channel) beside the standard fields', () => {
    const { chart, gw } = setup();
    const route = new HttpRoute(chart, 'route', {
      parentRefs: [gw],
      rules: [{ backendRefs: [{ service: 'a', port: 80 }] }],
    });
    route.addRule({
      retry: { codes: [500, 503], attempts: 3, backoff: '100ms' },
      timeouts: { backendRequest: '1s' },
      backendRefs: [{ service: 'a', port: 80 }],
    });
    const obj = Testing.synth(chart).find((o) => o.kind === 'HTTPRoute');
    expect(obj.spec.rules[0].retry).toBeUndefined();
    expect(obj.spec.rules[1].retry).toEqual({ codes: [500, 503], attempts: 3, backoff: '100ms' });
    expect(obj.spec.rules[1].timeouts).toEqual({ backendRequest: '1s' });
  });

  test('writes rules[].timeouts as given', () => {
    const { chart, gw } = setup();
    new HttpRoute(chart, 'route', {
      parentRefs: [gw],
      rules: [
        { timeouts: { request: '10s', backendRequest: '500ms' }, backendRefs: [{ service: 'a', port: 80 }] },
      ],
    });
    const obj = Testing.synth(chart).find((o) => o.kind === 'HTTPRoute');
    expect(obj.spec.rules[0].timeouts).toEqual({ request: '10s', backendRequest: '500ms' });
  });

  test('refuses a port the cdk8s-plus Service does not have, and a Service with several ports', () => {
    const { chart, gw } = setup();
    const svc = new plus.Service(chart, 'svc', { ports: [{ port: 80 }, { port: 443 }] });
    const route = new HttpRoute(chart, 'route', { parentRefs: [gw] });
    expect(() => route.addRule({ backendRefs: [{ service: svc }] })).toThrow(
      'has 2 ports (80, 443); choose one',
    );
    expect(() => route.addRule({ backendRefs: [{ service: svc, port: 8080 }] })).toThrow(
      '8080 is not a port of Service',
    );
  });

  test('refuses invalid hostnames', () => {
    const { chart } = setup();
    expect(() => new HttpRoute(chart, 'route', { hostnames: ['ok.example.com', 'bad..com'] })).toThrow(
      'HttpRoute "test/route": hostnames[1] must be a lower-case DNS name',
    );
  });

  test('refuses attachment to a TLS Passthrough listener at synth time', () => {
    const { chart, gw } = setup();
    new HttpRoute(chart, 'route', { parentRefs: [{ gateway: gw, sectionName: 'passthrough' }], rules: [{}] });
    expect(() => Testing.synth(chart)).toThrow(
      'HttpRoute: parentRefs[0]: a HTTPRoute cannot attach to listener passthrough (TLS Passthrough) of Gateway "my-gateway"',
    );
  });

  test('refuses a Gateway whose only listeners are TLS, and an unknown sectionName', () => {
    const chart = testChart();
    const gw = new Gateway(chart, 'gw', {
      listeners: [{ name: 'tls', protocol: 'TLS', tlsMode: 'Passthrough' }],
    });
    new HttpRoute(chart, 'a', { parentRefs: [gw] });
    new HttpRoute(chart, 'b', { parentRefs: [{ gateway: gw, sectionName: 'nope' }] });
    expect(() => Testing.synth(chart)).toThrow(
      /\[test\/a\] HttpRoute: parentRefs\[0\]: a HTTPRoute cannot attach/,
    );
    expect(() => Testing.synth(chart)).toThrow(
      /\[test\/b\] HttpRoute: parentRefs\[0\].sectionName "nope" is not a listener/,
    );
  });

  test('refuses a route with no parent at synth time', () => {
    const chart = testChart();
    new HttpRoute(chart, 'route');
    expect(() => Testing.synth(chart)).toThrow(
      'HttpRoute: parentRefs must not be empty; call attachTo(gateway)',
    );
  });
});
