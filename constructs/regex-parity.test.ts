// The constructs and the operator accept exactly the same regular expressions: a route that
// synthesizes is never refused by the operator for its regex, and the other way round.
import { Testing } from 'cdk8s';
import { myGateway } from '../test-support/translate/fixtures.ts';
import { cond, parent, route, snap } from '../test-support/translate/scenario-helpers.ts';
import { translate } from '../operator/translate/translate.ts';
import { Gateway } from './gateway.ts';
import { HttpRoute } from './http-route.ts';
import { testChart } from '../test-support/cdk8s.ts';

type Where = 'path' | 'header' | 'query';

const match = (where: Where, value: string) =>
  where === 'path'
    ? { path: { type: 'RegularExpression' as const, value } }
    : {
        [where === 'header' ? 'headers' : 'queryParams']: [
          { type: 'RegularExpression' as const, name: 'x', value },
        ],
      };

function constructAccepts(where: Where, pattern: string): boolean {
  const chart = testChart();
  const gw = new Gateway(chart, 'gw', {
    metadata: { name: 'my-gateway' },
    listeners: [{ name: 'web', protocol: 'HTTP' }],
  });
  try {
    new HttpRoute(chart, 'r', {
      parentRefs: [gw],
      rules: [{ matches: [match(where, pattern)], backendRefs: [{ service: 'web', port: 80 }] }],
    });
    Testing.synth(chart);
    return true;
  } catch (e) {
    expect((e as Error).message).toContain('is not a valid RE2 regular expression');
    return false;
  }
}

function operatorAccepts(where: Where, pattern: string): boolean {
  const r = route('r', {
    rules: [{ matches: [match(where, pattern)], backendRefs: [{ name: 'web', port: 80 }] }],
  });
  const accepted = cond(
    parent(translate(snap({ gateways: [myGateway()], httpRoutes: [r] })), 'r'),
    'Accepted',
  );
  expect(['True/Accepted', 'False/UnsupportedValue']).toContain(accepted);
  return accepted === 'True/Accepted';
}

const both = [
  '/items/[0-9]+',
  '(?i)/abc',
  '(?P<id>[a-z]+)',
  '[[:alpha:]]+',
  '\\d+',
  '^/v[12]/.*$',
  '\\pL+',
  '(?s).',
  'a{2,5}',
  '(?:a|b)*?',
];
const neither = [
  '/a(?=b)',
  '/a(?!b)',
  '(?<=a)b',
  '(?<!a)b',
  '(a)\\1',
  '[',
  '/(a',
  '*',
  'a{2,1}',
  '\\8',
  'a**',
];

describe.each<Where>(['path', 'header', 'query'])('a %s regex', (where) => {
  test.each(both)('both accept %j', (p) => {
    expect([constructAccepts(where, p), operatorAccepts(where, p)]).toEqual([true, true]);
  });
  test.each(neither)('both refuse %j', (p) => {
    expect([constructAccepts(where, p), operatorAccepts(where, p)]).toEqual([false, false]);
  });
});
