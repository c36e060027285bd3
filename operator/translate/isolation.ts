// Listener isolation (GatewayHTTPListenerIsolation, ...HTTPSListenerDetectMisdirectedRequests):
// a request belongs to the most specific listener on its port whose hostname matches its Host,
// and only that listener's routes may serve it. Over TLS, the SNI picks the listener first; a Host
// that belongs to another listener of the port is misdirected and gets 421.
import type { Route, VirtualHost } from '../ir/types.ts';
import { compareDomains, covers } from './hostnames.ts';

interface Hosted {
  /** Lower-cased; undefined means any. */
  readonly hostname: string | undefined;
}

const domainOf = (li: Hosted): string => li.hostname ?? '*';

/** The listener that owns `domain` (a precise or `*.` name, or `*`): the most specific one covering it. */
export function ownerOf<L extends Hosted>(domain: string, listeners: readonly L[]): L | undefined {
  let best: L | undefined;
  for (const li of listeners) {
    const h = domainOf(li);
    if (h !== '*' && !covers(h, domain)) continue;
    if (!best || compareDomains(h, domainOf(best)) < 0) best = li;
  }
  return best;
}

/** Virtual hosts for the other listeners' hostnames, answering 421 (Misdirected Request). */
export function misdirectedHosts<L extends Hosted>(
  chain: L,
  listeners: readonly L[],
  routeName: (li: L) => string,
): VirtualHost[] {
  return listeners
    .filter((li) => li !== chain)
    .map((li): VirtualHost => {
      const route: Route = {
        name: routeName(li),
        match: { path: { type: 'PathPrefix', value: '/' }, headers: [], queryParams: [] },
        action: { type: 'DirectResponse', status: 421 },
      };
      return { name: domainOf(li), domains: [domainOf(li)], routes: [route] };
    });
}

export { domainOf as listenerDomain };
