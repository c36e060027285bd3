// The one IP parser of Portico, shared by the constructs' validation and the operator's IPAM, on
// ipaddr.js. Addresses are bigints, so ranges of either family are plain integer intervals.
import ipaddr from 'ipaddr.js';

export type Family = 4 | 6;

export interface Addr {
  readonly family: Family;
  readonly value: bigint;
}

export interface Range {
  readonly family: Family;
  readonly first: bigint;
  readonly last: bigint;
}

const BITS = { 4: 32, 6: 128 } as const;

// ipaddr.parse also takes what inet_aton takes (0x7f.1, octal 010.0.0.1), zone ids (fe80::1%eth0)
// and reads the deprecated ::a.b.c.d as ::ffff:a.b.c.d; Kubernetes takes none of them.
const deprecatedCompatible = /^::\d+\.\d+\.\d+\.\d+$/;

function parsed(s: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(s)) return ipaddr.IPv4.parse(s);
  if (s.includes('%') || deprecatedCompatible.test(s) || !ipaddr.IPv6.isValid(s)) return undefined;
  return ipaddr.IPv6.parse(s);
}

export function parseIp(s: unknown): Addr | undefined {
  if (typeof s !== 'string') return undefined;
  const a = parsed(s);
  if (!a) return undefined;
  const value = a.toByteArray().reduce((v, b) => (v << 8n) | BigInt(b), 0n);
  return { family: a.kind() === 'ipv4' ? 4 : 6, value };
}

/** Canonical text (RFC 5952 for IPv6: lower case, longest zero run compressed). */
export function formatIp(a: Addr): string {
  const bytes: number[] = [];
  for (let i = BITS[a.family] / 8 - 1; i >= 0; i--) bytes.push(Number((a.value >> BigInt(i * 8)) & 0xffn));
  const ip = ipaddr.fromByteArray(bytes);
  return ip.kind() === 'ipv6' ? (ip as ipaddr.IPv6).toRFC5952String() : ip.toString();
}

/** A CIDR's address range; host bits must be zero. */
export function parseCidr(s: unknown): (Range & { prefix: number }) | undefined {
  if (typeof s !== 'string') return undefined;
  const [ip, len, extra] = s.split('/');
  if (extra !== undefined || len === undefined || !/^[0-9]{1,3}$/.test(len)) return undefined;
  const a = parseIp(ip);
  const prefix = Number(len);
  if (!a || prefix > BITS[a.family]) return undefined;
  const mask = (1n << BigInt(BITS[a.family] - prefix)) - 1n;
  if ((a.value & mask) !== 0n) return undefined;
  return { family: a.family, first: a.value, last: a.value | mask, prefix };
}
