// Header values from routes reach clients and backends as written, `%` included: Envoy would read
// them as format strings (and refuse `100%`) unless the xDS layer escapes them.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { startEnvoy, type EnvoyHandle } from '../local/light/envoy.ts';
import { freePort } from '../local/common/process.ts';
import type { IR } from '../operator/ir/index.ts';
import { renderBootstrap } from '../operator/xds/bootstrap.ts';
import { AdsServer } from '../operator/xds/server.ts';
import { translateIr } from '../operator/xds/translate.ts';
import { forwardAll, loopbackHttpListener } from '../test-support/xds-ir.ts';

const VALUES = ['100%', '%REQ(host)%', '%%', 'a % b'];

describe('header values with % through a real Envoy', () => {
  let server: AdsServer;
  let envoy: EnvoyHandle;
  let backend: http.Server;
  let port: number;

  const ir = (): IR => ({
    httpListeners: [
      loopbackHttpListener('gw', port, [
        forwardAll('ns/r/rule/0/match/0', 'ns/echo/80', {
          requestHeaders: {
            set: VALUES.map((value, i) => ({ name: `x-req-${i}`, value })),
            add: [],
            remove: [],
          },
          responseHeaders: {
            set: [],
            add: VALUES.map((value, i) => ({ name: `x-res-${i}`, value })),
            remove: [],
          },
        }),
      ]),
    ],
    tlsPassthroughListeners: [],
    clusters: [
      {
        name: 'ns/echo/80',
        service: { namespace: 'ns', name: 'echo', port: 80 },
        endpoints: [{ address: '127.0.0.1', port: (backend.address() as AddressInfo).port }],
      },
    ],
  });

  beforeAll(async () => {
    backend = http.createServer((req, res) => res.end(JSON.stringify(req.headers)));
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    port = await freePort();
    server = new AdsServer({ logger: pino({ level: 'warn' }) });
    const xdsPort = await server.listenPlaintextLoopback('127.0.0.1');
    envoy = await startEnvoy(renderBootstrap({ nodeId: 'header-values', xdsAddress: '127.0.0.1', xdsPort }), {
      waitReady: false,
    });
    server.setSnapshot(translateIr(ir(), 'v1'));
    // Rejects on a NACK: Envoy refuses `100%` as a format string.
    await server.waitForAck('v1', { timeoutMs: 60000 });
  }, 90000);

  afterAll(async () => {
    await envoy?.stop();
    await server?.stop();
    await new Promise((r) => backend?.close(r));
  });

  it('the backend gets the request headers and the client the response headers as written', async () => {
    const { headers, body } = await new Promise<{ headers: http.IncomingHttpHeaders; body: string }>(
      (resolve, reject) => {
        const req = http.get(
          { host: '127.0.0.1', port, path: '/', headers: { host: 'x.example' } },
          (res) => {
            let b = '';
            res.on('data', (d: Buffer) => (b += d.toString()));
            res.on('end', () => resolve({ headers: res.headers, body: b }));
          },
        );
        req.on('error', reject);
      },
    );
    const seen = JSON.parse(body) as Record<string, string>;
    VALUES.forEach((value, i) => {
      expect(seen[`x-req-${i}`]).toBe(value);
      expect(headers[`x-res-${i}`]).toBe(value);
    });
  });
});
