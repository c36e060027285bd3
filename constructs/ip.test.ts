import { parseCidr, parseIp } from './ip.ts';

describe('ip parsing', () => {
  test.each([
    ['10.0.0.1', 4, 0x0a000001n],
    ['255.255.255.255', 4, 0xffffffffn],
    ['::1', 6, 1n],
    ['fd00::', 6, 0xfd00n << 112n],
    ['1:2:3:4:5:6:7:8', 6, 0x00010002000300040005000600070008n],
  ])('%s', (text, family, value) => {
    expect(parseIp(text)).toEqual({ family, value });
  });

  test.each(['256.0.0.1', '10.0.0', '01.2.3.4', '1::2::3', '1:2:3:4:5:6:7', 'x', ''])(
    'rejects %s',
    (text) => {
      expect(parseIp(text)).toBeUndefined();
    },
  );

  test('cidr bounds', () => {
    expect(parseCidr('127.0.200.0/24')).toEqual({ family: 4, first: 0x7f00c800n, last: 0x7f00c8ffn });
    expect(parseCidr('fd00::/127')?.last).toBe((0xfd00n << 112n) + 1n);
    expect(parseCidr('10.0.0.1/24')).toBeUndefined();
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
  });
});
