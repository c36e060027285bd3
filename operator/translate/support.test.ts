import { readFileSync } from 'node:fs';
import { gateway } from './fixtures.ts';
import { cond, parent, route, snap } from './scenario-helpers.ts';
import { SUPPORT, SUPPORTED_FEATURES, supportMarkdown } from './support.ts';
import { translate } from './translate.ts';

const message = (filters: unknown[]) => {
  const r = translate(
    snap({
      gateways: [gateway('my-gateway', [{ name: 'web', protocol: 'HTTP', port: 80 }])],
      httpRoutes: [route('r', { rules: [{ filters: filters as never }] })],
    }),
  );
  expect(cond(parent(r, 'r'), 'Accepted')).toBe('False/UnsupportedValue');
  return parent(r, 'r')?.find((c) => c.type === 'Accepted')?.message;
};

describe('what Portico supports', () => {
  it('docs/support.md is the generated table (run `npm run docs:support` after changing support.ts)', () => {
    expect(readFileSync(new URL('../../docs/support.md', import.meta.url), 'utf8')).toBe(supportMarkdown());
  });

  it('the GatewayClass claims exactly the supported features of the table', () => {
    expect(SUPPORTED_FEATURES).toEqual([
      'GRPCRoute',
      'GRPCRouteNamedRouteRule',
      'Gateway',
      'GatewayAddressEmpty',
      'GatewayPort8080',
      'HTTPRoute',
      'HTTPRouteDestinationPortMatching',
      'HTTPRouteHostRewrite',
      'HTTPRouteMethodMatching',
      'HTTPRouteNamedRouteRule',
      'HTTPRouteParentRefPort',
      'HTTPRoutePathRedirect',
      'HTTPRoutePathRewrite',
      'HTTPRoutePortRedirect',
      'HTTPRouteQueryParamMatching',
      'HTTPRouteResponseHeaderModification',
      'HTTPRouteSchemeRedirect',
      'ReferenceGrant',
      'TCPRoute',
      'TLSRoute',
      'UDPRoute',
    ]);
    const s = translate(snap({})).gatewayClassStatuses[0]?.status.supportedFeatures;
    expect(s?.map((f) => f.name)).toEqual(SUPPORTED_FEATURES);
    const names = SUPPORT.map((x) => `${x.area}/${x.name}`);
    expect(new Set(names).size).toBe(names.length);
  });

  it('an unsupported redirect status says which are supported', () => {
    expect(message([{ type: 'RequestRedirect', requestRedirect: { statusCode: 303 } }])).toBe(
      'redirect status 303 is not supported; supported: 301, 302',
    );
  });

  it('an unsupported filter says which are supported', () => {
    expect(
      message([{ type: 'RequestMirror', requestMirror: { backendRef: { name: 'web', port: 80 } } }]),
    ).toBe(
      'filter type RequestMirror is not supported; supported: RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect, URLRewrite',
    );
  });
});
