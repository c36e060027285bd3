// Two operator processes, each serving xDS to its own Envoy: only the Lease holder writes
// statuses, yet Programmed counts the Envoy connected to the follower as much as its own.
import type { ControlPlane } from '../local/control-plane/control-plane.ts';
import { startEnvoy, type EnvoyHandle } from '../local/light/envoy.ts';
import type { Pod } from '../local/light/pods.ts';
import { freePort, type Managed } from '../local/common/process.ts';
import type { KubeClient } from '../operator/kube/rest.ts';
import { renderBootstrap } from '../operator/xds/bootstrap.ts';
import {
  cond,
  echoSetup,
  echoRouteYaml,
  eventually,
  gatewayYaml,
  get,
  leaseHolder,
  startCluster,
  startOperatorProcess,
} from '../test-support/operator-harness.ts';

const LEASE_MS = 3000;
const route = (prefixes: string[]) => echoRouteYaml('web', 'web', prefixes);

interface Op {
  id: string;
  proc: Managed;
  xdsPort: number;
}

describe('operator: Programmed with two replicas, an Envoy on each (real kube-apiserver, real Envoys)', () => {
  let cp: ControlPlane;
  let client: KubeClient;
  let echo: Pod;
  const ops: Op[] = [];
  const envoys: EnvoyHandle[] = [];

  const start = async (id: string): Promise<Op> => {
    const xdsPort = await freePort();
    const { proc } = await startOperatorProcess(cp.kubeconfigPath, id, [
      '--xds-address=127.0.0.1',
      `--xds-port=${xdsPort}`,
      '--insecure-xds-plaintext-loopback',
      '--leader-election-namespace=default',
      `--identity=${id}`,
      `--lease-duration-ms=${LEASE_MS}`,
      // Only events may move Programmed within the test, never a periodic pass.
      '--resync-ms=3600000',
      '--log-level=warn',
    ]);
    const op = { id, proc, xdsPort };
    ops.push(op);
    return op;
  };
  const envoyOn = async (op: Op, nodeId: string) => {
    const e = await startEnvoy(
      renderBootstrap({ xdsAddress: '127.0.0.1', xdsPort: op.xdsPort, nodeId, delta: true }),
      { waitReady: false },
    );
    envoys.push(e);
    return e;
  };
  const holder = () => leaseHolder(client);
  const programmed = async () =>
    cond((await get(client, 'gateways', 'web'))?.status?.conditions, 'Programmed');
  const programmedIs = (status: string) =>
    eventually(
      `Gateway web Programmed=${status}`,
      async () => {
        const c = await programmed();
        return c?.status === status && c;
      },
      30000,
    );
  const serves = (p: string) =>
    eventually(
      `${p} through Gateway web`,
      async () => {
        const ip = (await get(client, 'gateways', 'web'))?.status?.addresses?.[0]?.value;
        if (!ip) return false;
        return (await fetch(`http://${ip}${p}`, { signal: AbortSignal.timeout(2000) })).status === 200;
      },
      30000,
    );

  beforeAll(async () => {
    ({ cp, client } = await startCluster());
    echo = await echoSetup(cp, '127.0.207.0/24', [
      gatewayYaml('web', [{ name: 'http', protocol: 'HTTP', port: 80 }]),
      route(['/one']),
    ]);
  });
  afterAll(async () => {
    for (const e of envoys) {
      try {
        process.kill(e.process.child.pid!, 'SIGCONT'); // in case a test stopped midway
      } catch {
        // already gone
      }
      await e.stop();
    }
    for (const op of ops) await op.proc.stop();
    await echo?.stop();
    client?.close();
    await cp?.stop();
  });

  let leader: Op;
  let follower: Op;
  let followerEnvoy: EnvoyHandle;

  it('an Envoy connected only to the follower makes the Gateway Programmed', async () => {
    const [a, b] = await Promise.all([start('op-a'), start('op-b')]);
    const id = await eventually('Lease holder', holder);
    [leader, follower] = id === 'op-a' ? [a!, b!] : [b!, a!];
    followerEnvoy = await envoyOn(follower, 'node-follower');
    expect(await programmedIs('True')).toMatchObject({ reason: 'Programmed' });
    await serves('/one');
  });

  it("a change the follower's Envoy has not taken keeps the Gateway Pending, though the leader's took it", async () => {
    await envoyOn(leader, 'node-leader');
    await programmedIs('True');
    // The follower's Envoy freezes: its stream stays up, but it ACKs nothing.
    process.kill(followerEnvoy.process.child.pid!, 'SIGSTOP');
    await cp.applyYaml(route(['/one', '/two']));
    const c = await programmedIs('False');
    expect(c.reason).toBe('Pending');
    // It thaws, takes the change, and the Gateway is Programmed again.
    process.kill(followerEnvoy.process.child.pid!, 'SIGCONT');
    await programmedIs('True');
    await serves('/two');
  });

  it('the follower dies: its Envoy reconnects to the leader and counts there, its stale report does not block', async () => {
    process.kill(-follower.proc.child.pid!, 'SIGKILL');
    await follower.proc.exited;
    await followerEnvoy.stop();
    // As through the xDS Service: the same node, now connected to the surviving replica.
    await envoyOn(leader, 'node-follower');
    await cp.applyYaml(route(['/one', '/two', '/three']));
    await serves('/three');
    await programmedIs('True');
  });
});
