// Kubernetes Events for what a user should see in `kubectl describe`: a Gateway becoming
// Accepted or Programmed, or failing to, and a Service getting or losing its address.
// Fire-and-forget: an Event that cannot be written is logged, never retried. The same Event
// for the same object is written once and then counted (count, lastTimestamp), as kubelet does.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { EVENTS, resourcePath, type KubeObject } from './resources.ts';
import { isKubeError, type KubeClient } from './rest.ts';

export type EventKind = 'Normal' | 'Warning';

export interface EventNote {
  readonly type: EventKind;
  readonly reason: string;
  readonly message: string;
}

/** Distinct Events remembered for counting; a forgotten one is counted up from the API server. */
const MAX_REMEMBERED = 1000;

const seconds = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export class EventRecorder {
  emitted = 0;
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly client: KubeClient,
    private readonly logger: Logger,
    private readonly component = 'portico',
  ) {}

  /** Resolves once the Event is written (or could not be); callers need not wait. */
  record(obj: KubeObject, type: EventKind, reason: string, message: string): Promise<void> {
    const m = obj.metadata ?? {};
    const namespace = m.namespace ?? 'default';
    const text = message.slice(0, 1000);
    const id = [obj.kind, namespace, m.name, m.uid, type, reason, text].join('\0');
    // One name per (object, type, reason, message): a repeat finds the Event to count up.
    const name = `${m.name ?? 'object'}.${createHash('sha256').update(id).digest('hex').slice(0, 16)}`;
    const now = seconds(new Date());
    const count = (this.counts.get(id) ?? 0) + 1;
    this.counts.delete(id); // re-inserted last: the oldest entry is the one to forget
    this.counts.set(id, count);
    if (this.counts.size > MAX_REMEMBERED) this.counts.delete(this.counts.keys().next().value!);
    this.emitted++;
    const path = resourcePath(EVENTS, namespace);
    const bump = async (n: number) =>
      this.client.request(resourcePath(EVENTS, namespace, name), {
        method: 'PATCH',
        patchType: 'merge',
        body: { count: n, lastTimestamp: now },
      });
    const write = async () => {
      if (count > 1) return void (await bump(count));
      const body = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace },
        involvedObject: {
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          name: m.name,
          namespace: m.namespace,
          uid: m.uid,
          resourceVersion: m.resourceVersion,
        },
        type,
        reason,
        message: text,
        source: { component: this.component },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
        reportingComponent: this.component,
      };
      try {
        await this.client.request(path, { method: 'POST', body });
      } catch (err) {
        if (!isKubeError(err, 409)) throw err;
        // Written before this process started (a restart, a former leader): count it up.
        const old = await this.client.request<{ count?: number }>(resourcePath(EVENTS, namespace, name));
        const n = (old.count ?? 1) + 1;
        this.counts.set(id, n);
        await bump(n);
      }
    };
    return write().catch((err: unknown) => {
      this.logger.warn({ err: String(err), namespace, name: m.name, reason }, 'could not record event');
    });
  }
}

interface Cond {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

/** Expected steps on a healthy Gateway's way up: not worth a Warning. */
const TRANSIENT_REASONS = new Set(['Pending', 'AddressNotAssigned']);

/**
 * The Events a status change deserves, for the conditions of `types`: Normal when one becomes
 * True, Warning (with the condition's reason and message) when one becomes False or changes
 * its reason while False, except for the transient reasons of a Gateway coming up.
 */
export function transitionEvents(before: unknown, after: unknown, types: readonly string[]): EventNote[] {
  const read = (s: unknown): Cond[] => {
    const c = (s as { conditions?: unknown } | undefined)?.conditions;
    return Array.isArray(c) ? (c as Cond[]) : [];
  };
  const old = read(before);
  const out: EventNote[] = [];
  for (const c of read(after)) {
    if (!c.type || !types.includes(c.type)) continue;
    const prev = old.find((o) => o.type === c.type);
    if (c.status === 'True') {
      if (prev?.status !== 'True')
        out.push({ type: 'Normal', reason: c.type.replace(/^.*\//, ''), message: c.message ?? '' });
      continue;
    }
    if (TRANSIENT_REASONS.has(c.reason ?? '')) continue;
    if (prev?.status === c.status && prev?.reason === c.reason) continue;
    out.push({ type: 'Warning', reason: c.reason || 'NotReady', message: c.message ?? '' });
  }
  return out;
}

interface Parent {
  controllerName?: string;
  parentRef?: { namespace?: string; name?: string; sectionName?: string; port?: number };
  conditions?: unknown;
}

/**
 * A route's Warnings: for each parent of `controllerName` whose Accepted or ResolvedRefs turns
 * False (BackendNotFound, RefNotPermitted, NotAllowedByListeners ...), one Event naming the parent.
 */
export function routeEvents(
  before: unknown,
  after: unknown,
  routeNamespace: string,
  controllerName: string,
): EventNote[] {
  const parents = (s: unknown): Parent[] => {
    const p = (s as { parents?: unknown } | undefined)?.parents;
    return (Array.isArray(p) ? (p as Parent[]) : []).filter((x) => x.controllerName === controllerName);
  };
  const ref = (p: Parent) => {
    const r = p.parentRef ?? {};
    return [r.namespace ?? routeNamespace, r.name, r.sectionName ?? '', r.port ?? 0].join('/');
  };
  const old = parents(before);
  const out: EventNote[] = [];
  for (const p of parents(after)) {
    const prev = old.find((o) => ref(o) === ref(p));
    const r = p.parentRef ?? {};
    const where = `Gateway ${r.namespace ?? routeNamespace}/${r.name}${r.sectionName ? ` listener ${r.sectionName}` : ''}`;
    for (const e of transitionEvents(prev, p, ['Accepted', 'ResolvedRefs']))
      if (e.type === 'Warning') out.push({ ...e, message: `${where}: ${e.message}` });
  }
  return out;
}
