import { compareDomains, intersectHostnames, isValidHostname } from './hostnames.ts';

describe('intersectHostnames', () => {
  it.each([
    [undefined, [], ['*']],
    ['a.example.com', [], ['a.example.com']],
    [undefined, ['b.example.com', 'a.example.com'], ['a.example.com', 'b.example.com']],
    ['a.example.com', ['a.example.com', 'b.example.com'], ['a.example.com']],
    [
      '*.example.com',
      ['a.example.com', 'a.b.example.com', 'example.com', 'other.org'],
      ['a.b.example.com', 'a.example.com'],
    ],
    ['a.example.com', ['*.example.com'], ['a.example.com']],
    ['*.example.com', ['*.b.example.com'], ['*.b.example.com']],
    ['*.b.example.com', ['*.example.com'], ['*.b.example.com']],
    ['example.com', ['*.example.com'], []],
    ['bookinfo.cilium.rocks', ['hipstershop.cilium.rocks'], []],
  ] as const)('listener %s x route %j -> %j', (listener, route, want) => {
    expect(intersectHostnames(listener, route)).toEqual(want);
  });
});

describe('isValidHostname', () => {
  it.each([
    ['foo.example.com', true],
    ['*.example.com', true],
    ['*', false],
    ['', false],
    ['a..b', false],
    ['1.2.3.4', false],
    ['-a.com', false],
    ['a'.repeat(64) + '.com', false],
    ['foo.*.com', false],
  ])('%s -> %s', (h, ok) => expect(isValidHostname(h)).toBe(ok));
});

it('orders domains precise, then wildcards longest first, then *', () => {
  expect(['*', '*.example.com', 'b.com', '*.a.example.com', 'a.com'].sort(compareDomains)).toEqual([
    'a.com',
    'b.com',
    '*.a.example.com',
    '*.example.com',
    '*',
  ]);
});
