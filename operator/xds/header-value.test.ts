import type { Route } from '../ir/index.ts';
import { withCors } from './cors.ts';
import { literalHeaderValue } from './header-value.ts';
import { envoyRoute } from './routes.ts';

const route: Route = {
  name: 'ns/r/rule/0/match/0',
  match: { path: { type: 'PathPrefix', value: '/' }, headers: [], queryParams: [] },
  action: { type: 'Forward', backends: [{ cluster: 'ns/a/80', weight: 1 }] },
  requestHeaders: { set: [{ name: 'x-share', value: '100%' }], add: [], remove: [] },
  responseHeaders: { set: [], add: [{ name: 'x-raw', value: '%REQ(host)%' }], remove: [] },
};

describe('header values are literals, not Envoy format strings', () => {
  it('doubles every %', () => {
    expect(literalHeaderValue('50% off, %START_TIME%')).toBe('50%% off, %%START_TIME%%');
    expect(literalHeaderValue('plain')).toBe('plain');
  });

  it('on header modifiers of a rule and of a backend', () => {
    const out = envoyRoute(route);
    expect(out.request_headers_to_add?.[0]?.header?.value).toBe('100%%');
    expect(out.response_headers_to_add?.[0]?.header?.value).toBe('%%REQ(host)%%');
    const perBackend = envoyRoute({
      ...route,
      action: {
        type: 'Forward',
        backends: [{ cluster: 'ns/a/80', weight: 1, requestHeaders: route.requestHeaders }],
      },
    });
    expect(
      perBackend.route?.weighted_clusters?.clusters?.[0]?.request_headers_to_add?.[0]?.header?.value,
    ).toBe('100%%');
  });

  it('on CORS lists, while the echo of `*` stays a formatter', () => {
    const [preflight] = withCors(envoyRoute(route), {
      allowOrigins: ['https://a.example'],
      allowMethods: ['*'],
      allowHeaders: ['x-100%'],
      exposeHeaders: ['x-%s'],
      allowCredentials: false,
      maxAge: 5,
    });
    const value = (name: string) =>
      preflight?.response_headers_to_add?.find((h) => h.header?.key === name)?.header?.value;
    expect(value('access-control-allow-headers')).toBe('x-100%%');
    expect(value('access-control-expose-headers')).toBe('x-%%s');
    expect(value('access-control-allow-methods')).toBe('%REQ(access-control-request-method)%');
    expect(value('access-control-allow-origin')).toBe('%REQ(origin)%');
  });
});
