// Frontend client certificate validation on a real Envoy: the xDS that translateIr makes for a
// port with tls.frontend is accepted, a client with a certificate from the CA gets through, one
// without or with another CA's does not; AllowInsecureFallback lets all three through.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { startEnvoy, type EnvoyHandle } from '../local/light/envoy.ts';
import { freePort } from '../local/common/process.ts';
import { makeCa, makeLeaf, type CertKey } from '../operator/certgen/certs.ts';
import type { HttpListener, IR } from '../operator/ir/index.ts';
import { renderBootstrap } from '../operator/xds/bootstrap.ts';
import { AdsServer } from '../operator/xds/server.ts';
import { translateIr } from '../operator/xds/translate.ts';

describe('client certificate validation on a real Envoy', () => {
  let server: AdsServer;
  let envoy: EnvoyHandle;
  let backend: http.Server;
  let port: number;
  const serverCa = makeCa(new Date(), 'server-ca');
  const serverCert = makeLeaf(serverCa, {
    commonName: 'a.example',
    dnsNames: ['a.example'],
    usage: 'server',
  });
  const clientCa = makeCa(new Date(), 'client-ca');
  const goodClient = makeLeaf(clientCa, { commonName: 'good', usage: 'client' });
  const strangerClient = makeLeaf(makeCa(new Date(), 'other-ca'), {
    commonName: 'stranger',
    usage: 'client',
  });

  const ir = (allowInsecure: boolean): IR => {
    const listener: HttpListener = {
      name: `ns/gw/127.0.0.1/${port}`,
      gateway: { namespace: 'ns', name: 'gw' },
      address: '127.0.0.1',
      port,
      protocol: 'HTTPS',
      tls: {
        certificates: [
          { secretName: 'ns/cert', sniHostnames: [], certPem: serverCert.certPem, keyPem: serverCert.keyPem },
        ],
      },
      virtualHosts: [],
      chains: [
        {
          name: 'https',
          sniHostnames: [],
          certificates: ['ns/cert'],
          virtualHosts: [
            {
              name: '*',
              domains: ['*'],
              routes: [
                {
                  name: 'ns/r/rule/0/match/0',
                  match: { path: { type: 'PathPrefix', value: '/' }, headers: [], queryParams: [] },
                  action: { type: 'Forward', backends: [{ cluster: 'ns/svc/80', weight: 1 }] },
                },
              ],
            },
          ],
        },
      ],
      clientValidation: { name: `ns/gw/${port}/client-ca`, caPem: clientCa.certPem, allowInsecure },
    };
    return {
      httpListeners: [listener],
      tlsPassthroughListeners: [],
      clusters: [
        {
          name: 'ns/svc/80',
          service: { namespace: 'ns', name: 'svc', port: 80 },
          endpoints: [{ address: '127.0.0.1', port: (backend.address() as AddressInfo).port }],
        },
      ],
    };
  };

  /** The status code, or the error's code when the handshake or the request fails. */
  const get = (client?: CertKey) =>
    new Promise<string>((resolve) => {
      const req = https.get(
        {
          host: '127.0.0.1',
          port,
          servername: 'a.example',
          path: '/',
          ca: serverCa.certPem,
          agent: false,
          timeout: 10000,
          ...(client ? { cert: client.certPem, key: client.keyPem } : {}),
        },
        (res) => {
          res.resume();
          resolve(String(res.statusCode));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });

  beforeAll(async () => {
    backend = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    port = await freePort();
    server = new AdsServer({ logger: pino({ level: 'silent' }) });
    const xdsPort = await server.listenPlaintextLoopback('127.0.0.1');
    envoy = await startEnvoy(renderBootstrap({ nodeId: 'mtls', xdsAddress: '127.0.0.1', xdsPort }), {
      waitReady: false,
    });
  });

  afterAll(async () => {
    await envoy?.stop();
    await server?.stop();
    await new Promise((r) => backend?.close(r));
  });

  /** Until the listener answers (Envoy warms it until the CA secret arrives). */
  async function untilServing(): Promise<void> {
    const deadline = Date.now() + 30000;
    while ((await get(goodClient)) !== '200') {
      if (Date.now() > deadline) throw new Error('listener never served the trusted client');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('AllowValidOnly: only a certificate from the CA gets through', async () => {
    server.setSnapshot(translateIr(ir(false), 'v1'));
    await server.waitForAck('v1');
    await untilServing();
    expect(await get(goodClient)).toBe('200');
    expect(await get()).not.toBe('200');
    expect(await get(strangerClient)).not.toBe('200');
  });

  it('AllowInsecureFallback: a missing or untrusted certificate gets through too', async () => {
    server.setSnapshot(translateIr(ir(true), 'v2'));
    await server.waitForAck('v2');
    const deadline = Date.now() + 30000;
    while ((await get()) !== '200' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await get()).toBe('200');
    expect(await get(strangerClient)).toBe('200');
    expect(await get(goodClient)).toBe('200');
  });
});
