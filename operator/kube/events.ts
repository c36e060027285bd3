// Kubernetes Events for transitions a user should see in `kubectl describe` (a Gateway becoming
// Accepted or Programmed, a Service getting or losing its address). Fire-and-forget: an Event
// that cannot be written is logged, never retried.
import type { Logger } from 'pino';
import { EVENTS, resourcePath, type KubeObject } from './resources.ts';
import type { KubeClient } from './rest.ts';

export type EventKind = 'Normal' | 'Warning';

export class EventRecorder {
  emitted = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly logger: Logger,
    private readonly component = 'portico',
  ) {}

  record(obj: KubeObject, type: EventKind, reason: string, message: string): void {
    const m = obj.metadata ?? {};
    const namespace = m.namespace ?? 'default';
    const now = new Date().toISOString();
    const body = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${m.name ?? 'object'}.`, namespace },
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
      message: message.slice(0, 1000),
      source: { component: this.component },
      firstTimestamp: now.replace(/\.\d{3}Z$/, 'Z'),
      lastTimestamp: now.replace(/\.\d{3}Z$/, 'Z'),
      count: 1,
      reportingComponent: this.component,
    };
    this.emitted++;
    this.client.request(resourcePath(EVENTS, namespace), { method: 'POST', body }).catch((err: unknown) => {
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

/** The conditions of `types` whose status differs between two status objects' `conditions`. */
export function conditionTransitions(before: unknown, after: unknown, types: readonly string[]): Cond[] {
  const read = (s: unknown): Cond[] => {
    const c = (s as { conditions?: unknown } | undefined)?.conditions;
    return Array.isArray(c) ? (c as Cond[]) : [];
  };
  const old = read(before);
  return read(after).filter(
    (c) => c.type && types.includes(c.type) && old.find((o) => o.type === c.type)?.status !== c.status,
  );
}
