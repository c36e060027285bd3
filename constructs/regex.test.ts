import { re2Error } from './regex.ts';

test.each(['/items/[0-9]+', '(?i)/abc', '\\d+', '(?P<id>[a-z]+)', '[[:alpha:]]+'])('RE2 accepts %s', (p) => {
  expect(re2Error(p)).toBeUndefined();
});

test.each([
  ['/a(?=b)', 'invalid perl operator: (?='],
  ['/a(?!b)', 'invalid perl operator: (?!'],
  ['(a)\\1', 'invalid escape sequence: \\1'],
  ['[', 'missing ]: ['],
])('RE2 refuses %s', (p, why) => {
  expect(re2Error(p)).toBe(why);
});
