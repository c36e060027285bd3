import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { startEnvoy, type EnvoyHandle } from '../local/light/envoy.ts';
import { freePort, waitFor } from '../local/common/process.ts';
import type { IR } from '../operator/ir/index.ts';
import { renderBootstrap } from '../operator/xds/bootstrap.ts';
import { AdsServer } from '../operator/xds/server.ts';
import { translateIr } from '../operator/xds/translate.ts';
import { oneRouteIr } from '../test-support/xds-ir.ts';

// Two Envoys (two "nodes") on one ADS server, then a replacement server: the Envoys keep
// serving while the control plane is gone and pick up the new server's config.
describe.each([
  ['State of the World', false],
  ['Delta', true],
])('several Envoys and an ADS server restart (%s)', (_mode, delta) => {
  let backend: http.Server;
  const envoys: EnvoyHandle[] = [];
  const ports: number[] = [];
  let xdsPort: number;
  let server: AdsServer;

  const ir = (body: string): IR => oneRouteIr(ports, (backend.address() as AddressInfo).port, body);
  const configOf = async (port: number) => (await fetch(`http://127.0.0.1:${port}/`)).headers.get('x-config');

  beforeAll(async () => {
    backend = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    // Both Envoys bind both listeners (every node binds every Gateway; Envoy sets SO_REUSEPORT).
    ports.push(await freePort(), await freePort());
    server = new AdsServer({ logger: pino({ level: 'warn' }) });
    xdsPort = await server.listenPlaintextLoopback('127.0.0.1');
  });

  afterAll(async () => {
    for (const e of envoys) await e.stop();
    await server?.stop();
    await new Promise((r) => backend?.close(r));
  });

  it('waits for every connected node before reporting a snapshot ACKed', async () => {
    for (const node of ['node-a', 'node-b']) {
      envoys.push(
        await startEnvoy(renderBootstrap({ nodeId: node, xdsAddress: '127.0.0.1', xdsPort, delta }), {
          waitReady: false,
        }),
      );
    }
    await waitFor('both nodes connected', async () => server.connectedNodes().length === 2);
    server.setSnapshot(translateIr(ir('one'), 'v1'));
    await server.waitForAck('v1');
    expect(server.ackedVersion('node-a')).toBe('v1');
    expect(server.ackedVersion('node-b')).toBe('v1');
  });

  it('keeps serving while the control plane is down and resyncs with a new server', async () => {
    await server.stop();
    await waitFor('nodes see the disconnect', async () => server.connectedNodes().length === 0);
    expect(await configOf(ports[0]!)).toBe('one');
    server = new AdsServer({ logger: pino({ level: 'warn' }) });
    expect(await server.listenPlaintextLoopback('127.0.0.1', xdsPort)).toBe(xdsPort);
    server.setSnapshot(translateIr(ir('two'), 'v2'));
    await waitFor('both nodes reconnected', async () => server.connectedNodes().length === 2, {
      timeoutMs: 60000,
    });
    await server.waitForAck('v2', { timeoutMs: 30000 });
    expect(await configOf(ports[0]!)).toBe('two');
    expect(await configOf(ports[1]!)).toBe('two');
  });
});
