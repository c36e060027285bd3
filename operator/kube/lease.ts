// Leader election on a coordination.k8s.io Lease, as client-go does it: the holder renews every
// `retryMs`; anyone may take the Lease once it has seen the same record for leaseDuration on its
// own monotonic clock. Another holder's renewTime is never compared with the local clock: the two
// clocks may disagree by any amount. Writes use the read resourceVersion, so two candidates cannot
// both win.
import type { Logger } from 'pino';
import { LEASES, resourcePath } from './resources.ts';
import { isKubeError, type KubeClient } from './rest.ts';

export interface LeaderElectorOptions {
  namespace: string;
  name: string;
  identity: string;
  logger: Logger;
  /** @default 15000 */
  leaseDurationMs?: number;
  /** How often to try to acquire or renew. @default 2000 */
  retryMs?: number;
  onStartedLeading?: () => void;
  onStoppedLeading?: () => void;
}

interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

export class LeaderElector {
  private leading = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  /** When our last successful renew happened (monotonic): we step down if renewals keep failing. */
  private lastRenew = 0;
  /** The holder's record as last read, and when (monotonic) it last changed. */
  private observed: { record: string; at: number } | undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly opts: LeaderElectorOptions,
  ) {}

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.tick();
  }

  /** Stops campaigning; a leader releases the Lease so another replica takes over at once. */
  async stop(release = true): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.leading && release) {
      try {
        const lease = await this.read();
        if (lease?.spec?.holderIdentity === this.opts.identity) {
          await this.write({
            ...lease,
            spec: { ...lease.spec, holderIdentity: '', renewTime: microTime(new Date(0)) },
          });
        }
      } catch (err) {
        this.opts.logger.warn({ err: String(err) }, 'could not release lease');
      }
    }
    this.setLeading(false);
  }

  private async tick(): Promise<void> {
    try {
      await this.tryAcquireOrRenew();
    } catch (err) {
      this.opts.logger.warn({ err: String(err) }, 'lease acquire/renew failed');
    }
    if (this.leading && performance.now() - this.lastRenew > this.durationMs) {
      this.opts.logger.warn('lease not renewed within its duration, stepping down');
      this.setLeading(false);
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), this.opts.retryMs ?? 2000);
  }

  private get durationMs(): number {
    return this.opts.leaseDurationMs ?? 15000;
  }

  private async tryAcquireOrRenew(): Promise<void> {
    const now = new Date();
    const { identity, namespace, name } = this.opts;
    const spec = (prev?: Lease['spec'], transition = false): NonNullable<Lease['spec']> => ({
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(this.durationMs / 1000),
      acquireTime: transition || !prev?.acquireTime ? microTime(now) : prev.acquireTime,
      renewTime: microTime(now),
      leaseTransitions: (prev?.leaseTransitions ?? 0) + (transition && prev ? 1 : 0),
    });
    const lease = await this.read();
    if (!lease) {
      try {
        await this.client.request(resourcePath(LEASES, namespace), {
          method: 'POST',
          body: {
            apiVersion: LEASES.apiVersion,
            kind: 'Lease',
            metadata: { name, namespace },
            spec: spec(undefined, true),
          },
        });
      } catch (err) {
        if (isKubeError(err, 409)) return; // someone else created it first
        throw err;
      }
      return this.won();
    }
    const holder = lease.spec?.holderIdentity ?? '';
    if (holder === identity) {
      await this.write({ ...lease, spec: spec(lease.spec) });
      return this.won();
    }
    const duration = (lease.spec?.leaseDurationSeconds ?? Math.ceil(this.durationMs / 1000)) * 1000;
    if (holder && !this.observedExpired(lease, duration)) {
      this.setLeading(false);
      return;
    }
    await this.write({ ...lease, spec: spec(lease.spec, true) });
    this.opts.logger.info({ previous: holder || undefined }, 'acquired lease');
    this.won();
  }

  /**
   * client-go's rule: the Lease is expired once its record (holder, renewTime, ...) has not changed
   * for `duration`, timed from when this process first saw that record.
   */
  private observedExpired(lease: Lease, duration: number): boolean {
    const s = lease.spec ?? {};
    const record = JSON.stringify([s.holderIdentity, s.renewTime, s.acquireTime, s.leaseTransitions]);
    const now = performance.now();
    if (this.observed?.record !== record) this.observed = { record, at: now };
    return now - this.observed.at > duration;
  }

  private won(): void {
    this.lastRenew = performance.now();
    this.setLeading(true);
  }

  private setLeading(v: boolean): void {
    if (v === this.leading) return;
    this.leading = v;
    this.opts.logger.info(
      { lease: `${this.opts.namespace}/${this.opts.name}`, identity: this.opts.identity },
      v ? 'became leader' : 'lost leadership',
    );
    if (v) this.opts.onStartedLeading?.();
    else this.opts.onStoppedLeading?.();
  }

  private async read(): Promise<Lease | undefined> {
    try {
      return await this.client.request<Lease>(resourcePath(LEASES, this.opts.namespace, this.opts.name));
    } catch (err) {
      if (isKubeError(err, 404)) return undefined;
      throw err;
    }
  }

  private async write(lease: Lease): Promise<void> {
    await this.client.request(resourcePath(LEASES, this.opts.namespace, this.opts.name), {
      method: 'PUT',
      body: lease,
    });
  }
}

/** metav1.MicroTime: RFC 3339 with microseconds. */
function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
