// Status writes through the status subresource, only when the status really changed (ignoring
// lastTransitionTime), with the resourceVersion read so a concurrent writer makes us retry.
import type { Logger } from 'pino';
import { resourcePath, type KubeObject, type ResourceType } from './resources.ts';
import { isKubeError, type KubeClient } from './rest.ts';

/** Bound on the per-object memos (deleted objects' entries age out). */
const MEMO_LIMIT = 100000;

export interface StatusWriterOptions {
  logger: Logger;
  onWrite?: (kind: string) => void;
  /** A write not sent (unchanged, unseen, gone) or refused (conflict). */
  onSkip?: (kind: string, reason: SkipReason) => void;
  /** After a write: the object as it was and the status written (for Events on transitions). */
  onWritten?: (type: ResourceType, live: WithStatus, status: Record<string, unknown>) => void;
  /** Deep equality of statuses ignoring lastTransitionTime (the translator's statusEqual). */
  equal: (a: unknown, b: unknown) => boolean;
}

export type SkipReason = 'unchanged' | 'unseen' | 'conflict' | 'gone';

export type WithStatus = KubeObject & { status?: Record<string, unknown> };

export class StatusWriter {
  writes = 0;
  conflicts = 0;
  /** What we last wrote per object, and from which resourceVersion: the cache lags our writes. */
  private readonly equalAt = new Map<string, { rv: string | undefined; json: string }>();
  private readonly written = new Map<
    string,
    { fromRv: string | undefined; status: Record<string, unknown> }
  >();

  constructor(
    private readonly client: KubeClient,
    private readonly opts: StatusWriterOptions,
  ) {}

  /**
   * Writes `status` (the object's whole status) if it differs from `live.status`. Returns true if
   * it wrote. A 409 Conflict or 404 means the cache is behind: the caller's next event retries.
   */
  async write(type: ResourceType, live: WithStatus, status: Record<string, unknown>): Promise<boolean> {
    const m = live.metadata ?? {};
    const key = `${type.kind}/${m.namespace ?? ''}/${m.name ?? ''}`;
    // The deep compare sorts keys and is the hot path at thousands of routes: remember which
    // (live version, desired JSON) pairs were already found equal.
    const json = JSON.stringify(status);
    const known = this.equalAt.get(key);
    if (known && known.rv === m.resourceVersion && known.json === json) return this.skip(type, 'unchanged');
    if (this.opts.equal(live.status ?? {}, status)) {
      this.equalAt.set(key, { rv: m.resourceVersion, json });
      if (this.equalAt.size > MEMO_LIMIT) this.equalAt.delete(this.equalAt.keys().next().value!);
      return this.skip(type, 'unchanged');
    }
    const last = this.written.get(key);
    // The watch has not yet delivered our own write: writing again would only 409.
    if (last && last.fromRv === m.resourceVersion && this.opts.equal(last.status, status))
      return this.skip(type, 'unseen');
    // Merge patch: keys we no longer set are removed with null, arrays are replaced whole.
    const patch: Record<string, unknown> = { ...status };
    for (const k of Object.keys(live.status ?? {})) if (!(k in status)) patch[k] = null;
    try {
      await this.client.request(resourcePath(type, m.namespace, m.name, 'status'), {
        method: 'PATCH',
        patchType: 'merge',
        query: { fieldManager: 'portico' },
        body: { metadata: { resourceVersion: m.resourceVersion }, status: patch },
      });
    } catch (err) {
      if (isKubeError(err, 409)) {
        this.conflicts++;
        this.skip(type, 'conflict');
        throw new StaleCacheError(`${type.kind} ${m.namespace ?? ''}/${m.name}: status conflict`);
      }
      if (isKubeError(err, 404)) return this.skip(type, 'gone');
      throw err;
    }
    this.written.set(key, { fromRv: m.resourceVersion, status });
    if (this.written.size > MEMO_LIMIT) this.written.delete(this.written.keys().next().value!);
    this.writes++;
    this.opts.onWrite?.(type.kind);
    this.opts.onWritten?.(type, live, status);
    this.opts.logger.debug({ kind: type.kind, namespace: m.namespace, name: m.name }, 'status written');
    return true;
  }

  /** Counts a write the caller knows is not needed (its status is already current): false. */
  skip(type: ResourceType, reason: SkipReason): false {
    this.opts.onSkip?.(type.kind, reason);
    return false;
  }
}

/** The object changed under us; a watch event with the new version is on its way. */
export class StaleCacheError extends Error {
  override name = 'StaleCacheError';
}
