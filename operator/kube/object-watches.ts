// Watches for a changing set of single objects of one kind (the ConfigMaps Gateways name as CA
// bundles): one reflector per object, narrowed by namespace and name, so the operator never lists
// or holds the cluster's other objects of that kind.
import { Reflector, type EventHandler, type ReflectorOptions, type Stored } from './reflector.ts';
import type { ResourceType } from './resources.ts';
import type { KubeClient } from './rest.ts';

export class ObjectWatches<T extends Stored = Stored> {
  private readonly watches = new Map<string, Reflector<T>>();
  private readonly handlers: EventHandler<T>[] = [];

  constructor(
    private readonly client: KubeClient,
    readonly type: ResourceType,
    private readonly opts: ReflectorOptions,
  ) {}

  on(handler: EventHandler<T>): void {
    this.handlers.push(handler);
  }

  /** The watched `namespace/name` keys. */
  keys(): string[] {
    return [...this.watches.keys()];
  }

  /**
   * Watches exactly `keys` (`namespace/name`): starts the new ones, stops the rest. Resolves once
   * the new ones have listed, or after `waitMs` (a watch the API server refuses must not hold the
   * caller up; it keeps retrying, and its object's arrival is an event).
   */
  async sync(keys: ReadonlySet<string>, waitMs = 2000): Promise<void> {
    for (const [k, r] of this.watches)
      if (!keys.has(k)) {
        r.stop();
        this.watches.delete(k);
        for (const obj of r.items()) this.emit('DELETED', obj);
      }
    const started: Reflector<T>[] = [];
    for (const k of keys) {
      if (this.watches.has(k)) continue;
      const slash = k.indexOf('/');
      if (slash < 1 || slash === k.length - 1) continue;
      const [namespace, name] = [k.slice(0, slash), k.slice(slash + 1)];
      const r = new Reflector<T>(this.client, this.type, this.opts, {
        namespace,
        fieldSelector: `metadata.name=${name}`,
      });
      r.on((type, obj) => this.emit(type, obj));
      this.watches.set(k, r);
      r.start();
      started.push(r);
    }
    if (started.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(started.map((r) => r.waitForSync())),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs))),
    ]);
    clearTimeout(timer);
  }

  items(): T[] {
    return [...this.watches.values()].flatMap((r) => r.items());
  }

  stop(): void {
    for (const r of this.watches.values()) r.stop();
    this.watches.clear();
  }

  private emit(type: Parameters<EventHandler<T>>[0], obj: T): void {
    for (const h of this.handlers) h(type, obj);
  }
}
