// The pure core: a snapshot of cluster objects -> statuses, owned objects and the IR.
import { attachRoute } from './attach.ts';
import { buildIR } from './build-ir.ts';
import { buildGateways, ourClasses } from './gateways.ts';
import type { GatewayModel } from './gateways.ts';
import { listenerSetStatuses, takesListenerSets } from './listener-set-status.ts';
import { setParents } from './listener-sets.ts';
import { arr, byString, key, meta, obj, str } from './read.ts';
import type { RouteModel } from './routes.ts';
import {
  cachedAttach,
  cachedGateways,
  cachedLookup,
  cachedRoute,
  carryRoute,
  namespacesToken,
  refsToken,
} from './memo.ts';
import { allAttachments, routeStage, routeStatuses } from './route-stage.ts';
import { gatewayClassStatuses, gatewayStatus, ownedService } from './status.ts';
import { backendTlsPolicyStatuses, buildBackendTls } from './backend-tls.ts';
import type { OwnedService, Snapshot, TranslateResult } from './types.ts';

const EPOCH = '1970-01-01T00:00:00Z';

/** Never throws: a bad object gets a condition that says why and degrades only itself. */
export function translate(snapshot: Snapshot): TranslateResult {
  const s = snapshot ?? ({} as Snapshot);
  const now = typeof s.now === 'string' && s.now ? s.now : EPOCH;
  const l = cachedLookup(s);
  const token = refsToken(s);
  const gateways = cachedGateways(s, () => buildGateways(s, l, ourClasses(s)));
  const byKey = new Map<string, GatewayModel>(gateways.map((g) => [key(g.meta.namespace, g.meta.name), g]));
  const sets = setParents(byKey, arr(s.listenerSets));

  const backendTls = buildBackendTls(s, l);
  const namespaces = namespacesToken(s);
  const stage = routeStage(s, token, [gateways, namespaces], {
    model: (kind, raw) => cachedRoute(l, token, kind, raw),
    carry: (kind, before, after) => carryRoute(l, token, kind, before, after),
    attach: (r) =>
      cachedAttach(r, attachDeps(r, byKey, gateways, namespaces), (out) => {
        // None for a route that names no Portico Gateway: the status writer clears the entries
        // Portico wrote before from the live object, so the result never depends on live status.
        const parents = attachRoute(l, r, byKey, now, out, sets);
        return parents.length > 0
          ? { kind: r.kind, namespace: r.meta.namespace, name: r.meta.name, parents }
          : undefined;
      }),
  });
  const attached = stage.attached;

  const live = new Map(arr(s.gateways).map((g) => [key(meta(g).namespace, meta(g).name), g]));
  const gatewayStatuses = gateways
    .map((g) => ({
      namespace: g.meta.namespace,
      name: g.meta.name,
      status: gatewayStatus(s, g, attached, now, live.get(key(g.meta.namespace, g.meta.name))),
    }))
    .sort((a, b) => byString(key(a.namespace, a.name), key(b.namespace, b.name)));
  const ls = listenerSetStatuses(arr(s.listenerSets), byKey, gatewayStatuses, attached, now);
  for (const g of gatewayStatuses) {
    const k = key(g.namespace, g.name);
    const gw = byKey.get(k);
    if (gw && takesListenerSets(gw)) g.status.attachedListenerSets = ls.attachedSets.get(k) ?? 0;
  }
  const ownedServices = gateways
    .map(ownedService)
    .filter((o): o is OwnedService => o !== undefined)
    .sort((a, b) => byString(key(a.namespace, a.name), key(b.namespace, b.name)));

  return {
    gatewayClassStatuses: gatewayClassStatuses(s, now),
    gatewayStatuses,
    routeStatuses: routeStatuses(stage),
    listenerSetStatuses: ls.statuses,
    backendTlsPolicyStatuses: backendTlsPolicyStatuses(backendTls, () => allAttachments(stage), now),
    ownedServices,
    ir: buildIR(l, gateways, stage.byGateway, backendTls),
  };
}

/**
 * What attaching `r` reads besides the route: the model of each Gateway its parentRefs name (none
 * yet: null), and the Namespaces when one of them selects routes by namespace labels. A ListenerSet
 * parentRef reads the sets of every Gateway: then all the models.
 */
function attachDeps(
  r: RouteModel,
  byKey: ReadonlyMap<string, GatewayModel>,
  gateways: readonly GatewayModel[],
  namespaces: object,
): unknown[] {
  const deps: unknown[] = [];
  let selects = false;
  for (const pr of arr(obj(obj(r.raw).spec).parentRefs)) {
    const p = obj(pr);
    const kind = str(p.kind) ?? 'Gateway';
    if (kind === 'ListenerSet') return [gateways, namespaces];
    if (kind !== 'Gateway') continue; // attachRoute skips it
    const gw = byKey.get(key(str(p.namespace) ?? r.meta.namespace, str(p.name) ?? ''));
    deps.push(gw ?? null);
    selects ||= gw?.listeners.some((li) => li.from === 'Selector') ?? false;
  }
  if (selects) deps.push(namespaces);
  return deps;
}
