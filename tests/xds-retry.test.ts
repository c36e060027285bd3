// HTTPRoute retry through a real Envoy: connection errors are retried (HTTPRouteRetryConnectionError)
// and backendRequest bounds each attempt, a timed-out one being retried (HTTPRouteRetryBackendTimeout).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { startEnvoy, type EnvoyHandle } from '../local/light/envoy.ts';
import { freePort } from '../local/common/process.ts';
import type { IR, Route } from '../operator/ir/index.ts';
import { renderBootstrap } from '../operator/xds/bootstrap.ts';
import { AdsServer } from '../operator/xds/server.ts';
import { translateIr } from '../operator/xds/translate.ts';
import { forwardAll, loopbackHttpListener } from '../test-support/xds-ir.ts';

describe('HTTPRoute retry through a real Envoy', () => {
  let server: AdsServer;
  let envoy: EnvoyHandle;
  let backend: http.Server;
  let port: number;
  let deadPort: number;
  let version = 0;
  /** Attempts the backend saw, by x-id. */
  const attempts = new Map<string, number>();

  const apply = async (route: Route, endpoints: { address: string; port: number }[]) => {
    const ir: IR = {
      httpListeners: [loopbackHttpListener('gw', port, [route])],
      tlsPassthroughListeners: [],
      clusters: [{ name: 'ns/echo/80', service: { namespace: 'ns', name: 'echo', port: 80 }, endpoints }],
    };
    const v = `v${++version}`;
    server.setSnapshot(translateIr(ir, v));
    await server.waitForAck(v, { timeoutMs: 60000 });
  };
  const live = () => ({ address: '127.0.0.1', port: (backend.address() as AddressInfo).port });

  const get = (id: string) =>
    new Promise<number>((resolve, reject) => {
      const req = http.get(
        { host: '127.0.0.1', port, path: '/', headers: { 'x-id': id }, agent: false },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
    });

  beforeAll(async () => {
    // The first attempt of each request id hangs for 5 s; later ones answer at once.
    backend = http.createServer((req, res) => {
      const id = String(req.headers['x-id']);
      const n = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, n);
      if (n === 1 && id.startsWith('slow')) setTimeout(() => res.end('late'), 5000);
      else res.end('ok');
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    [port, deadPort] = await Promise.all([freePort(), freePort()]);
    server = new AdsServer({ logger: pino({ level: 'warn' }) });
    const xdsPort = await server.listenPlaintextLoopback('127.0.0.1');
    envoy = await startEnvoy(renderBootstrap({ nodeId: 'retry', xdsAddress: '127.0.0.1', xdsPort }), {
      waitReady: false,
    });
  }, 90000);

  afterAll(async () => {
    await envoy?.stop();
    await server?.stop();
    backend?.closeAllConnections();
    await new Promise((r) => backend?.close(r));
  });

  it('a refused connection is tried again on another endpoint', async () => {
    // Round robin over a dead port and the backend: without the retry, every other request fails.
    await apply(
      forwardAll('ns/r/rule/0/match/0', 'ns/echo/80', { retry: { statusCodes: [], attempts: 2 } }),
      [{ address: '127.0.0.1', port: deadPort }, live()],
    );
    const codes: number[] = [];
    for (let i = 0; i < 8; i++) codes.push(await get(`refused-${i}`));
    expect(codes).toEqual(Array(8).fill(200));
  });

  it('an attempt past backendRequest is cut and tried again', async () => {
    await apply(
      forwardAll('ns/r/rule/0/match/0', 'ns/echo/80', {
        retry: { statusCodes: [], attempts: 2, perTryTimeoutMs: 300 },
      }),
      [live()],
    );
    expect(await get('slow-1')).toBe(200);
    expect(attempts.get('slow-1')).toBe(2);
  });
});
