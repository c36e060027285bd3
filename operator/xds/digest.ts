// Content digests of IR parts, cached by identity. The translator hands back the very same arrays
// while a Gateway's routes are unchanged, so a push at 10,000 routes serializes only what changed,
// and memo keys stay a few bytes instead of the whole route table.
import crypto from 'node:crypto';
import type { HttpListener, L4Listener, TlsPassthroughListener, VirtualHost } from '../ir/types.ts';

const digests = new WeakMap<object, string>();

/** Digest of `JSON.stringify(value)`; computed once per object, which must not be mutated. */
export function digest(value: object): string {
  let d = digests.get(value);
  if (d === undefined) {
    d = hash(JSON.stringify(value));
    digests.set(value, d);
  }
  return d;
}

const hostsDigests = new WeakMap<object, string>();

/**
 * Digest of a listener's virtual hosts from their routes' digests: a change to one route of 1,000
 * serializes that route, not the whole table. Cached per array, like `digest`.
 */
export function hostsDigest(hosts: readonly VirtualHost[]): string {
  let d = hostsDigests.get(hosts);
  if (d === undefined) {
    const parts = hosts.map(
      (h) => `${JSON.stringify([h.name, h.domains])}\0${h.routes.map(digest).join(',')}`,
    );
    d = hash(parts.join('\0\0'));
    hostsDigests.set(hosts, d);
  }
  return d;
}

const listenerDigests = new WeakMap<object, string>();

/** Digest of a whole listener: equal on every replica for equal content. Cached per listener object. */
export function listenerDigest(l: HttpListener | TlsPassthroughListener | L4Listener): string {
  let d = listenerDigests.get(l);
  if (d === undefined) {
    d = computeListenerDigest(l);
    listenerDigests.set(l, d);
  }
  return d;
}

function computeListenerDigest(l: HttpListener | TlsPassthroughListener | L4Listener): string {
  if ('virtualHosts' in l) {
    const { virtualHosts, chains, ...rest } = l;
    const perChain = chains?.map(({ virtualHosts: hosts, ...c }) => [c, hostsDigest(hosts)]);
    return hash(`${JSON.stringify([rest, perChain])}\0${hostsDigest(virtualHosts)}`);
  }
  if ('routes' in l) {
    const { routes, ...rest } = l;
    return hash(`${JSON.stringify(rest)}\0${digest(routes)}`);
  }
  // TCP and UDP listeners carry one route: small enough to serialize whole.
  return hash(JSON.stringify(l));
}

// One-shot hashing: half the cost of createHash per call, which counts at one call per route.
/** A 132-bit content hash (SHA-256, base64url): of digested JSON here, of encoded resources in snapshot.ts. */
export function hash(data: string | Uint8Array): string {
  return crypto.hash('sha256', data, 'base64url').slice(0, 22);
}
