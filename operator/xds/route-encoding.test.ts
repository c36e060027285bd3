// A RouteConfiguration is encoded from cached per-route bytes, and a listener's virtual hosts are
// digested from per-route digests. Property tests over random IR routes: the composed bytes decode
// to what protobufjs's encoding of the whole message decodes to, and the digest changes exactly
// when the hosts' content does.
import fc from 'fast-check';
import { decodeMessage, encodeMessage, encodeRouteConfiguration, pack } from '../envoy/codec.ts';
import type { RouteConfiguration } from '../envoy/generated/envoy/config/route/v3/RouteConfiguration.ts';
import type { HeaderModifier, HttpListener, Route, VirtualHost } from '../ir/index.ts';
import { seedLab } from '../../test-support/translate/fixtures.ts';
import { translate } from '../translate/translate.ts';
import type { Snapshot } from '../translate/types.ts';
import { hostsDigest } from './digest.ts';
import { routeConfiguration } from './routes.ts';

const NAME = 'envoy.config.route.v3.RouteConfiguration';

const word = fc.constantFrom('a', 'b', 'x-env', 'prod', '/api', '/', '^/v[0-9]+$', 'ünï', '');
const headers = fc.array(fc.record({ name: word, value: word }), { maxLength: 2 });
const modifier: fc.Arbitrary<HeaderModifier> = fc.record({
  set: headers,
  add: headers,
  remove: fc.array(word, { maxLength: 2 }),
});
const cluster = fc.constantFrom('ns/a/80', 'ns/b/8080', 'other/c/443');
const rewrite = fc.oneof(
  fc.record({ type: fc.constant('ReplaceFullPath' as const), value: word }),
  fc.record({ type: fc.constant('ReplacePrefixMatch' as const), value: word }),
);
const route: fc.Arbitrary<Route> = fc.record(
  {
    name: fc.string({ maxLength: 12 }),
    match: fc.record(
      {
        path: fc.record({ type: fc.constantFrom('Exact', 'PathPrefix', 'RegularExpression'), value: word }),
        headers: fc.array(
          fc.record({ type: fc.constantFrom('Exact', 'RegularExpression'), name: word, value: word }),
          {
            maxLength: 2,
          },
        ),
        queryParams: fc.array(
          fc.record({ type: fc.constantFrom('Exact', 'RegularExpression'), name: word, value: word }),
          { maxLength: 2 },
        ),
        method: fc.constantFrom('GET', 'POST'),
      },
      { requiredKeys: ['path', 'headers', 'queryParams'] },
    ),
    action: fc.oneof(
      fc.record({
        type: fc.constant('Forward' as const),
        backends: fc.array(
          fc.record(
            {
              cluster,
              weight: fc.integer({ min: 1, max: 100 }),
              requestHeaders: modifier,
              responseHeaders: modifier,
            },
            { requiredKeys: ['cluster', 'weight'] },
          ),
          { maxLength: 3 },
        ),
      }),
      fc.record({ type: fc.constant('DirectResponse' as const), status: fc.constantFrom(500, 404, 421) }),
      fc.record(
        {
          type: fc.constant('Redirect' as const),
          scheme: fc.constantFrom('http' as const, 'https' as const),
          hostname: word,
          port: fc.integer({ min: 1, max: 65535 }),
          path: rewrite,
          statusCode: fc.constantFrom(301, 302, 303, 307, 308),
        },
        { requiredKeys: ['type', 'statusCode'] },
      ),
    ),
    requestHeaders: modifier,
    responseHeaders: modifier,
    urlRewrite: fc.record({ hostname: word, path: rewrite }, { requiredKeys: [] }),
    timeoutMs: fc.integer({ min: 1, max: 100000 }),
    mirrors: fc.array(fc.record({ cluster, perMillion: fc.integer({ min: 1, max: 1000000 }) }), {
      maxLength: 2,
    }),
    retry: fc.record(
      {
        statusCodes: fc.array(fc.integer({ min: 500, max: 504 }), { maxLength: 2 }),
        attempts: fc.integer({ min: 1, max: 5 }),
        backoffMs: fc.integer({ min: 1, max: 1000 }),
        perTryTimeoutMs: fc.integer({ min: 1, max: 1000 }),
      },
      { requiredKeys: ['statusCodes', 'attempts'] },
    ),
    cors: fc.record({
      allowOrigins: fc.array(fc.constantFrom('*', 'https://a.example', 'http://*.b.example:8080'), {
        maxLength: 2,
      }),
      allowMethods: fc.array(fc.constantFrom('GET', '*'), { maxLength: 2 }),
      allowHeaders: fc.array(word, { maxLength: 2 }),
      exposeHeaders: fc.array(word, { maxLength: 2 }),
      allowCredentials: fc.boolean(),
      maxAge: fc.integer({ min: 0, max: 86400 }),
    }),
  },
  { requiredKeys: ['name', 'match', 'action'] },
);
const hosts: fc.Arbitrary<VirtualHost[]> = fc.array(
  fc.record({
    name: fc.constantFrom('*', 'a.example', '*.b.example'),
    domains: fc.array(fc.constantFrom('*', 'a.example', '*.b.example'), { minLength: 1, maxLength: 2 }),
    routes: fc.array(route, { maxLength: 6 }),
  }),
  { maxLength: 3 },
);
const listener = (virtualHosts: readonly VirtualHost[], port: number): HttpListener => ({
  name: `ns/gw/127.0.0.1/${port}`,
  gateway: { namespace: 'ns', name: 'gw' },
  address: '127.0.0.1',
  port,
  protocol: 'HTTP',
  virtualHosts,
});
const port = fc.constantFrom(80, 8080);

function checkEncoding(rc: RouteConfiguration): void {
  const composed = encodeRouteConfiguration(rc);
  expect(decodeMessage(NAME, composed)).toEqual(decodeMessage(NAME, encodeMessage(NAME, rc)));
  // The same objects again come from the caches: byte for byte what was sent before.
  expect(Buffer.from(encodeRouteConfiguration(rc)).equals(Buffer.from(composed))).toBe(true);
  // Snapshots pack through the composed encoding.
  expect(pack(NAME, rc).value.equals(Buffer.from(composed))).toBe(true);
}

it('composed RouteConfiguration bytes decode like the whole message, for the seed lab', () => {
  const configs = translate(seedLab() as Snapshot).ir.httpListeners.flatMap((l) =>
    l.chains ? l.chains.map((c) => routeConfiguration(l, c)) : [routeConfiguration(l)],
  );
  expect(configs.flatMap((c) => c.virtual_hosts!.flatMap((vh) => vh.routes)).length).toBeGreaterThan(5);
  for (const rc of configs) checkEncoding(rc);
});

it('composed RouteConfiguration bytes decode like the whole message, for random routes', () => {
  fc.assert(
    fc.property(hosts, port, (vhs, p) => {
      const rc = routeConfiguration(listener(vhs, p));
      checkEncoding(rc);
      // New objects of equal content (a route re-modeled unchanged) encode to the same bytes.
      const fresh = routeConfiguration(listener(structuredClone(vhs), p));
      expect(
        Buffer.from(encodeRouteConfiguration(fresh)).equals(Buffer.from(encodeRouteConfiguration(rc))),
      ).toBe(true);
    }),
    { numRuns: 1000 },
  );
});

it('an edited route changes the bytes; the cache holds per route object and listener port', () => {
  fc.assert(
    fc.property(
      hosts.filter((h) => h.some((vh) => vh.routes.length > 0)),
      (vhs) => {
        const before = encodeRouteConfiguration(routeConfiguration(listener(vhs, 8080)));
        const i = vhs.findIndex((vh) => vh.routes.length > 0);
        const edited = vhs.map((vh, k) =>
          k === i
            ? { ...vh, routes: [...vh.routes.slice(1), { ...vh.routes[0]!, name: `${vh.routes[0]!.name}!` }] }
            : vh,
        );
        const rc = routeConfiguration(listener(edited, 8080));
        checkEncoding(rc);
        expect(Buffer.from(encodeRouteConfiguration(rc)).equals(Buffer.from(before))).toBe(false);
        // A redirect without scheme or port keeps the listener's: the same route objects on port 80.
        const on80 = routeConfiguration(listener(vhs, 80));
        expect(on80).toEqual(routeConfiguration(listener(structuredClone(vhs), 80)));
        checkEncoding(on80);
      },
    ),
    { numRuns: 300 },
  );
});

it('a route on an HTTP and an HTTPS listener keeps one Envoy form unless it redirects', () => {
  fc.assert(
    fc.property(route, (r) => {
      const one = (port: number, protocol: 'HTTP' | 'HTTPS') =>
        routeConfiguration({ ...listener([{ name: '*', domains: ['*'], routes: [r] }], port), protocol })
          .virtual_hosts![0]!.routes!;
      const first = one(80, 'HTTP');
      const https = one(8443, 'HTTPS');
      const again = one(80, 'HTTP');
      expect(again).toEqual(first);
      if (r.action.type === 'Redirect') return;
      again.forEach((x, i) => expect(x).toBe(first[i]));
      https.forEach((x, i) => expect(x).toBe(first[i]));
    }),
    { numRuns: 500 },
  );
});

it('hostsDigest is equal exactly when the virtual hosts are equal', () => {
  fc.assert(
    fc.property(hosts, hosts, (a, b) => {
      expect(hostsDigest(structuredClone(a))).toBe(hostsDigest(a));
      expect(hostsDigest(a) === hostsDigest(b)).toBe(JSON.stringify(a) === JSON.stringify(b));
      if (a.length === 0) return;
      const [first, ...rest] = a;
      const other = (vh: VirtualHost) => hostsDigest([vh, ...rest]);
      expect(other({ ...first!, domains: [...first!.domains, 'c.example'] })).not.toBe(hostsDigest(a));
      expect(other({ ...first!, name: `${first!.name}.` })).not.toBe(hostsDigest(a));
      const r = first!.routes[0];
      if (r)
        expect(
          other({
            ...first!,
            routes: [{ ...r, timeoutMs: (r.timeoutMs ?? 0) + 1 }, ...first!.routes.slice(1)],
          }),
        ).not.toBe(hostsDigest(a));
    }),
    { numRuns: 1000 },
  );
});
