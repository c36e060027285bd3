import { formatIp, parseCidr, parseIp } from './ip.ts';

it.each([
  ['10.0.0.1', '10.0.0.1'],
  ['127.0.200.0', '127.0.200.0'],
  ['::1', '::1'],
  ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
  ['fd00:0:0:1::', 'fd00:0:0:1::'],
  ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
  ['::ffff:10.0.0.1', '::ffff:a00:1'],
])('%s formats as %s', (s, want) => {
  const a = parseIp(s);
  expect(a && formatIp(a)).toBe(want);
});

it.each(['', '1.2.3', '256.1.1.1', '01.1.1.1', '1::2::3', 'x', '1.2.3.4/32', ':::', '1:2:3:4:5:6:7:8:9'])(
  '%s is not an IP',
  (s) => expect(parseIp(s)).toBeUndefined(),
);

it('parses CIDRs and refuses host bits', () => {
  expect(parseCidr('10.0.0.0/30')).toEqual({ family: 4, first: 0x0a000000n, last: 0x0a000003n, prefix: 30 });
  expect(parseCidr('fd00::/126')?.last).toBe(0xfd000000000000000000000000000003n);
  expect(parseCidr('10.0.0.1/30')).toBeUndefined();
  expect(parseCidr('10.0.0.0/33')).toBeUndefined();
  expect(parseCidr('10.0.0.0')).toBeUndefined();
});
