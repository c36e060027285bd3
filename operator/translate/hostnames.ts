// Hostname intersection between a listener and a route, per the Gateway API spec:
// `*.example.com` matches one or more labels in front of `example.com`, never `example.com` itself.

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A valid precise or `*.`-wildcard DNS name (no IPs, no ports), lower-cased by the caller. */
export function isValidHostname(h: string): boolean {
  if (h.length === 0 || h.length > 253) return false;
  const labels = h.split('.');
  const first = labels[0] === '*' ? 1 : 0;
  if (first === 1 && labels.length < 2) return false;
  for (let i = first; i < labels.length; i++) {
    const l = labels[i] ?? '';
    if (l.length > 63 || !LABEL.test(l)) return false;
  }
  // A name made only of digits and dots would be an IP address.
  return !/^[0-9.]+$/.test(h);
}

/** Does `pattern` (precise or wildcard) cover `name` (precise or wildcard)? */
export function covers(pattern: string, name: string): boolean {
  if (pattern === name) return true;
  if (!pattern.startsWith('*.')) return false;
  const suffix = pattern.slice(1); // ".example.com"
  if (name.startsWith('*.')) return name.slice(1).endsWith(suffix) && name.length > pattern.length;
  return name.endsWith(suffix) && name.length > suffix.length;
}

/**
 * The hostnames a route serves on a listener. `undefined` listener hostname means any; an
 * empty route list means any. Returns `['*']` when both are unrestricted, and `[]` when they
 * do not intersect. Sorted and de-duplicated.
 */
export function intersectHostnames(listener: string | undefined, route: readonly string[]): string[] {
  let out: string[];
  if (route.length === 0) out = [listener ?? '*'];
  else if (listener === undefined) out = [...route];
  else {
    out = [];
    for (const r of route) {
      if (covers(listener, r)) out.push(r);
      else if (covers(r, listener)) out.push(listener);
    }
  }
  return [...new Set(out)].sort();
}

/** Order for virtual hosts: precise names first, then wildcards (longer suffix first), `*` last. */
function rank(d: string): number {
  return d === '*' ? 2 : d.startsWith('*.') ? 1 : 0;
}

export function compareDomains(a: string, b: string): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 1 && a.length !== b.length) return b.length - a.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
