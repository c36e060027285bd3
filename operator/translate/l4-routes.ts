// TCPRoute and UDPRoute attachments -> the one route a TCP or UDP listener forwards to.
import type { L4Route, WeightedBackend } from '../ir/types.ts';
import type { Attachment } from './attach.ts';
import { byString } from './read.ts';
import type { RouteModel } from './routes.ts';

/** A stream route's backends over all its rules, weights summed per cluster, sorted. */
export function routeBackends(route: RouteModel): WeightedBackend[] {
  const backends = new Map<string, number>();
  for (const rule of route.rules)
    if (rule.action.type === 'Forward')
      for (const b of rule.action.backends)
        backends.set(b.cluster, (backends.get(b.cluster) ?? 0) + b.weight);
  return [...backends.entries()]
    .map(([cluster, weight]) => ({ cluster, weight }))
    .sort((a, b) => byString(a.cluster, b.cluster));
}

/**
 * A TCP or UDP listener has nothing to tell routes apart by, so the oldest attached route (then
 * by namespace/name) gets the traffic; the spec keeps the others Accepted and counted as attached.
 */
export function l4Route(atts: readonly Attachment[]): L4Route | undefined {
  let oldest: RouteModel | undefined;
  for (const { route } of atts) if (!oldest || byString(route.order, oldest.order) < 0) oldest = route;
  if (!oldest) return undefined;
  return {
    name: `${oldest.meta.namespace}/${oldest.meta.name}/rule/0`,
    backends: routeBackends(oldest),
  };
}
