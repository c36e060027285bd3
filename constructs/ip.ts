/** A parsed IP address: family and value as a bigint, for range arithmetic. */
export interface ParsedIp {
  readonly family: 4 | 6;
  readonly value: bigint;
}

export function parseIp(text: string): ParsedIp | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const parts = v4.slice(1).map((p) => (/^(0|[1-9]\d*)$/.test(p) ? Number(p) : 256));
    if (parts.some((p) => p > 255)) return undefined;
    return { family: 4, value: parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n) };
  }
  if (!text.includes(':') || !/^[0-9a-fA-F:]+$/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 1)) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return { family: 6, value: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n) };
}

/** First and last address of a block, or undefined if the text is not a CIDR with its host bits zero. */
export function parseCidr(text: string): { family: 4 | 6; first: bigint; last: bigint } | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const ip = parseIp(m[1] as string);
  const bits = ip?.family === 4 ? 32 : 128;
  const len = Number(m[2]);
  if (!ip || len > bits) return undefined;
  const size = 1n << BigInt(bits - len);
  if (ip.value % size !== 0n) return undefined;
  return { family: ip.family, first: ip.value, last: ip.value + size - 1n };
}
