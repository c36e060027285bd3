// Port group -> its IR listeners (one per Gateway address), and the memo that hands back the very
// same listener objects while a group is unchanged, so the xDS layer (which caches by identity)
// neither digests nor rebuilds them.
import type { HttpListener, L4Listener, TlsCertificate, TlsPassthroughListener } from '../ir/types.ts';
import type { PortGroup } from './build-ir.ts';
import type { GatewayModel } from './gateways.ts';
import { keptAcrossPasses } from './pass-memos.ts';
import type { withCopies } from './upstream-tls.ts';

type GroupRoutes = ReturnType<typeof withCopies>;
export type Listeners = {
  http: HttpListener[];
  tls: TlsPassthroughListener[];
  tcp: L4Listener[];
  udp: L4Listener[];
};
type MadeListeners = Listeners & { gateway: GatewayModel; routes: GroupRoutes };

let listenerMemo = new Map<string, MadeListeners>();
keptAcrossPasses(() => (listenerMemo = new Map()));

function sameRoutes(a: GroupRoutes, b: GroupRoutes): boolean {
  return a.vhosts === b.vhosts && a.chains === b.chains && a.sni === b.sni && a.l4 === b.l4;
}

/** The group's listeners, one per Gateway address. */
export function groupListeners(
  g: PortGroup,
  { vhosts, chains, sni, l4: l4Route }: GroupRoutes,
  addresses: readonly string[],
  certificates: TlsCertificate[],
  terminate: boolean,
): Listeners {
  const out: Listeners = { http: [], tls: [], tcp: [], udp: [] };
  const gateway = { namespace: g.gateway.meta.namespace, name: g.gateway.meta.name };
  for (const address of addresses) {
    const base = {
      name: `${gateway.namespace}/${gateway.name}/${address}/${g.port}`,
      gateway,
      address,
      port: g.port,
    };
    const l4 = l4Route ? { route: l4Route } : {};
    if (g.protocol === 'TLS')
      out.tls.push({
        ...base,
        routes: sni,
        ...(terminate ? { tls: { certificates } } : {}),
      });
    else if (g.protocol === 'TCP') out.tcp.push({ ...base, ...l4 });
    else if (g.protocol === 'UDP') out.udp.push({ ...base, name: `${base.name}/udp`, ...l4 });
    else
      out.http.push({
        ...base,
        protocol: g.protocol === 'HTTPS' ? 'HTTPS' : 'HTTP',
        ...(g.protocol === 'HTTPS' ? { tls: { certificates } } : {}),
        virtualHosts: vhosts,
        ...(chains ? { chains } : {}),
        ...clientValidation(g),
      });
  }
  return out;
}

/**
 * One pass of the memo: `get` reuses a group's listeners while its Gateway model and its routes are
 * the same objects (everything a listener is made of comes from those two); `done` keeps this pass's.
 */
export function listenerPass(): {
  get: (key: string, g: PortGroup, routes: GroupRoutes, make: () => Listeners) => Listeners;
  done: () => void;
} {
  const next = new Map<string, MadeListeners>();
  return {
    get(key, g, routes, make) {
      const old = listenerMemo.get(key);
      const made =
        old && old.gateway === g.gateway && sameRoutes(old.routes, routes)
          ? old
          : { gateway: g.gateway, routes, ...make() };
      next.set(key, made);
      return made;
    },
    done: () => void (listenerMemo = next),
  };
}

/** tls.frontend applies per port, so every HTTPS listener of the group carries the same validation. */
function clientValidation(g: PortGroup): Pick<HttpListener, 'clientValidation'> {
  const v = g.listeners.find((li) => li.clientValidation)?.clientValidation;
  return v ? { clientValidation: v } : {};
}
