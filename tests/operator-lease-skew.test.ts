// Leader election when the holder's clock is not ours: a candidate must judge the Lease by what it
// observed (the record changing, timed on its own monotonic clock), never by comparing the
// holder's renewTime with its own wall clock (client-go's rule).
import { pino } from 'pino';
import type { ControlPlane } from '../local/control-plane/control-plane.ts';
import { LeaderElector } from '../operator/kube/lease.ts';
import { LEASES, resourcePath } from '../operator/kube/resources.ts';
import type { KubeClient } from '../operator/kube/rest.ts';
import { eventually, startCluster } from '../test-support/operator-harness.ts';

const LEASE_MS = 2000;
const HOUR = 3600_000;

interface LeaseObj {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: { holderIdentity: string; leaseDurationSeconds: number; renewTime: string; acquireTime: string };
}

describe('leader election under clock skew (real kube-apiserver)', () => {
  let cp: ControlPlane;
  let client: KubeClient;
  const electors: LeaderElector[] = [];
  const timers: NodeJS.Timeout[] = [];

  beforeAll(async () => {
    ({ cp, client } = await startCluster());
  });
  afterAll(async () => {
    for (const t of timers) clearInterval(t);
    for (const e of electors) await e.stop(false);
    client?.close();
    await cp?.stop();
  });

  const path = (name: string) => resourcePath(LEASES, 'default', name);
  const micro = (ms: number) => new Date(ms).toISOString().replace(/Z$/, '000Z');
  /** A Lease held by `holder`, whose clock reads ours + `skewMs`. */
  const hold = async (name: string, holder: string, skewMs: number) => {
    const now = Date.now() + skewMs;
    await client.request(resourcePath(LEASES, 'default'), {
      method: 'POST',
      body: {
        apiVersion: LEASES.apiVersion,
        kind: 'Lease',
        metadata: { name, namespace: 'default' },
        spec: {
          holderIdentity: holder,
          leaseDurationSeconds: LEASE_MS / 1000,
          acquireTime: micro(now),
          renewTime: micro(now),
        },
      },
    });
  };
  /** The skewed holder renews every 300 ms, as a live leader does, stamping its own clock. */
  const keepRenewing = (name: string, skewMs: number) => {
    const t = setInterval(() => {
      void (async () => {
        const lease = await client.request<LeaseObj>(path(name));
        if (lease.spec.holderIdentity !== 'skewed') return;
        lease.spec.renewTime = micro(Date.now() + skewMs);
        await client.request(path(name), { method: 'PUT', body: lease }).catch(() => undefined);
      })();
    }, 300);
    timers.push(t);
    return t;
  };
  const candidate = (name: string) => {
    const e = new LeaderElector(client, {
      namespace: 'default',
      name,
      identity: 'candidate',
      leaseDurationMs: LEASE_MS,
      retryMs: 200,
      logger: pino({ level: 'silent' }),
    });
    electors.push(e);
    e.start();
    return e;
  };
  const holderOf = async (name: string) => (await client.request<LeaseObj>(path(name))).spec.holderIdentity;

  it('does not take a Lease from a live holder whose clock is an hour behind', async () => {
    await hold('behind', 'skewed', -HOUR);
    const renewing = keepRenewing('behind', -HOUR);
    const e = candidate('behind');
    // Three lease durations of a live holder: the candidate must stay a follower throughout.
    const until = Date.now() + 3 * LEASE_MS;
    while (Date.now() < until) {
      expect(e.isLeader).toBe(false);
      expect(await holderOf('behind')).toBe('skewed');
      await new Promise((r) => setTimeout(r, 200));
    }
    // Once the holder stops renewing, the candidate takes over after the duration it observed.
    clearInterval(renewing);
    await eventually('candidate leads after the holder stopped', async () => e.isLeader, 5 * LEASE_MS);
    expect(await holderOf('behind')).toBe('candidate');
  });

  it('takes a Lease whose dead holder stamped a renewTime an hour ahead', async () => {
    await hold('ahead', 'skewed', HOUR);
    const e = candidate('ahead');
    await eventually(
      'candidate leads once the record stayed unchanged',
      async () => e.isLeader,
      5 * LEASE_MS,
    );
    expect(await holderOf('ahead')).toBe('candidate');
  });
});
