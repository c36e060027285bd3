import { readFileSync } from 'node:fs';
import { gateway } from '../../test-support/translate/fixtures.ts';
import { cond, parent, route, snap } from '../../test-support/translate/scenario-helpers.ts';
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
      'BackendTLSPolicy',
      'BackendTLSPolicySANValidation',
      'GRPCRoute',
      'GRPCRouteNamedRouteRule',
      'Gateway',
      'GatewayAddressEmpty',
      'GatewayBackendClientCertificate',
      'GatewayFrontendClientCertificateValidation',
      'GatewayFrontendClientCertificateValidationInsecureFallback',
      'GatewayHTTPListenerIsolation',
      'GatewayHTTPSListenerDetectMisdirectedRequests',
      'GatewayInfrastructure',
      'GatewayPort8080',
      'GatewayStaticAddresses',
      'HTTPRoute',
      'HTTPRoute303RedirectStatusCode',
      'HTTPRoute307RedirectStatusCode',
      'HTTPRoute308RedirectStatusCode',
      'HTTPRouteBackendProtocolH2C',
      'HTTPRouteBackendProtocolWebSocket',
      'HTTPRouteBackendRequestHeaderModification',
      'HTTPRouteBackendTimeout',
      'HTTPRouteCORS',
      'HTTPRouteDestinationPortMatching',
      'HTTPRouteHostRewrite',
      'HTTPRouteMethodMatching',
      'HTTPRouteNamedRouteRule',
      'HTTPRouteParentRefPort',
      'HTTPRoutePathRedirect',
      'HTTPRoutePathRewrite',
      'HTTPRoutePortRedirect',
      'HTTPRouteQueryParamMatching',
      'HTTPRouteRequestMirror',
      'HTTPRouteRequestMultipleMirrors',
      'HTTPRouteRequestPercentageMirror',
      'HTTPRouteRequestTimeout',
      'HTTPRouteResponseHeaderModification',
      'HTTPRouteRetry',
      'HTTPRouteRetryBackendTimeout',
      'HTTPRouteRetryConnectionError',
      'HTTPRouteSchemeRedirect',
      'ListenerSet',
      'ReferenceGrant',
      'TCPRoute',
      'TLSRoute',
      'TLSRouteModeMixed',
      'TLSRouteModeTerminate',
      'UDPRoute',
    ]);
    const s = translate(snap({})).gatewayClassStatuses[0]?.status.supportedFeatures;
    expect(s?.map((f) => f.name)).toEqual(SUPPORTED_FEATURES);
    const names = SUPPORT.map((x) => `${x.area}/${x.name}`);
    expect(new Set(names).size).toBe(names.length);
  });

  it('an unsupported redirect status says which are supported', () => {
    expect(message([{ type: 'RequestRedirect', requestRedirect: { statusCode: 304 } }])).toBe(
      'redirect status 304 is not supported; supported: 301, 302, 303, 307, 308',
    );
  });

  it('an unsupported filter says which are supported', () => {
    expect(
      message([{ type: 'ExtensionRef', extensionRef: { group: 'example.com', kind: 'Foo', name: 'x' } }]),
    ).toBe(
      'filter type ExtensionRef is not supported; supported: RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect, URLRewrite, RequestMirror, CORS',
    );
  });
});
