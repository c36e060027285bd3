// Server-side apply of the objects Portico owns. An object whose desired content is already
// contained in the live one is not re-applied; an owned object no longer desired is deleted.
// Drift (someone edits or deletes an owned object) shows up as a live object that no longer
// contains the desired one, and is repaired by the next sync.
import type { Logger } from 'pino';
import { objectKey, resourcePath, type KubeObject, type ResourceType } from './resources.ts';
import { isKubeError, type KubeClient } from './rest.ts';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'portico';
export const FIELD_MANAGER = 'portico';

export interface SyncResult {
  applied: string[];
  unchanged: number;
  pruned: string[];
  failed: { key: string; error: string }[];
}

export interface ApplierOptions {
  logger: Logger;
  fieldManager?: string;
  /**
   * Spec fields the API server allocates, per kind, kept when a drifted object is replaced
   * (e.g. a Service's clusterIP, which is immutable).
   */
  allocatedFields?: Readonly<Record<string, readonly string[]>>;
  onApply?: (kind: string, action: 'apply' | 'prune') => void;
}

export class Applier {
  /** Desired JSON last applied per object, and the live resourceVersion it was applied over. */
  private readonly applied = new Map<string, { fromRv: string | undefined; json: string }>();

  constructor(
    private readonly client: KubeClient,
    private readonly opts: ApplierOptions,
  ) {}

  /**
   * Makes the owned objects of `type` equal to `desired`: applies the missing or drifted ones and
   * prunes live objects labelled as Portico's that are not desired. `live` is the cache's view.
   */
  async sync(type: ResourceType, desired: KubeObject[], live: readonly KubeObject[]): Promise<SyncResult> {
    const result: SyncResult = { applied: [], unchanged: 0, pruned: [], failed: [] };
    const liveByKey = new Map(live.map((o) => [objectKey(o), o]));
    const wanted = new Set<string>();
    for (const d of desired) {
      const obj = withManagedLabel(d, type);
      const key = objectKey(obj);
      wanted.add(key);
      const current = liveByKey.get(key);
      if (current && contains(current, obj)) {
        result.unchanged++;
        continue;
      }
      const json = JSON.stringify(obj);
      const last = this.applied.get(`${type.kind}/${key}`);
      // Same desired object over the same live version: the cache has not caught up with our apply.
      if (current && last && last.json === json && last.fromRv === current.metadata?.resourceVersion) {
        result.unchanged++;
        continue;
      }
      try {
        // Another manager's edits survive a forced apply where they own list entries (a Service
        // port it changed stays, next to ours): replace the object instead, then own it again.
        if (current) await this.replace(type, current, obj);
        else await this.apply(type, obj);
        this.applied.set(`${type.kind}/${key}`, { fromRv: current?.metadata?.resourceVersion, json });
        result.applied.push(key);
        this.opts.logger.info(
          { kind: type.kind, namespace: obj.metadata?.namespace, name: obj.metadata?.name, drift: !!current },
          current ? 'repaired owned object' : 'applied owned object',
        );
      } catch (err) {
        result.failed.push({ key, error: String(err) });
      }
    }
    for (const o of live) {
      const key = objectKey(o);
      if (wanted.has(key) || o.metadata?.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY) continue;
      if (o.metadata.deletionTimestamp) continue;
      try {
        await this.client.request(resourcePath(type, o.metadata.namespace, o.metadata.name), {
          method: 'DELETE',
          body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: o.metadata.uid } },
        });
        this.opts.onApply?.(type.kind, 'prune');
        result.pruned.push(key);
        this.opts.logger.info(
          { kind: type.kind, namespace: o.metadata.namespace, name: o.metadata.name },
          'pruned',
        );
      } catch (err) {
        if (isKubeError(err, 404) || isKubeError(err, 409)) continue;
        result.failed.push({ key, error: String(err) });
      }
    }
    return result;
  }

  async apply(type: ResourceType, obj: KubeObject): Promise<KubeObject> {
    const out = await this.client.request<KubeObject>(
      resourcePath(type, obj.metadata?.namespace, obj.metadata?.name),
      {
        method: 'PATCH',
        patchType: 'apply',
        body: obj,
        query: { fieldManager: this.opts.fieldManager ?? FIELD_MANAGER, force: true },
      },
    );
    this.opts.onApply?.(type.kind, 'apply');
    return out;
  }

  private async replace(type: ResourceType, live: KubeObject, want: KubeObject): Promise<void> {
    const keep = this.opts.allocatedFields?.[type.kind] ?? [];
    const liveSpec = (live as { spec?: Record<string, unknown> }).spec ?? {};
    const spec: Record<string, unknown> = {};
    for (const f of keep) if (liveSpec[f] !== undefined) spec[f] = liveSpec[f];
    const m = want.metadata ?? {};
    const body = {
      ...want,
      metadata: {
        ...live.metadata,
        labels: { ...live.metadata?.labels, ...m.labels },
        annotations: { ...live.metadata?.annotations, ...m.annotations },
        ownerReferences: (want.metadata as { ownerReferences?: unknown })?.ownerReferences,
      },
      spec: { ...spec, ...(want as { spec?: Record<string, unknown> }).spec },
    };
    await this.client.request(resourcePath(type, m.namespace, m.name), {
      method: 'PUT',
      body,
      query: { fieldManager: this.opts.fieldManager ?? FIELD_MANAGER },
    });
    this.opts.onApply?.(type.kind, 'apply');
  }
}

/** Spec fields of a Service that the API server allocates or defaults and that may not change. */
export const SERVICE_ALLOCATED_FIELDS = [
  'clusterIP',
  'clusterIPs',
  'ipFamilies',
  'ipFamilyPolicy',
  'healthCheckNodePort',
  'loadBalancerClass',
];

function withManagedLabel(o: KubeObject, type: ResourceType): KubeObject {
  return {
    ...o,
    apiVersion: o.apiVersion ?? type.apiVersion,
    kind: o.kind ?? type.kind,
    metadata: { ...o.metadata, labels: { ...o.metadata?.labels, [MANAGED_BY_LABEL]: MANAGED_BY } },
  };
}

/**
 * True when every field of `want` has the same value in `have`: objects by key, arrays element
 * by element with equal length. Fields the API server adds (defaults, status) are ignored.
 */
export function contains(have: unknown, want: unknown): boolean {
  if (want === undefined) return true;
  if (want === null || typeof want !== 'object') {
    // Numbers and their string forms are the same for int-or-string fields (targetPort).
    return have === want || (typeof have !== 'object' && String(have) === String(want) && have !== undefined);
  }
  if (Array.isArray(want)) {
    return Array.isArray(have) && have.length === want.length && want.every((w, i) => contains(have[i], w));
  }
  if (have === null || typeof have !== 'object' || Array.isArray(have)) return false;
  const h = have as Record<string, unknown>;
  return Object.entries(want as Record<string, unknown>).every(([k, v]) => contains(h[k], v));
}
