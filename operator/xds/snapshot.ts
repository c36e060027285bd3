import { createHash } from 'node:crypto';
import { pack, TYPE_URL_PREFIX, type EnvoyMessageName, type PackedAny } from '../envoy/codec.ts';
import type { Cluster } from '../envoy/generated/envoy/config/cluster/v3/Cluster.ts';
import type { ClusterLoadAssignment } from '../envoy/generated/envoy/config/endpoint/v3/ClusterLoadAssignment.ts';
import type { Listener } from '../envoy/generated/envoy/config/listener/v3/Listener.ts';
import type { RouteConfiguration } from '../envoy/generated/envoy/config/route/v3/RouteConfiguration.ts';
import type { Secret } from '../envoy/generated/envoy/extensions/transport_sockets/tls/v3/Secret.ts';
import { hash } from './digest.ts';

/** A complete desired Envoy configuration; each map is keyed by resource name. */
export interface Snapshot {
  readonly version: string;
  readonly clusters: Readonly<Record<string, Cluster>>;
  readonly endpoints: Readonly<Record<string, ClusterLoadAssignment>>;
  readonly listeners: Readonly<Record<string, Listener>>;
  readonly routes: Readonly<Record<string, RouteConfiguration>>;
  readonly secrets: Readonly<Record<string, Secret>>;
}

export type ResourceKind = 'clusters' | 'endpoints' | 'listeners' | 'routes' | 'secrets';

const MESSAGE: Record<ResourceKind, EnvoyMessageName> = {
  clusters: 'envoy.config.cluster.v3.Cluster',
  endpoints: 'envoy.config.endpoint.v3.ClusterLoadAssignment',
  listeners: 'envoy.config.listener.v3.Listener',
  routes: 'envoy.config.route.v3.RouteConfiguration',
  secrets: 'envoy.extensions.transport_sockets.tls.v3.Secret',
};

export const TYPE_URL: Record<ResourceKind, string> = {
  clusters: TYPE_URL_PREFIX + MESSAGE.clusters,
  endpoints: TYPE_URL_PREFIX + MESSAGE.endpoints,
  listeners: TYPE_URL_PREFIX + MESSAGE.listeners,
  routes: TYPE_URL_PREFIX + MESSAGE.routes,
  secrets: TYPE_URL_PREFIX + MESSAGE.secrets,
};

export const KIND_BY_TYPE_URL: ReadonlyMap<string, ResourceKind> = new Map(
  (Object.entries(TYPE_URL) as [ResourceKind, string][]).map(([k, u]) => [u, k]),
);

/** Kinds Envoy subscribes to by name; the others (CDS, LDS) are wildcard. */
export const NAMED_KINDS: ReadonlySet<ResourceKind> = new Set(['endpoints', 'routes', 'secrets']);

export interface EncodedResource {
  readonly any: PackedAny;
  /** Digest of the encoded bytes: equal digests mean Envoy already has this resource. */
  readonly hash: string;
  /** Clusters: the EDS resource the cluster takes its endpoints from. */
  readonly edsName?: string;
}

export type EncodedSet = ReadonlyMap<string, EncodedResource>;

export interface EncodedSnapshot {
  readonly version: string;
  /** Order of setSnapshot calls: a larger seq is newer. */
  readonly seq: number;
  readonly kinds: Readonly<Record<ResourceKind, EncodedSet>>;
}

// Reuse encodings of identical objects across snapshots (translators often keep unchanged objects).
const cache = new WeakMap<object, EncodedResource>();
// And whole sets: the translator hands back the very record while none of a kind's resources changed.
const sets = new WeakMap<object, EncodedSet>();

function encodeKind<K extends ResourceKind>(kind: K, items: Readonly<Record<string, object>>): EncodedSet {
  const known = sets.get(items);
  if (known) return known;
  const out = new Map<string, EncodedResource>();
  for (const name of Object.keys(items).sort()) {
    const msg = items[name]!;
    let enc = cache.get(msg);
    if (!enc) {
      const any = pack(MESSAGE[kind], msg as never);
      enc = {
        any,
        hash: hash(any.value),
        edsName: kind === 'clusters' ? edsName(name, msg as Cluster) : undefined,
      };
      cache.set(msg, enc);
    }
    out.set(name, enc);
  }
  sets.set(items, out);
  return out;
}

function edsName(name: string, c: Cluster): string | undefined {
  if (c.type !== 'EDS' && !c.eds_cluster_config) return undefined;
  return c.eds_cluster_config?.service_name || c.name || name;
}

/** Encodes every resource once per snapshot; streams then only compare digests. */
export function encodeSnapshot(s: Snapshot, seq = 0): EncodedSnapshot {
  return {
    version: s.version,
    seq,
    kinds: {
      clusters: encodeKind('clusters', s.clusters),
      endpoints: encodeKind('endpoints', s.endpoints),
      listeners: encodeKind('listeners', s.listeners),
      routes: encodeKind('routes', s.routes),
      secrets: encodeKind('secrets', s.secrets),
    },
  };
}

const versions = new WeakMap<EncodedSet, string>();

/** Digest of a set of resources: the type's version_info, identical on every operator replica. */
export function setVersion(set: EncodedSet): string {
  let v = versions.get(set);
  if (v === undefined) {
    const h = createHash('sha256');
    for (const [name, r] of [...set].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      h.update(`${name}\0${r.hash}\0`);
    v = h.digest('base64url').slice(0, 16);
    versions.set(set, v);
  }
  return v;
}

export function emptySnapshot(version = ''): Snapshot {
  return { version, clusters: {}, endpoints: {}, listeners: {}, routes: {}, secrets: {} };
}
