// The clusters every port group uses, kept across passes: each Service port counts the groups that
// use it, so one rebuilt group updates the union from its own ports, and the cluster list is reused
// while the union and the Services and EndpointSlices it reads are the same.
import type { Cluster } from '../ir/types.ts';
import { buildClusters } from './backends.ts';
import type { ServicePort } from './backends.ts';
import type { Lookup } from './lookup.ts';
import { keptAcrossPasses } from './pass-memos.ts';
import { byString } from './read.ts';

interface Use {
  readonly port: ServicePort;
  groups: number;
  /** Groups speaking gRPC to it: one is enough for HTTP/2. */
  http2: number;
}

/** Ports by cluster name, per port group (the same map while the group is unchanged). */
export type GroupPorts = ReadonlyMap<string, ReadonlyMap<string, ServicePort>>;

let uses = new Map<string, Use>();
let lastGroups: GroupPorts = new Map();
let last: { lookup: Lookup; clusters: Cluster[] } | undefined;
keptAcrossPasses(() => {
  uses = new Map();
  lastGroups = new Map();
  last = undefined;
});

function state(u: Use | undefined): string {
  return u === undefined ? '' : u.http2 > 0 ? 'h2' : 'h1';
}

/** The clusters of the Service ports some group uses, sorted by name. */
export function usedClusters(l: Lookup, groups: GroupPorts): Cluster[] {
  const next = new Map(uses);
  const before = new Map<string, string>();
  const count = (ports: ReadonlyMap<string, ServicePort>, sign: 1 | -1): void => {
    for (const [name, p] of ports) {
      const old = next.get(name);
      if (!before.has(name)) before.set(name, state(old));
      const u = { port: old?.port ?? p, groups: (old?.groups ?? 0) + sign, http2: old?.http2 ?? 0 };
      if (p.http2) u.http2 += sign;
      if (u.groups === 0) next.delete(name);
      else next.set(name, u);
    }
  };
  for (const [k, ports] of groups) if (lastGroups.get(k) !== ports) count(ports, 1);
  for (const [k, ports] of lastGroups) if (groups.get(k) !== ports) count(ports, -1);
  const changed = [...before].some(([name, s]) => state(next.get(name)) !== s);
  uses = next;
  lastGroups = groups;
  if (!changed && last?.lookup === l) return last.clusters;
  const ports = [...next.values()].map((u) => ({ ...u.port, http2: u.http2 > 0 }));
  const clusters = buildClusters(l, ports).sort((a, b) => byString(a.name, b.name));
  last = { lookup: l, clusters };
  return clusters;
}
