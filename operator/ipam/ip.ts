// IPv4/IPv6 addresses as bigints, so ranges of either family are plain integer intervals.

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

function parse4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return undefined;
    v = (v << 8n) | BigInt(p);
  }
  return v;
}

function parse6(s: string): bigint | undefined {
  if (s.includes('%')) return undefined;
  let head = s;
  let tail4: bigint | undefined;
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.')) {
    tail4 = parse4(s.slice(lastColon + 1));
    if (tail4 === undefined) return undefined;
    head = s.slice(0, lastColon + 1) + '0:0';
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string | undefined): string[] => (h ? h.split(':') : []);
  const left = groups(halves[0]);
  const right = groups(halves[1]);
  const missing = 8 - left.length - right.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...right];
  let v = 0n;
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  if (tail4 !== undefined) v = (v & ~0xffffffffn) | tail4;
  return v;
}

export function parseIp(s: unknown): Addr | undefined {
  if (typeof s !== 'string' || s.length > 45) return undefined;
  const v4 = parse4(s);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = s.includes(':') ? parse6(s) : undefined;
  return v6 === undefined ? undefined : { family: 6, value: v6 };
}

/** Canonical text (RFC 5952 for IPv6: lower case, longest zero run compressed). */
export function formatIp(a: Addr): string {
  if (a.family === 4) return [24n, 16n, 8n, 0n].map((s) => String((a.value >> s) & 0xffn)).join('.');
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((a.value >> BigInt(i * 16)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

const BITS = { 4: 32n, 6: 128n } as const;

/** A CIDR's address range; host bits must be zero. */
export function parseCidr(s: unknown): (Range & { prefix: number }) | undefined {
  if (typeof s !== 'string') return undefined;
  const [ip, len, extra] = s.split('/');
  if (extra !== undefined || len === undefined || !/^[0-9]{1,3}$/.test(len)) return undefined;
  const a = parseIp(ip);
  const prefix = Number(len);
  if (!a || prefix > Number(BITS[a.family])) return undefined;
  const hostBits = BITS[a.family] - BigInt(prefix);
  const mask = (1n << hostBits) - 1n;
  if ((a.value & mask) !== 0n) return undefined;
  return { family: a.family, first: a.value, last: a.value | mask, prefix };
}
