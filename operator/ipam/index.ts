export * from './allocate.ts';
export { formatIp, parseCidr, parseIp } from './ip.ts';
export type { Addr, Family, Range } from './ip.ts';
