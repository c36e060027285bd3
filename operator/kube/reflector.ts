// List+watch cache for one kind. Never gives up: any error restarts list+watch with backoff, a 410
// Gone relists, and a periodic relist catches anything a watch could have missed. A relist diffs
// against the store, so handlers see the same ADDED/MODIFIED/DELETED events either way.
import { Watch, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { objectKey, resourcePath, type KubeObject, type ResourceType } from './resources.ts';
import { isKubeError, type KubeClient } from './rest.ts';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export type EventHandler<T> = (type: EventType, obj: T) => void;

export interface ReflectorOptions {
  logger: Logger;
  /** Full relist period. @default 300000 */
  resyncMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  onError?: (kind: string) => void;
}

interface ListResponse<T> {
  items?: T[];
  metadata?: { resourceVersion?: string; continue?: string };
}

type WatchEnd = { kind: 'gone' } | { kind: 'closed' } | { kind: 'error'; err: unknown };

export class Reflector<T extends KubeObject = KubeObject> {
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

  constructor(
    private readonly client: KubeClient,
    private readonly kc: KubeConfig,
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
        const resyncAt = Date.now() + jitter(this.opts.resyncMs ?? 300000);
        for (;;) {
          if (this.stopped) return;
          const end = await this.watchOnce(
            rv,
            (v) => (rv = v),
            Math.max(1, Math.floor((resyncAt - Date.now()) / 1000)),
          );
          if (end.kind === 'gone') {
            log.info('watch expired (410), relisting');
            break;
          }
          if (end.kind === 'error') throw end.err;
          if (Date.now() >= resyncAt) break;
        }
      } catch (err) {
        if (this.stopped) return;
        this.errors++;
        this.opts.onError?.(this.type.kind);
        if (isKubeError(err, 404)) {
          // The kind is not served (its CRD is not installed): it is empty, not unknown, so the
          // rest of the operator can run; keep checking for it to appear.
          this.markEmpty();
          backoff = this.opts.backoffMaxMs ?? 30000;
          if (this.errors === 1 || this.errors % 20 === 0)
            log.warn({ err: String(err) }, 'resource type not served, treating as empty');
        } else {
          log.warn({ err: String(err), retryInMs: backoff }, 'list/watch failed, retrying');
        }
        await this.sleep(jitter(backoff));
        backoff = Math.min(backoff * 2, this.opts.backoffMaxMs ?? 30000);
      }
    }
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
      const page = await this.client.request<ListResponse<T>>(resourcePath(this.type), {
        query: { limit: 500, continue: cont },
      });
      for (const item of page.items ?? []) {
        // List items carry no apiVersion/kind; snapshot consumers expect them.
        const obj = { apiVersion: this.type.apiVersion, kind: this.type.kind, ...trim(item) } as T;
        fresh.set(objectKey(obj), obj);
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
      this.store.set(key, obj);
      if (!old) this.emit('ADDED', obj);
      else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.emit('MODIFIED', obj);
    }
    this.setSynced();
    return rv;
  }

  private watchOnce(rv: string, setRv: (rv: string) => void, timeoutSeconds: number): Promise<WatchEnd> {
    return new Promise<WatchEnd>((resolve) => {
      let end: WatchEnd = { kind: 'closed' };
      const onEvent = (type: string, obj: unknown) => {
        const o = obj as T & { code?: number };
        if (type === 'ERROR') {
          end =
            o.code === 410
              ? { kind: 'gone' }
              : { kind: 'error', err: new Error(`watch error: ${JSON.stringify(obj)}`) };
          this.abort?.();
          return;
        }
        const v = o.metadata?.resourceVersion;
        if (v) setRv(v);
        if (type === 'BOOKMARK') return;
        if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') return;
        const item = trim(o);
        const key = objectKey(item);
        if (type === 'DELETED') this.store.delete(key);
        else this.store.set(key, item);
        this.emit(type, item);
      };
      const done = (err: unknown) => {
        this.abort = undefined;
        const code = (err as { statusCode?: number } | null)?.statusCode;
        if (code === 410) resolve({ kind: 'gone' });
        else if (err && end.kind === 'closed' && !this.stopped) resolve({ kind: 'error', err });
        else resolve(end);
      };
      new Watch(this.kc)
        .watch(
          resourcePath(this.type),
          { resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds },
          onEvent,
          done,
        )
        .then((controller) => {
          this.abort = () => controller.abort();
          if (this.stopped) controller.abort();
        })
        .catch((err: unknown) => resolve({ kind: 'error', err }));
    });
  }

  private emit(type: EventType, obj: T): void {
    for (const h of this.handlers) {
      try {
        h(type, obj);
      } catch (err) {
        this.opts.logger.error(
          { err: String(err), kind: this.type.kind, key: objectKey(obj) },
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

/** managedFields are large and never read: drop them from the cache. */
function trim<T extends KubeObject>(obj: T): T {
  const m = obj.metadata as (KubeObject['metadata'] & { managedFields?: unknown }) | undefined;
  if (m?.managedFields) delete m.managedFields;
  return obj;
}

function jitter(ms: number): number {
  return Math.round(ms * (0.9 + Math.random() * 0.2));
}
