import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { startEnvoy, type EnvoyHandle } from '../local/light/envoy.ts';
import { freePort } from '../local/common/process.ts';
import { makeCa, makeLeaf } from '../operator/certgen/certs.ts';
import { translate } from '../operator/translate/translate.ts';
import { renderBootstrap } from '../operator/xds/bootstrap.ts';
import { AdsServer } from '../operator/xds/server.ts';
import { translateIr } from '../operator/xds/translate.ts';
import {
  gateway,
  gatewayService,
  httpRoute,
  service,
  slice,
  tlsSecret,
} from '../test-support/translate/fixtures.ts';
import { snap } from '../test-support/translate/scenario-helpers.ts';

// A ListenerSet's HTTPS listener on its Gateway's port, under the same listener name as the
// Gateway's own: translated from objects, served by a real Envoy, each SNI with its own routes.
describe('a ListenerSet listener served beside its Gateway listener by a real Envoy', () => {
  const ca = makeCa(new Date(), 'Portico Test CA');
  const leaf = (name: string) => makeLeaf(ca, { commonName: name, dnsNames: [name], usage: 'server' });
  let server: AdsServer;
  let envoy: EnvoyHandle;
  let backend: http.Server;
  let port: number;

  const get = (sni: string, host: string, path: string) =>
    new Promise<number>((resolve, reject) => {
      const req = https.request(
        { host: '127.0.0.1', port, servername: sni, path, headers: { host }, ca: ca.certPem, agent: false },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end();
    });

  beforeAll(async () => {
    backend = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    port = await freePort();
    const listener = (hostname: string, secret: string) => ({
      name: 'https',
      protocol: 'HTTPS' as const,
      port,
      hostname,
      tls: { certificateRefs: [{ kind: 'Secret' as const, name: secret }] },
    });
    const gw = gateway('gw', [listener('gw.example', 'gw-cert')]);
    (gw.spec as Record<string, unknown>).allowedListeners = { namespaces: { from: 'Same' } };
    const rule = (prefix: string) => ({
      matches: [{ path: { type: 'PathPrefix' as const, value: prefix } }],
      backendRefs: [{ name: 'web', port: 80 }],
    });
    const gwCert = leaf('gw.example');
    const lsCert = leaf('ls.example');
    const r = translate(
      snap({
        gateways: [gw],
        listenerSets: [
          {
            apiVersion: 'gateway.networking.k8s.io/v1',
            kind: 'ListenerSet',
            metadata: { name: 'team', namespace: 'default', generation: 1 },
            spec: { parentRef: { name: 'gw' }, listeners: [listener('ls.example', 'ls-cert')] },
          },
        ],
        httpRoutes: [
          httpRoute('on-gw', { parentRefs: [{ name: 'gw' }], rules: [rule('/gw')] }),
          httpRoute('on-set', {
            parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'ListenerSet', name: 'team' }],
            rules: [rule('/ls')],
          }),
        ],
        services: [service('web', [{ port: 80, name: 'http' }]), gatewayService('gw', '127.0.0.1')],
        endpointSlices: [
          slice(
            'web',
            [{ port: (backend.address() as AddressInfo).port, name: 'http' }],
            [{ ip: '127.0.0.1' }],
          ),
        ],
        secrets: [
          tlsSecret('gw-cert', 'default', gwCert.certPem, gwCert.keyPem),
          tlsSecret('ls-cert', 'default', lsCert.certPem, lsCert.keyPem),
        ],
      }),
    );
    expect(r.listenerSetStatuses?.[0]?.status.conditions[0]).toMatchObject({
      type: 'Accepted',
      status: 'True',
    });
    server = new AdsServer({ logger: pino({ level: 'silent' }) });
    const xdsPort = await server.listenPlaintextLoopback('127.0.0.1');
    envoy = await startEnvoy(renderBootstrap({ nodeId: 'ls', xdsAddress: '127.0.0.1', xdsPort }), {
      waitReady: false,
    });
    server.setSnapshot(translateIr(r.ir, 'v1'));
    await server.waitForAck('v1');
  });

  afterAll(async () => {
    await envoy?.stop();
    await server?.stop();
    await new Promise((r) => backend?.close(r));
  });

  it('serves each listener’s routes under its own SNI and certificate, and 421 for the other’s Host', async () => {
    expect(await get('ls.example', 'ls.example', '/ls')).toBe(200);
    expect(await get('ls.example', 'ls.example', '/gw')).toBe(404);
    expect(await get('gw.example', 'gw.example', '/gw')).toBe(200);
    expect(await get('gw.example', 'gw.example', '/ls')).toBe(404);
    expect(await get('gw.example', 'ls.example', '/ls')).toBe(421);
  });
});
