// Writes IPAM's decisions: `status.loadBalancer.ingress` and Portico's conditions on each
// LoadBalancer Service it serves, and each pool's status. Pure allocation lives in operator/ipam.
import type { V1Service } from '@kubernetes/client-node';
import type { Condition } from '../api/index.ts';
import { IPAM_CONDITION, allocate } from '../ipam/index.ts';
import type { IpPoolObject } from '../kube/cache.ts';
import { RESOURCES, objectKey } from '../kube/resources.ts';
import type { StatusWriter, WithStatus } from '../kube/status.ts';

export interface ServiceAllocation {
  readonly namespace: string;
  readonly name: string;
  /** The Service's addresses, in order (empty when none could be assigned). */
  readonly ips: readonly string[];
  /** Portico's conditions on the Service (e.g. why no address was assigned). */
  readonly conditions: readonly Condition[];
}

export interface LbAllocation {
  readonly services: readonly ServiceAllocation[];
  readonly pools: readonly { readonly name: string; readonly status: Record<string, unknown> }[];
  /** Condition types this allocator owns on Services (others' conditions are kept). */
  readonly conditionTypes: readonly string[];
}

/** Pure: pools and Services in, the desired addresses and statuses out. */
export type LbAllocator = (pools: readonly IpPoolObject[], services: readonly V1Service[]) => LbAllocation;

export async function writeLbStatuses(
  writer: StatusWriter,
  alloc: LbAllocation,
  services: readonly V1Service[],
  pools: readonly IpPoolObject[],
): Promise<unknown[]> {
  const errors: unknown[] = [];
  const svcByKey = new Map(services.map((s) => [objectKey(s as WithStatus), s]));
  for (const a of alloc.services) {
    const live = svcByKey.get(`${a.namespace}/${a.name}`);
    if (!live) continue;
    const current = (live.status ?? {}) as Record<string, unknown>;
    const others = ((current.conditions as Condition[] | undefined) ?? []).filter(
      (c) => !alloc.conditionTypes.includes(c.type),
    );
    // Services carry no generation, and the API server drops observedGeneration 0 (omitempty):
    // keeping it would make every comparison differ and rewrite the status on every reconcile.
    const conditions = [...others, ...a.conditions.map(omitZeroGeneration)];
    const status: Record<string, unknown> = {
      ...current,
      loadBalancer: a.ips.length ? { ingress: a.ips.map((ip) => ({ ip, ipMode: 'VIP' })) } : {},
    };
    if (conditions.length) status.conditions = conditions;
    else delete status.conditions;
    try {
      await writer.write(RESOURCES.services, live as WithStatus, status);
    } catch (err) {
      errors.push(err);
    }
  }
  const poolByName = new Map(pools.map((p) => [p.metadata?.name ?? '', p]));
  for (const p of alloc.pools) {
    const live = poolByName.get(p.name);
    if (!live) continue;
    try {
      await writer.write(RESOURCES.ipPools, live, p.status);
    } catch (err) {
      errors.push(err);
    }
  }
  return errors;
}

function omitZeroGeneration(c: Condition): Condition {
  if (c.observedGeneration) return c;
  const rest = { ...c };
  delete rest.observedGeneration;
  return rest;
}

/** operator/ipam's allocator in the shape the reconciler uses. */
export function ipamAllocator(now: () => string): LbAllocator {
  return (pools, services) => {
    const r = allocate({ pools, services, now: now() });
    return {
      services: r.services.map((s) => ({
        namespace: s.namespace,
        name: s.name,
        ips: s.ips,
        conditions: [s.condition],
      })),
      pools: r.pools.map((p) => ({ name: p.name, status: p.status as unknown as Record<string, unknown> })),
      conditionTypes: [IPAM_CONDITION],
    };
  };
}
