// Listener isolation: each request is served only by the most specific listener of its port.
import type { Gateway } from '../api/index.ts';
import type { HttpListener } from '../ir/types.ts';
import { gateway, tlsSecret } from '../../test-support/translate/fixtures.ts';
import { route, snap } from '../../test-support/translate/scenario-helpers.ts';
import { translate } from './translate.ts';

const listeners = (protocol: 'HTTP' | 'HTTPS'): Gateway['spec']['listeners'] =>
  (
    [
      ['empty', undefined],
      ['wild', '*.example.com'],
      ['wild-foo', '*.foo.example.com'],
      ['abc', 'abc.foo.example.com'],
    ] as const
  ).map(([name, hostname]) => ({
    name,
    protocol,
    port: protocol === 'HTTP' ? 80 : 443,
    ...(hostname ? { hostname } : {}),
    ...(protocol === 'HTTPS' ? { tls: { certificateRefs: [{ name: 'cert' }] } } : {}),
  }));

/** Every route names all four hostnames (as the conformance test's second Gateway does). */
const routes = ['empty', 'wild', 'wild-foo', 'abc'].map((l) =>
  route(`to-${l}`, {
    parentRefs: [{ name: 'my-gateway', namespace: 'default', sectionName: l }],
    hostnames: ['bar.com', '*.example.com', '*.foo.example.com', 'abc.foo.example.com'],
  }),
);

const table = (vhosts: HttpListener['virtualHosts']) =>
  vhosts.map((v) => [v.name, v.routes.map((r) => r.name.split('/')[1])]);

it('a domain is served only by the listener that owns it, and every listener has a host', () => {
  const r = translate(snap({ gateways: [gateway('my-gateway', listeners('HTTP'))], httpRoutes: routes }));
  expect(table(r.ir.httpListeners[0]?.virtualHosts ?? [])).toEqual([
    ['abc.foo.example.com', ['to-abc']],
    ['bar.com', ['to-empty']],
    ['*.foo.example.com', ['to-wild-foo']],
    ['*.example.com', ['to-wild']],
    ['*', []],
  ]);
});

it('a single listener keeps every domain of its routes', () => {
  const g = gateway('my-gateway', [{ name: 'empty', protocol: 'HTTP', port: 80 }]);
  const r = translate(snap({ gateways: [g], httpRoutes: [routes[0]!] }));
  expect(r.ir.httpListeners[0]?.virtualHosts.map((v) => v.name)).toEqual([
    'abc.foo.example.com',
    'bar.com',
    '*.foo.example.com',
    '*.example.com',
  ]);
});

it('HTTPS: one chain per listener by SNI; the other listeners hostnames answer 421', () => {
  const r = translate(
    snap({
      gateways: [gateway('my-gateway', listeners('HTTPS'))],
      httpRoutes: routes,
      secrets: [tlsSecret('cert')],
    }),
  );
  const l = r.ir.httpListeners[0];
  expect(l?.chains?.map((c) => [c.name, c.sniHostnames, c.certificates])).toEqual([
    ['abc', ['abc.foo.example.com'], ['default/cert']],
    ['empty', [], ['default/cert']],
    ['wild', ['*.example.com'], ['default/cert']],
    ['wild-foo', ['*.foo.example.com'], ['default/cert']],
  ]);
  const wild = l?.chains?.find((c) => c.name === 'wild');
  expect(
    wild?.virtualHosts.map((v) => [
      v.name,
      v.routes.map((x) => (x.action.type === 'DirectResponse' ? x.action.status : x.name)),
    ]),
  ).toEqual([
    ['abc.foo.example.com', [421]],
    ['*.foo.example.com', [421]],
    ['*.example.com', ['default/to-wild/rule/0/match/0']],
    ['*', [421]],
  ]);
  // The listener's own virtual hosts are still the union, as for HTTP.
  expect(table(l?.virtualHosts ?? []).map((x) => x[0])).toEqual([
    'abc.foo.example.com',
    'bar.com',
    '*.foo.example.com',
    '*.example.com',
    '*',
  ]);
});
