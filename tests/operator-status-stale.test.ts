// A status write from a snapshot older than our own last write: the server holds what we wrote,
// not what the snapshot shows, so "equal to the snapshot" must not skip the write.
import { pino } from 'pino';
import { startControlPlane, type ControlPlane } from '../local/control-plane/control-plane.ts';
import { KubeClient } from '../operator/kube/rest.ts';
import { RESOURCES, resourcePath } from '../operator/kube/resources.ts';
import { StaleCacheError, StatusWriter, type WithStatus } from '../operator/kube/status.ts';
import { statusEqual } from '../operator/translate/index.ts';

describe('status writes from a stale snapshot (real kube-apiserver)', () => {
  let cp: ControlPlane;
  let client: KubeClient;

  beforeAll(async () => {
    cp = await startControlPlane();
    await cp.installGatewayCrds();
    client = new KubeClient(cp.kubeConfig);
  }, 120000);
  afterAll(async () => {
    client?.close();
    await cp?.stop();
  });

  const programmed = (status: 'True' | 'False', reason: string) => ({
    conditions: [
      {
        type: 'Programmed',
        status,
        reason,
        message: reason,
        observedGeneration: 1,
        lastTransitionTime: '2026-01-01T00:00:00Z',
      },
    ],
  });

  it('wants the old status back after writing another: it writes (409 from the old version), never skips', async () => {
    const path = resourcePath(RESOURCES.gateways, 'default', 'web');
    await client.request(resourcePath(RESOURCES.gateways, 'default'), {
      method: 'POST',
      body: {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'Gateway',
        metadata: { name: 'web', namespace: 'default' },
        spec: { gatewayClassName: 'portico', listeners: [{ name: 'http', protocol: 'HTTP', port: 80 }] },
      },
    });
    const w = new StatusWriter(client, { logger: pino({ level: 'silent' }), equal: statusEqual });
    const v0 = await client.request<WithStatus>(path);
    await w.write(RESOURCES.gateways, v0, programmed('True', 'Programmed'));
    const v1 = await client.request<WithStatus>(path);
    // Our next write (a push not yet ACKed) lands on v1...
    expect(await w.write(RESOURCES.gateways, v1, programmed('False', 'Pending'))).toBe(true);
    // ...and a newer translation, from a snapshot still at v1, wants True again: v1 shows True,
    // but the server holds Pending. Skipping here left Programmed stuck at Pending.
    await expect(w.write(RESOURCES.gateways, v1, programmed('True', 'Programmed'))).rejects.toBeInstanceOf(
      StaleCacheError,
    );
    // From the version the watch brings, it writes True.
    const v2 = await client.request<WithStatus>(path);
    expect(await w.write(RESOURCES.gateways, v2, programmed('True', 'Programmed'))).toBe(true);
    const now = await client.request<WithStatus>(path);
    expect(now.status).toMatchObject(programmed('True', 'Programmed'));
  });
});
