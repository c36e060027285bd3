// Two operator processes against one API server: only the Lease holder writes; when it dies
// the other takes over within the lease duration, and IP assignments survive both.
import type { ControlPlane } from '../local/control-plane/control-plane.ts';
import type { Managed } from '../local/common/process.ts';
import type { KubeClient } from '../operator/kube/rest.ts';
import {
  cond,
  eventually,
  get,
  leaseHolder,
  metric,
  parentStatus,
  poolYaml,
  claimPool,
  startCluster,
  startOperatorProcess,
  webGatewayYaml,
} from '../test-support/operator-harness.ts';

const LEASE_MS = 3000;

interface Op {
  id: string;
  proc: Managed;
  metricsPort: number;
}

describe('operator: leader election across processes (real kube-apiserver)', () => {
  let cp: ControlPlane;
  let client: KubeClient;
  let pool: string;
  const ops: Op[] = [];

  const start = async (id: string): Promise<Op> => {
    const { proc, metricsPort } = await startOperatorProcess(cp.kubeconfigPath, id, [
      '--xds-port=-1',
      '--leader-election-namespace=default',
      `--identity=${id}`,
      `--lease-duration-ms=${LEASE_MS}`,
      '--log-level=info',
    ]);
    const op = { id, proc, metricsPort };
    ops.push(op);
    return op;
  };
  const holder = () => leaseHolder(client);
  const gatewayIp = async () => (await get(client, 'gateways', 'web'))?.status?.addresses?.[0]?.value;
  const kill = async (op: Op) => {
    process.kill(-op.proc.child.pid!, 'SIGKILL');
    await op.proc.exited;
  };

  beforeAll(async () => {
    ({ cp, client } = await startCluster());
    pool = claimPool(cp);
    await cp.applyYaml(`${webGatewayYaml([{ name: 'http', port: 80 }])}---\n${poolYaml(pool)}`);
  });
  afterAll(async () => {
    for (const op of ops) await op.proc.stop();
    client?.close();
    await cp?.stop();
  });

  let firstIp: string;
  let leader: Op;
  let follower: Op;

  it('elects one leader; only it writes statuses and applies', async () => {
    const [a, b] = await Promise.all([start('op-a'), start('op-b')]);
    firstIp = await eventually('Gateway address', gatewayIp);
    expect(firstIp.split('.').slice(0, 3)).toEqual(pool.split('.').slice(0, 3));
    const id = await eventually('Lease holder', holder);
    [leader, follower] = id === 'op-a' ? [a!, b!] : [b!, a!];
    expect(await metric(leader.metricsPort, 'portico_leader')).toBe(1);
    expect(await metric(follower.metricsPort, 'portico_leader')).toBe(0);
    // A write is counted once its answer is back, which can be after the test reads what it wrote.
    await eventually(
      'the leader counts its status writes',
      async () => (await metric(leader.metricsPort, 'portico_status_writes_total')) > 0,
    );
    expect(await metric(follower.metricsPort, 'portico_status_writes_total')).toBe(0);
    expect(await metric(follower.metricsPort, 'portico_apply_total')).toBe(0);
  });

  it('hands over to the other replica when the leader dies, keeping the address', async () => {
    const killedAt = Date.now();
    await kill(leader);
    await eventually('new Lease holder', async () => (await holder()) === follower.id, 2 * LEASE_MS + 2000);
    process.stdout.write(`takeover after ${Date.now() - killedAt} ms (lease ${LEASE_MS} ms)\n`);
    expect(await metric(follower.metricsPort, 'portico_leader')).toBe(1);
    // The new leader does the writing now.
    await cp.applyYaml(`
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: after-failover, namespace: default }
spec:
  parentRefs: [{ name: web }]
`);
    await eventually('route accepted by the new leader', async () => {
      const p = parentStatus(await get(client, 'httpRoutes', 'after-failover'), 'web');
      return cond(p?.conditions, 'Accepted')?.status === 'True';
    });
    await eventually(
      'the new leader counts its route status write',
      async () => (await metric(follower.metricsPort, 'portico_status_writes_total', 'kind="HTTPRoute"')) > 0,
    );
    expect(await gatewayIp()).toBe(firstIp);
  });

  it('keeps IP assignments across a full restart', async () => {
    await kill(follower);
    const c = await start('op-c');
    await eventually('op-c leads', async () => (await holder()) === 'op-c', 2 * LEASE_MS + 2000);
    // A new Gateway after the restart gets another address; the old one keeps its own.
    await cp.applyYaml(`
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: web2, namespace: default }
spec:
  gatewayClassName: portico
  listeners: [{ name: http, protocol: HTTP, port: 80 }]
`);
    const ip2 = await eventually(
      'web2 address',
      async () => (await get(client, 'gateways', 'web2'))?.status?.addresses?.[0]?.value,
    );
    expect(ip2).not.toBe(firstIp);
    expect(await gatewayIp()).toBe(firstIp);
    expect(await metric(c.metricsPort, 'portico_leader')).toBe(1);
  });

  it('releases the Lease on SIGTERM so a standby takes over without waiting for expiry', async () => {
    const c = ops.find((o) => o.id === 'op-c')!;
    await start('op-d');
    await c.proc.stop(); // SIGTERM: graceful shutdown
    expect(await c.proc.exited).toBe(0);
    // Right after a clean exit the Lease no longer names op-c (released, or already op-d's).
    expect(await holder()).not.toBe('op-c');
    await eventually('op-d leads', async () => (await holder()) === 'op-d', 2 * LEASE_MS + 2000);
  });
});
