import crypto from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { pino } from 'pino';
import { startEnvoy, type EnvoyHandle } from '../local/light/envoy.ts';
import { freePort } from '../local/common/process.ts';
import { makeCa, makeLeaf, type CertKey } from '../operator/certgen/certs.ts';
import type { IR, TlsCertificate } from '../operator/ir/index.ts';
import { renderBootstrap } from '../operator/xds/bootstrap.ts';
import { AdsServer } from '../operator/xds/server.ts';
import { translateIr } from '../operator/xds/translate.ts';

interface Pem {
  cert: string;
  key: string;
}

const pem = (c: CertKey): Pem => ({ cert: c.certPem, key: c.keyPem });
const serverCert = (ca: CertKey, name: string) =>
  pem(makeLeaf(ca, { commonName: name, dnsNames: [name], usage: 'server' }));

const testCa = makeCa(new Date(), 'Portico Test CA');
const ca = pem(testCa);
const bookinfo = serverCert(testCa, 'bookinfo.example');
const hipster = serverCert(testCa, 'hipster.example');
const otherCa = makeCa(new Date(), 'Backend CA');
const backendCa = pem(otherCa);
const backendCert = serverCert(otherCa, 'pass.example');

describe.each([
  ['State of the World', false],
  ['Delta', true],
])('IR translated to Envoy config, served by a real Envoy (%s)', (_mode, delta) => {
  let server: AdsServer;
  let envoy: EnvoyHandle;
  let plain: http.Server;
  let secure: https.Server;
  let httpsPort: number;
  let passPort: number;

  const ir = (bookinfoPem: Pem): IR => {
    const certs: TlsCertificate[] = [
      {
        secretName: 'ns/bookinfo',
        sniHostnames: ['bookinfo.example'],
        certPem: bookinfoPem.cert,
        keyPem: bookinfoPem.key,
      },
      {
        secretName: 'ns/hipster',
        sniHostnames: ['hipster.example'],
        certPem: hipster.cert,
        keyPem: hipster.key,
      },
    ];
    const vh = (host: string) => ({
      name: host,
      domains: [host],
      routes: [
        {
          name: `ns/${host}/rule/0/match/0`,
          match: { path: { type: 'PathPrefix' as const, value: '/' }, headers: [], queryParams: [] },
          action: { type: 'Forward' as const, backends: [{ cluster: 'ns/plain/80', weight: 1 }] },
          responseHeaders: { set: [{ name: 'x-vhost', value: host }], add: [], remove: [] },
        },
      ],
    });
    return {
      httpListeners: [
        {
          name: `ns/gw/127.0.0.1/${httpsPort}`,
          gateway: { namespace: 'ns', name: 'gw' },
          address: '127.0.0.1',
          port: httpsPort,
          protocol: 'HTTPS',
          tls: { certificates: certs },
          virtualHosts: [vh('bookinfo.example'), vh('hipster.example')],
        },
      ],
      tlsPassthroughListeners: [
        {
          name: `ns/gw/127.0.0.1/${passPort}`,
          gateway: { namespace: 'ns', name: 'gw' },
          address: '127.0.0.1',
          port: passPort,
          routes: [
            {
              name: 'ns/pass/rule/0',
              sniHostnames: ['pass.example'],
              backends: [{ cluster: 'ns/secure/443', weight: 1 }],
            },
          ],
        },
      ],
      clusters: [
        {
          name: 'ns/plain/80',
          service: { namespace: 'ns', name: 'plain', port: 80 },
          endpoints: [{ address: '127.0.0.1', port: (plain.address() as AddressInfo).port }],
        },
        {
          name: 'ns/secure/443',
          service: { namespace: 'ns', name: 'secure', port: 443 },
          endpoints: [{ address: '127.0.0.1', port: (secure.address() as AddressInfo).port }],
        },
      ],
    };
  };

  const httpsGet = (host: string) =>
    new Promise<{ status: number; body: string; vhost: string; peerCn: string; alpn: string | false | null }>(
      (resolve, reject) => {
        const req = https.request(
          {
            host: '127.0.0.1',
            port: httpsPort,
            servername: host,
            headers: { host },
            ca: ca.cert,
            agent: false,
          },
          (res) => {
            let body = '';
            res.on('data', (d: Buffer) => (body += d.toString()));
            res.on('end', () => {
              const sock = res.socket as tls.TLSSocket;
              resolve({
                status: res.statusCode ?? 0,
                body,
                vhost: String(res.headers['x-vhost']),
                peerCn: String(sock.getPeerCertificate().subject?.CN),
                alpn: sock.alpnProtocol,
              });
            });
          },
        );
        req.on('error', reject);
        req.end();
      },
    );

  const tlsHandshake = (port: number, servername: string, caPem: string, alpn?: string[]) =>
    new Promise<tls.TLSSocket>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, servername, ca: caPem, ALPNProtocols: alpn }, () =>
        resolve(s),
      );
      s.on('error', reject);
    });

  beforeAll(async () => {
    plain = http.createServer((req, res) => res.end(`plain ${req.headers.host}`));
    secure = https.createServer({ cert: backendCert.cert, key: backendCert.key }, (_req, res) =>
      res.end('secure'),
    );
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => secure.listen(0, '127.0.0.1', r));
    [httpsPort, passPort] = await Promise.all([freePort(), freePort()]);
    server = new AdsServer({ logger: pino({ level: 'warn' }) });
    const xdsPort = await server.listenPlaintextLoopback('127.0.0.1');
    envoy = await startEnvoy(
      renderBootstrap({ nodeId: 'translate-test', xdsAddress: '127.0.0.1', xdsPort, delta }),
      {
        waitReady: false,
      },
    );
    server.setSnapshot(translateIr(ir(bookinfo), 'v1'));
    await server.waitForAck('v1');
  });

  afterAll(async () => {
    await envoy?.stop();
    await server?.stop();
    await new Promise((r) => plain?.close(r));
    await new Promise((r) => secure?.close(r));
  });

  it('terminates HTTPS per SNI with the right certificate, verified against the test CA', async () => {
    expect(await httpsGet('bookinfo.example')).toMatchObject({
      status: 200,
      body: 'plain bookinfo.example',
      vhost: 'bookinfo.example',
      peerCn: 'bookinfo.example',
    });
    expect(await httpsGet('hipster.example')).toMatchObject({ status: 200, peerCn: 'hipster.example' });
  });

  it('offers h2 and http/1.1 by ALPN', async () => {
    for (const proto of ['h2', 'http/1.1']) {
      const s = await tlsHandshake(httpsPort, 'bookinfo.example', ca.cert, [proto]);
      expect(s.alpnProtocol).toBe(proto);
      s.destroy();
    }
  });

  it('passes TLS through untouched: the client sees the backend certificate', async () => {
    const s = await tlsHandshake(passPort, 'pass.example', backendCa.cert);
    expect(s.getPeerCertificate().subject?.CN).toBe('pass.example');
    const reply = await new Promise<string>((resolve) => {
      let buf = '';
      s.on('data', (d: Buffer) => (buf += d.toString()));
      s.on('end', () => resolve(buf));
      s.write('GET / HTTP/1.1\r\nhost: pass.example\r\nconnection: close\r\n\r\n');
    });
    expect(reply).toMatch(/^HTTP\/1\.1 200/);
    expect(reply).toMatch(/secure$/);
  });

  it('refuses an SNI that matches no passthrough route', async () => {
    await expect(tlsHandshake(passPort, 'other.example', backendCa.cert)).rejects.toThrow();
  });

  it('rotates a certificate over SDS without touching the listener', async () => {
    const ldsBefore = await envoy.admin('/stats?filter=listener_manager.lds.update_success');
    const rotated = serverCert(testCa, 'bookinfo.example');
    server.setSnapshot(translateIr(ir(rotated), 'v2'));
    await server.waitForAck('v2');
    const s = await tlsHandshake(httpsPort, 'bookinfo.example', ca.cert);
    expect(s.getPeerCertificate().serialNumber).toBe(new crypto.X509Certificate(rotated.cert).serialNumber);
    expect(rotated.cert).not.toBe(bookinfo.cert);
    s.destroy();
    expect(await envoy.admin('/stats?filter=listener_manager.lds.update_success')).toBe(ldsBefore);
  });
});
