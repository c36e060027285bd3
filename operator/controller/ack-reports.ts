// Every replica serves xDS, but only the Lease holder writes statuses. So each replica publishes
// what the Envoys connected to it run (per Gateway: the listeners' hash it took, or what it
// refused) in a Lease of its own, and every replica reads the others': Programmed then counts
// every Envoy of the cluster, whichever replica it happens to be connected to. A report whose
// record has not changed for the lease duration on our own monotonic clock (client-go's rule)
// is ignored, so a dead replica's Envoys stop counting once they could have moved elsewhere.
import type { Logger } from 'pino';
import { LEASES, resourcePath } from '../kube/resources.ts';
import { isKubeError, type KubeClient } from '../kube/rest.ts';
import type { NodePrograms } from './xds-sink.ts';

export const REPORT_LABEL = 'portico.dev/xds-report';
export const REPORT_ANNOTATION = 'portico.dev/envoys';
/** The leader deletes reports left unchanged this many lease durations (replicas gone for good). */
const GC_DURATIONS = 10;

export interface AckReportsOptions {
  namespace: string;
  identity: string;
  durationMs: number;
  logger: Logger;
  /** The Envoys connected to this replica. */
  local: () => NodePrograms;
  /** Another replica's report changed (or expired). */
  onChange: () => void;
  isLeader: () => boolean;
}

interface ReportLease {
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; renewTime?: string };
}

/** A Lease name (DNS subdomain) for a replica identity. */
export function reportName(identity: string): string {
  const safe = identity
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return `portico-xds-${safe || 'replica'}`.slice(0, 253).replace(/[^a-z0-9]+$/, '');
}

export class AckReports {
  private timer: NodeJS.Timeout | undefined;
  private soon: NodeJS.Timeout | undefined;
  private stopped = true;
  private published = '';
  private publishedAt = -Infinity;
  private running: Promise<void> = Promise.resolve();
  private ticking = false;
  /** Report name -> the record last read, and when (monotonic) it last changed. */
  private readonly observed = new Map<string, { record: string; at: number; programs: NodePrograms }>();
  private merged = '{}';
  private remotePrograms: NodePrograms = {};

  constructor(
    private readonly client: KubeClient,
    private readonly opts: AckReportsOptions,
  ) {}

  private get name(): string {
    return reportName(this.opts.identity);
  }

  private get intervalMs(): number {
    return Math.max(200, Math.floor(this.opts.durationMs / 5));
  }

  /** What the Envoys connected to the other live replicas run. */
  remote(): NodePrograms {
    return this.remotePrograms;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.tick();
  }

  /** The local Envoys changed: publish soon (coalescing a burst of ACKs). */
  changed(): void {
    if (this.stopped || this.soon) return;
    this.soon = setTimeout(() => {
      this.soon = undefined;
      this.run(() => this.publish());
    }, 50);
  }

  /** Publishes an empty report, so the leader stops counting this replica's Envoys at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.soon);
    await this.running;
    try {
      await this.write('{}');
    } catch (err) {
      this.opts.logger.debug({ err: String(err) }, 'could not clear the xDS report');
    }
  }

  private tick(): void {
    // A slow API server must not pile up ticks behind one another.
    if (!this.ticking) {
      this.ticking = true;
      this.run(async () => {
        try {
          await this.publish();
          await this.read();
        } finally {
          this.ticking = false;
        }
      });
    }
    if (!this.stopped) this.timer = setTimeout(() => this.tick(), this.intervalMs);
  }

  /** One step at a time: a publish never races another one's resourceVersion. */
  private run(step: () => Promise<void>): void {
    this.running = this.running.then(async () => {
      if (this.stopped) return;
      try {
        await step();
      } catch (err) {
        this.opts.logger.warn({ err: String(err) }, 'xDS report failed');
      }
    });
  }

  private async publish(): Promise<void> {
    const body = JSON.stringify(this.opts.local());
    // Renew an unchanged report well within the duration, so readers keep counting it.
    if (body === this.published && performance.now() - this.publishedAt < this.opts.durationMs / 3) return;
    await this.write(body);
    this.published = body;
    this.publishedAt = performance.now();
  }

  private async write(body: string): Promise<void> {
    const { namespace, identity } = this.opts;
    const path = resourcePath(LEASES, namespace, this.name);
    const lease: ReportLease = {
      metadata: {
        name: this.name,
        namespace,
        labels: { [REPORT_LABEL]: 'true' },
        annotations: { [REPORT_ANNOTATION]: body },
      },
      spec: {
        holderIdentity: identity,
        leaseDurationSeconds: Math.ceil(this.opts.durationMs / 1000),
        renewTime: new Date().toISOString().replace(/Z$/, '000Z'),
      },
    };
    try {
      const old = await this.client.request<ReportLease>(path);
      lease.metadata.resourceVersion = old.metadata.resourceVersion;
      await this.client.request(path, {
        method: 'PUT',
        body: { apiVersion: LEASES.apiVersion, kind: 'Lease', ...lease },
      });
    } catch (err) {
      if (!isKubeError(err, 404)) throw err;
      await this.client.request(resourcePath(LEASES, namespace), {
        method: 'POST',
        body: { apiVersion: LEASES.apiVersion, kind: 'Lease', ...lease },
      });
    }
  }

  private async read(): Promise<void> {
    const list = await this.client.request<{ items: ReportLease[] }>(
      resourcePath(LEASES, this.opts.namespace),
      {
        query: { labelSelector: `${REPORT_LABEL}=true` },
      },
    );
    const now = performance.now();
    const seen = new Set<string>();
    const live: NodePrograms[] = [];
    for (const l of list.items) {
      const name = l.metadata.name;
      if (name === this.name) continue;
      seen.add(name);
      const body = l.metadata.annotations?.[REPORT_ANNOTATION] ?? '{}';
      const record = `${l.spec?.renewTime ?? ''}\0${body}`;
      let o = this.observed.get(name);
      if (o?.record !== record) {
        o = { record, at: now, programs: parsePrograms(body) };
        this.observed.set(name, o);
      }
      const duration = (l.spec?.leaseDurationSeconds ?? Math.ceil(this.opts.durationMs / 1000)) * 1000;
      if (now - o.at <= duration) live.push(o.programs);
      else if (this.opts.isLeader() && now - o.at > GC_DURATIONS * duration) await this.remove(name);
    }
    for (const name of this.observed.keys()) if (!seen.has(name)) this.observed.delete(name);
    const programs: NodePrograms = Object.assign({}, ...live);
    const merged = JSON.stringify(programs);
    if (merged === this.merged) return;
    this.merged = merged;
    this.remotePrograms = programs;
    this.opts.onChange();
  }

  private async remove(name: string): Promise<void> {
    try {
      await this.client.request(resourcePath(LEASES, this.opts.namespace, name), { method: 'DELETE' });
      this.observed.delete(name);
    } catch (err) {
      if (!isKubeError(err, 404)) throw err;
    }
  }
}

function parsePrograms(body: string): NodePrograms {
  try {
    const v: unknown = JSON.parse(body);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as NodePrograms) : {};
  } catch {
    return {};
  }
}
