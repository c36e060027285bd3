// List+watch cache for one kind, both over KubeClient. Never gives up: a lost connection resumes
// the watch from the last resourceVersion (as client-go does: an API server restart must not make
// every replica relist every kind), a 410 Gone relists, any other error relists with backoff, and
// a periodic relist catches anything a watch could have missed. A relist diffs against the store, so handlers see the same ADDED/MODIFIED/DELETED
// events either way. Every object enters through decode(): the one typed boundary of kube/.
import type { Logger } from 'pino';
import { resourcePath, type KubeObject, type ResourceType } from './resources.ts';
import { isKubeError, type KubeClient } from './rest.ts';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export type EventHandler<T> = (type: EventType, obj: T) => void;

export interface ReflectorOptions {
  logger: Logger;
  /**
   * Full relist period; 0 or unset: none. Each watch resumes from its last resourceVersion (kept
   * current by bookmarks), and lists again only after 410 Gone or an error, as client-go does.
   */
  resyncMs?: number;
  /** How long one watch request runs before it is resumed from its resourceVersion. @default 300000 */
  watchMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  onError?: (kind: string) => void;
  /** Keeps only what the operator reads of each object (memory): applied after decode. */
  slim?: (obj: Stored) => Stored;
}

interface ListResponse {
  items?: unknown[];
  metadata?: { resourceVersion?: string; continue?: string };
}

type WatchEnd =
  | { kind: 'gone' }
  | { kind: 'closed' }
  /** The connection failed or broke: resume the watch. */
  | { kind: 'lost'; err: unknown }
  | { kind: 'error'; err: unknown };

/** What the reflector itself reads of an object; every Kubernetes type has it (Dates aside). */
export type Stored = Pick<KubeObject, 'apiVersion' | 'kind'> & {
  metadata?: Pick<
    NonNullable<KubeObject['metadata']>,
    'name' | 'namespace' | 'uid' | 'generation' | 'resourceVersion'
  >;
};

export class Reflector<T extends Stored = Stored> {
  private readonly store = new Map<string, T>();
  private readonly handlers: EventHandler<T>[] = [];
  private stopped = true;
  private abort: (() => void) | undefined;
  private wake: (() => void) | undefined;
  private syncedOnce = false;
  private readonly syncWaiters: (() => void)[] = [];
  /** Number of (re)lists done, and errors seen: for tests and metrics. */
  lists = 0;
  errors = 0;
  /** Watches the API server ended with 410 Gone (expired resourceVersion). */
  expired = 0;
  /** Objects refused by decode() (not the kind's shape), never stored. */
  rejected = 0;

  constructor(
    private readonly client: KubeClient,
    readonly type: ResourceType,
    private readonly opts: ReflectorOptions,
  ) {}

  on(handler: EventHandler<T>): void {
    this.handlers.push(handler);
  }

  get synced(): boolean {
    return this.syncedOnce;
  }

  waitForSync(): Promise<void> {
    if (this.syncedOnce) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  items(): T[] {
    return [...this.store.values()];
  }

  get(key: string): T | undefined {
    return this.store.get(key);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    this.abort?.();
    this.wake?.();
  }

  private async run(): Promise<void> {
    const initial = this.opts.backoffInitialMs ?? 200;
    let backoff = initial;
    const log = this.opts.logger.child({ kind: this.type.kind });
    while (!this.stopped) {
      try {
        let rv = await this.relist();
        backoff = initial;
        const resyncAt = this.opts.resyncMs ? Date.now() + jitter(this.opts.resyncMs) : Infinity;
        for (;;) {
          if (this.stopped) return;
          const end = await this.watchOnce(
            rv,
            (v) => (rv = v),
            Math.max(
              1,
              Math.floor(Math.min(resyncAt - Date.now(), jitter(this.opts.watchMs ?? 300000)) / 1000),
            ),
          );
          if (end.kind === 'gone') {
            this.expired++;
            log.info('watch expired (410), relisting');
            break;
          }
          if (end.kind === 'error') throw end.err;
          if (end.kind === 'lost') {
            if (this.stopped) return;
            this.failed(end.err, backoff, log);
            await this.sleep(jitter(backoff));
            backoff = Math.min(backoff * 2, this.opts.backoffMaxMs ?? 30000);
          } else backoff = initial;
          if (Date.now() >= resyncAt) break;
        }
      } catch (err) {
        if (this.stopped) return;
        if (isKubeError(err, 404)) {
          this.errors++;
          this.opts.onError?.(this.type.kind);
          // The kind is not served (its CRD is not installed): it is empty, not unknown, so the
          // rest of the operator can run; keep checking for it to appear.
          this.markEmpty();
          backoff = this.opts.backoffMaxMs ?? 30000;
          if (this.errors === 1 || this.errors % 20 === 0)
            log.warn({ err: String(err) }, 'resource type not served, treating as empty');
        } else this.failed(err, backoff, log);
        await this.sleep(jitter(backoff));
        backoff = Math.min(backoff * 2, this.opts.backoffMaxMs ?? 30000);
      }
    }
  }

  private failed(err: unknown, retryInMs: number, log: Logger): void {
    this.errors++;
    this.opts.onError?.(this.type.kind);
    log.warn({ err: String(err), retryInMs }, 'list/watch failed, retrying');
  }

  private markEmpty(): void {
    for (const [key, old] of this.store) {
      this.store.delete(key);
      this.emit('DELETED', old);
    }
    this.setSynced();
  }

  private setSynced(): void {
    if (this.syncedOnce) return;
    this.syncedOnce = true;
    for (const w of this.syncWaiters.splice(0)) w();
  }

  /** Lists every page, diffs against the store, emits events; returns the list's resourceVersion. */
  private async relist(): Promise<string> {
    const fresh = new Map<string, T>();
    let cont: string | undefined;
    let rv = '';
    do {
      const page = await this.client.request<ListResponse>(resourcePath(this.type), {
        query: { limit: 500, continue: cont },
      });
      for (const item of page.items ?? []) {
        const obj = this.decode(item);
        if (obj) fresh.set(keyOf(obj), obj);
      }
      cont = page.metadata?.continue || undefined;
      rv = page.metadata?.resourceVersion ?? rv;
    } while (cont);
    this.lists++;
    for (const [key, old] of this.store) {
      if (!fresh.has(key)) {
        this.store.delete(key);
        this.emit('DELETED', old);
      }
    }
    for (const [key, obj] of fresh) {
      const old = this.store.get(key);
      // An unchanged object keeps its identity: the translator's memos are keyed by it.
      if (old && old.metadata?.resourceVersion === obj.metadata?.resourceVersion) continue;
      this.store.set(key, obj);
      if (!old) this.emit('ADDED', obj);
      else this.emit('MODIFIED', obj);
    }
    this.setSynced();
    return rv;
  }

  private watchOnce(rv: string, setRv: (rv: string) => void, timeoutSeconds: number): Promise<WatchEnd> {
    let end: WatchEnd = { kind: 'closed' };
    const stream = this.client.watch(
      resourcePath(this.type),
      { resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds },
      ({ type, object }) => {
        if (end.kind !== 'closed') return;
        if (type === 'ERROR') {
          const code = (object as { code?: number } | null)?.code;
          end =
            code === 410
              ? { kind: 'gone' }
              : { kind: 'error', err: new Error(`watch error: ${JSON.stringify(object)}`) };
          stream.abort();
          return;
        }
        const v = (object as Stored | null)?.metadata?.resourceVersion;
        if (v) setRv(v);
        if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') return;
        const item = this.decode(object);
        if (!item) return;
        const key = keyOf(item);
        if (type === 'DELETED') this.store.delete(key);
        else this.store.set(key, item);
        this.emit(type, item);
      },
      // The server ends the watch at timeoutSeconds; silence well past that means a dead peer.
      (timeoutSeconds + 30) * 1000,
    );
    this.abort = () => stream.abort();
    if (this.stopped) stream.abort();
    return stream.done
      .then(
        () => end,
        (err: unknown): WatchEnd =>
          isKubeError(err, 410)
            ? { kind: 'gone' }
            : isKubeError(err)
              ? { kind: 'error', err }
              : { kind: 'lost', err },
      )
      .finally(() => (this.abort = undefined));
  }

  /**
   * The boundary between the API server's JSON and typed objects. The API server has validated
   * each object against its kind's schema, so T is trusted once the envelope checks out: an object
   * of this kind with a name (and a namespace when namespaced). List items carry no apiVersion/kind,
   * so they are set here; what of the metadata is never read is dropped (slimMetadata).
   */
  private decode(raw: unknown): T | undefined {
    const o = raw as { metadata?: Record<string, unknown> } | null;
    const m = o?.metadata;
    const ok =
      typeof o === 'object' &&
      typeof m === 'object' &&
      m !== null &&
      typeof m.name === 'string' &&
      m.name !== '' &&
      (typeof m.namespace === 'string') === this.type.namespaced;
    if (!ok) {
      this.rejected++;
      this.opts.logger.warn(
        { kind: this.type.kind, object: JSON.stringify(raw).slice(0, 200) },
        'object refused',
      );
      return undefined;
    }
    const obj: Stored = {
      ...o,
      apiVersion: this.type.apiVersion,
      kind: this.type.kind,
      metadata: slimMetadata(m),
    };
    return (this.opts.slim ? this.opts.slim(obj) : obj) as T;
  }

  private emit(type: EventType, obj: T): void {
    for (const h of this.handlers) {
      try {
        h(type, obj);
      } catch (err) {
        this.opts.logger.error(
          { err: String(err), kind: this.type.kind, key: keyOf(obj) },
          'event handler threw',
        );
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
}

/** kubectl's client-side apply keeps a copy of the whole object here: as large as the spec, never read. */
export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * A copy of `o` without `keys`. Copying what is kept, rather than `delete`, matters: a delete turns
 * the object into a dictionary-mode one in V8, about 400 bytes more per cached object.
 */
export function omit<T extends object>(o: T, keys: readonly string[]): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (!keys.includes(k)) out[k] = v;
  return out as T;
}

/** The metadata without managedFields and the last-applied annotation (large, never read). */
export function slimMetadata(m: Record<string, unknown>): Record<string, unknown> {
  const annotations = m.annotations;
  if (annotations === null || typeof annotations !== 'object' || !(LAST_APPLIED in annotations))
    return omit(m, ['managedFields']);
  const rest = omit(annotations, [LAST_APPLIED]);
  if (Object.keys(rest).length === 0) return omit(m, ['managedFields', 'annotations']);
  const kept = omit(m, ['managedFields']);
  kept.annotations = rest;
  return kept;
}

function keyOf(o: Stored): string {
  const m = o.metadata ?? {};
  return m.namespace ? `${m.namespace}/${m.name ?? ''}` : (m.name ?? '');
}

function jitter(ms: number): number {
  return Math.round(ms * (0.9 + Math.random() * 0.2));
}
