import { durationMs as parseDuration } from './duration.ts';

it('parses Gateway API durations to milliseconds', () => {
  expect(parseDuration('500ms')).toBe(500);
  expect(parseDuration('0s')).toBe(0);
  expect(parseDuration('1h30m')).toBe(5_400_000);
  expect(parseDuration('1m1s1ms')).toBe(61_001);
});

it('refuses what the spec does not allow', () => {
  for (const bad of ['', '1', '1.5s', '-1s', '1d', '1s ', '123456s', '1h1h1h1h1h'])
    expect(parseDuration(bad)).toBeUndefined();
});
