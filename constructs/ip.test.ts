import { formatIp, parseCidr, parseIp } from './ip.ts';

describe('ip parsing', () => {
  test.each([
    ['10.0.0.1', 4, 0x0a000001n],
    ['255.255.255.255', 4, 0xffffffffn],
    ['::1', 6, 1n],
    ['fd00::', 6, 0xfd00n << 112n],
    ['1:2:3:4:5:6:7:8', 6, 0x00010002000300040005000600070008n],
    ['::ffff:10.0.0.1', 6, 0xffff0a000001n],
  ])('%s', (text, family, value) => {
    expect(parseIp(text)).toEqual({ family, value });
  });

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

  // What Kubernetes refuses too: short, octal, hex and zoned forms, and the deprecated ::a.b.c.d.
  test.each([
    ...['256.0.0.1', '10.0.0', '1.2.3', '01.2.3.4', '010.0.0.1', '0x7f.0.0.1', '127.1', '1.2.3.4 ', ''],
    ...[
      '1::2::3',
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:8:9',
      ':::',
      'fe80::1%eth0',
      '::1.2.3.4',
      'x',
      '1.2.3.4/32',
    ],
  ])('rejects %j', (text) => {
    expect(parseIp(text)).toBeUndefined();
  });

  test('cidr bounds', () => {
    expect(parseCidr('127.0.200.0/24')).toEqual({
      family: 4,
      first: 0x7f00c800n,
      last: 0x7f00c8ffn,
      prefix: 24,
    });
    expect(parseCidr('10.0.0.0/30')).toEqual({
      family: 4,
      first: 0x0a000000n,
      last: 0x0a000003n,
      prefix: 30,
    });
    expect(parseCidr('fd00::/127')?.last).toBe((0xfd00n << 112n) + 1n);
    expect(parseCidr('fd00::/126')?.last).toBe(0xfd000000000000000000000000000003n);
    expect(parseCidr('::/0')).toEqual({ family: 6, first: 0n, last: (1n << 128n) - 1n, prefix: 0 });
  });

  test.each([
    '10.0.0.1/24',
    '10.0.0.1/30',
    '10.0.0.0/33',
    'fd00::/129',
    '10.0.0.0',
    '10.0.0.0/',
    '10.0.0.0/24/1',
    '010.0.0.0/8',
  ])('rejects the CIDR %j', (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });
});
