// BackendTLSPolicy's data path on a real Envoy: TLS to a real HTTPS backend with the policy's SNI,
// CA and names, the Gateway's client certificate, and refusal (503) when the policy is invalid.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type tls from 'node:tls';
import { pino } from 'pino';
import { startEnvoy, type EnvoyHandle } from '../local/light/envoy.ts';
import { freePort } from '../local/common/process.ts';
import { makeCa, makeLeaf } from '../operator/certgen/certs.ts';
import type { Cluster, IR, UpstreamTls } from '../operator/ir/index.ts';
import { renderBootstrap } from '../operator/xds/bootstrap.ts';
import { AdsServer } from '../operator/xds/server.ts';
import { translateIr } from '../operator/xds/translate.ts';
import { loopbackHttpListener } from '../test-support/xds-ir.ts';

const backendCa = makeCa(new Date(), 'Backend CA');
const otherCa = makeCa(new Date(), 'Other CA');
const backendCert = makeLeaf(backendCa, {
  commonName: 'web',
  dnsNames: ['web.example.com'],
  usage: 'server',
});
const clientCa = makeCa(new Date(), 'Client CA');
const clientCert = makeLeaf(clientCa, { commonName: 'gateway-client', usage: 'client' });

describe('upstream TLS on a real Envoy', () => {
  let server: AdsServer;
  let envoy: EnvoyHandle;
  let backend: https.Server;
  let port: number;
  let version = 0;
  const seen: { sni: string; client: string }[] = [];

  const cluster = (name: string, tls: UpstreamTls): Cluster => ({
    name,
    service: { namespace: 'ns', name, port: 443 },
    endpoints: [{ address: '127.0.0.1', port: (backend.address() as AddressInfo).port }],
    tls,
  });

  const ir = (clusters: Cluster[]): IR => ({
    httpListeners: [
      loopbackHttpListener(
        'gw',
        port,
        clusters.map((c) => ({
          name: `ns/r/rule/0/match/${c.name}`,
          match: { path: { type: 'Exact' as const, value: `/${c.name}` }, headers: [], queryParams: [] },
          action: { type: 'Forward' as const, backends: [{ cluster: c.name, weight: 1 }] },
        })),
      ),
    ],
    tlsPassthroughListeners: [],
    clusters,
  });

  const push = async (clusters: Cluster[]) => {
    const v = `v${++version}`;
    server.setSnapshot(translateIr(ir(clusters), v));
    await server.waitForAck(v);
  };

  const get = (path: string) =>
    new Promise<number>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        })
        .on('error', reject);
    });

  const good: UpstreamTls = { sni: 'web.example.com', caPem: backendCa.certPem, subjectAltNames: [] };

  beforeAll(async () => {
    backend = https.createServer(
      {
        cert: backendCert.certPem,
        key: backendCert.keyPem,
        ca: clientCa.certPem,
        requestCert: true,
        rejectUnauthorized: false,
      },
      (req, res) => {
        const sock = req.socket as tls.TLSSocket;
        seen.push({
          sni: String((sock as unknown as { servername?: string }).servername),
          client: sock.authorized ? String(sock.getPeerCertificate().subject?.CN) : '',
        });
        res.end('ok');
      },
    );
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    port = await freePort();
    server = new AdsServer({ logger: pino({ level: 'warn' }) });
    const xdsPort = await server.listenPlaintextLoopback('127.0.0.1');
    envoy = await startEnvoy(
      renderBootstrap({ nodeId: 'upstream-tls-test', xdsAddress: '127.0.0.1', xdsPort }),
      {
        waitReady: false,
      },
    );
    await push([
      cluster('good', good),
      cluster('sans', { ...good, subjectAltNames: [{ type: 'Hostname', value: 'web.example.com' }] }),
      cluster('wrong-name', { ...good, sni: 'other.example.com' }),
      cluster('wrong-san', {
        ...good,
        subjectAltNames: [{ type: 'URI', value: 'spiffe://example.com/web' }],
      }),
      cluster('wrong-ca', { ...good, caPem: otherCa.certPem }),
      cluster('refused', { ...good, refused: true }),
      cluster('client', {
        ...good,
        clientCertificate: {
          secretName: 'ns/client',
          sniHostnames: [],
          certPem: clientCert.certPem,
          keyPem: clientCert.keyPem,
        },
      }),
    ]);
  });

  afterAll(async () => {
    await envoy?.stop();
    await server?.stop();
    await new Promise((r) => backend?.close(r));
  });

  it('speaks TLS with the policy hostname as SNI and verifies the backend against the CA', async () => {
    seen.length = 0;
    expect(await get('/good')).toBe(200);
    expect(await get('/sans')).toBe(200);
    expect(seen.map((s) => s.sni)).toEqual(['web.example.com', 'web.example.com']);
    expect(seen.every((s) => s.client === '')).toBe(true);
  });

  it.each(['wrong-name', 'wrong-san', 'wrong-ca', 'refused'])('fails closed for %s (503)', async (name) => {
    seen.length = 0;
    expect(await get(`/${name}`)).toBe(503);
    expect(seen).toEqual([]);
  });

  it("presents the Gateway's client certificate", async () => {
    seen.length = 0;
    expect(await get('/client')).toBe(200);
    expect(seen).toEqual([{ sni: 'web.example.com', client: 'gateway-client' }]);
  });
});
