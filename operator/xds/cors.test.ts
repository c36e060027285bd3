import type { CorsPolicy } from '../ir/index.ts';
import { originRegex, withCors } from './cors.ts';

const policy: CorsPolicy = {
  allowOrigins: ['https://www.foo.com', 'https://*.bar.com'],
  allowMethods: ['GET', 'OPTIONS'],
  allowHeaders: ['*'],
  exposeHeaders: ['x-header-3'],
  allowCredentials: true,
  maxAge: 3600,
};
const plain = {
  name: 'ns/r/rule/0/match/0',
  match: { prefix: '/', headers: [{ name: ':method', string_match: { exact: 'GET' } }] },
  route: { cluster: 'ns/a/80' },
};
const headers = (r: { response_headers_to_add?: { header?: { key?: string; value?: string } | null }[] }) =>
  Object.fromEntries((r.response_headers_to_add ?? []).map((h) => [h.header?.key, h.header?.value]));

it('matches exact origins, wildcard hosts of any depth, or any origin', () => {
  const re = new RegExp(`^${originRegex(policy.allowOrigins)}$`);
  expect(
    ['https://www.foo.com', 'https://www.bar.com', 'https://xpto.www.bar.com'].every((o) => re.test(o)),
  ).toBe(true);
  expect(['https://foobar.com', 'https://bar.com', 'http://www.foo.com'].some((o) => re.test(o))).toBe(false);
  expect(originRegex(['https://a.com', '*'])).toBe('.*');
});

it('answers preflights (CORS headers only for allowed origins), adds headers for their requests, leaves others alone', () => {
  const [preflight, refused, allowed, rest] = withCors(plain, policy);
  expect(refused?.direct_response).toEqual({ status: 204 });
  expect(refused?.response_headers_to_add).toBeUndefined();
  expect(refused?.match?.headers?.map((h) => h.name)).toEqual([
    'origin',
    ':method',
    'access-control-request-method',
  ]);
  expect(preflight?.match?.headers?.map((h) => h.name)).toEqual([
    'origin',
    ':method',
    'access-control-request-method',
  ]);
  expect(preflight?.direct_response).toEqual({ status: 200 });
  expect(headers(preflight!)).toEqual({
    'access-control-allow-origin': '%REQ(origin)%',
    'access-control-allow-credentials': 'true',
    'access-control-expose-headers': 'x-header-3',
    'access-control-allow-methods': 'GET, OPTIONS',
    'access-control-allow-headers': '%REQ(access-control-request-headers)%',
    'access-control-max-age': '3600',
  });
  expect(allowed?.route).toEqual(plain.route);
  expect(allowed?.match?.headers?.map((h) => h.name)).toEqual([':method', 'origin']);
  expect(headers(allowed!)).toEqual({
    'access-control-allow-origin': '%REQ(origin)%',
    'access-control-allow-credentials': 'true',
    'access-control-expose-headers': 'x-header-3',
  });
  expect(rest).toBe(plain);
});

it('no credentials header unless allowed; no allowed origin, no CORS routes', () => {
  const [preflight] = withCors(plain, { ...policy, allowCredentials: false, allowMethods: ['*'] });
  expect(headers(preflight!)).not.toHaveProperty('access-control-allow-credentials');
  expect(headers(preflight!)['access-control-allow-methods']).toBe('%REQ(access-control-request-method)%');
  expect(withCors(plain, { ...policy, allowOrigins: [] })).toEqual([plain]);
});
