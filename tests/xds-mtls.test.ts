import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { startEnvoy, type EnvoyHandle } from '../local/light/envoy.ts';
import { freePort, waitFor } from '../local/common/process.ts';
import { makeLeaf, makeCa, type CertKey } from '../operator/certgen/certs.ts';
import { stepCa, type CaState } from '../operator/certgen/rotation.ts';
import type { IR } from '../operator/ir/index.ts';
import { renderBootstrap, renderXdsClientSds, renderXdsServerCaSds } from '../operator/xds/bootstrap.ts';
import { AdsServer } from '../operator/xds/server.ts';
import { translateIr } from '../operator/xds/translate.ts';
import { probeAds } from '../test-support/xds-probe.ts';

const SERVER_NAME = 'portico-xds.portico-system.svc.cluster.local';

/** Writes a Secret volume the way the kubelet does: files behind a `..data` symlink swapped atomically. */
function writeSecretVolume(dir: string, pair: CertKey, caPem: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const version = `..${Date.now()}_${Math.random().toString(36).slice(2)}`;
  fs.mkdirSync(path.join(dir, version));
  fs.writeFileSync(path.join(dir, version, 'tls.crt'), pair.certPem);
  fs.writeFileSync(path.join(dir, version, 'tls.key'), pair.keyPem);
  fs.writeFileSync(path.join(dir, version, 'ca.crt'), caPem);
  fs.symlinkSync(version, path.join(dir, '..data_tmp'));
  fs.renameSync(path.join(dir, '..data_tmp'), path.join(dir, '..data'));
  for (const f of ['tls.crt', 'tls.key', 'ca.crt'])
    if (!fs.existsSync(path.join(dir, f))) fs.symlinkSync(path.join('..data', f), path.join(dir, f));
}

describe('xDS over mutual TLS (real Envoy)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-mtls-'));
  const ca = makeCa();
  const serverCert = makeLeaf(ca, { commonName: 'portico-xds', dnsNames: [SERVER_NAME], usage: 'server' });
  const clientCert = makeLeaf(ca, { commonName: 'portico-envoy', usage: 'client' });
  let server: AdsServer;
  let envoy: EnvoyHandle;
  let backend: http.Server;
  let xdsPort: number;
  let listenPort: number;
  let ir: IR;

  const get = async () => {
    const res = await fetch(`http://127.0.0.1:${listenPort}/`);
    return `${res.status} ${await res.text()}`;
  };
  const serialOf = (pem: string) => new crypto.X509Certificate(pem).serialNumber.toLowerCase();
  /** Requests one after another until the returned function is called; it resolves to the failures. */
  const underLoad = () => {
    let stop = false;
    const results: string[] = [];
    const load = (async () => {
      while (!stop) results.push(await get().catch((e: Error) => e.message));
    })();
    return async () => {
      stop = true;
      await load;
      expect(results.length).toBeGreaterThan(0);
      return results.filter((r) => r !== '200 ok');
    };
  };
  /** A new ADS server on the same port (an operator restart) with what the volumes hold now. */
  const restartServer = async (version: string) => {
    await server.stop();
    server = new AdsServer({ logger: pino({ level: 'warn' }) });
    await server.listen('127.0.0.1', xdsPort, {
      certFile: path.join(dir, 'server', 'tls.crt'),
      keyFile: path.join(dir, 'server', 'tls.key'),
      caFile: path.join(dir, 'server', 'ca.crt'),
      refreshIntervalMs: 500,
    });
    server.setSnapshot(translateIr(ir, version));
    await server.waitForAck(version, { nodeId: 'mtls', timeoutMs: 30000 });
  };
  // The new server must not answer before it has decided: an early empty answer removed the
  // listener and cluster Envoy kept, and re-added them (503s meanwhile).
  const expectNothingRemoved = async () => {
    const stats = await envoy.admin(
      '/stats?filter=^(listener_manager.listener_removed|cluster_manager.cluster_removed)$',
    );
    expect(stats).toMatch(/listener_removed: 0/);
    expect(stats).toMatch(/cluster_removed: 0/);
  };

  beforeAll(async () => {
    writeSecretVolume(path.join(dir, 'server'), serverCert, ca.certPem);
    writeSecretVolume(path.join(dir, 'client'), clientCert, ca.certPem);
    backend = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    listenPort = await freePort();
    server = new AdsServer({ logger: pino({ level: 'warn' }) });
    xdsPort = await server.listen('127.0.0.1', 0, {
      certFile: path.join(dir, 'server', 'tls.crt'),
      keyFile: path.join(dir, 'server', 'tls.key'),
      caFile: path.join(dir, 'server', 'ca.crt'),
      refreshIntervalMs: 500,
    });
    ir = {
      httpListeners: [
        {
          name: `default/gw/127.0.0.1/${listenPort}`,
          gateway: { namespace: 'default', name: 'gw' },
          address: '127.0.0.1',
          port: listenPort,
          protocol: 'HTTP',
          virtualHosts: [
            {
              name: '*',
              domains: ['*'],
              routes: [
                {
                  name: 'r',
                  match: { path: { type: 'PathPrefix', value: '/' }, headers: [], queryParams: [] },
                  action: { type: 'Forward', backends: [{ cluster: 'default/b/80', weight: 1 }] },
                },
              ],
            },
          ],
        },
      ],
      tlsPassthroughListeners: [],
      clusters: [
        {
          name: 'default/b/80',
          service: { namespace: 'default', name: 'b', port: 80 },
          endpoints: [{ address: '127.0.0.1', port: (backend.address() as AddressInfo).port }],
        },
      ],
    };
    server.setSnapshot(translateIr(ir, 'v1'));
    const sdsPath = path.join(dir, 'xds-client-sds.json');
    const caSdsPath = path.join(dir, 'xds-ca-sds.json');
    fs.writeFileSync(sdsPath, JSON.stringify(renderXdsClientSds(path.join(dir, 'client'))));
    fs.writeFileSync(caSdsPath, JSON.stringify(renderXdsServerCaSds(path.join(dir, 'client'))));
    envoy = await startEnvoy(
      renderBootstrap({
        nodeId: 'mtls',
        xdsAddress: '127.0.0.1',
        xdsPort,
        delta: true,
        tls: { certDir: path.join(dir, 'client'), sdsPath, caSdsPath, serverName: SERVER_NAME },
      }),
      { waitReady: false },
    );
  });

  afterAll(async () => {
    await envoy?.stop();
    await server?.stop();
    await new Promise<void>((r) => (backend ? backend.close(() => r()) : r()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('programs Envoy over mTLS and serves its route', async () => {
    await server.waitForAck('v1', { nodeId: 'mtls', timeoutMs: 20000 });
    await waitFor('route serves', async () => (await get()) === '200 ok');
  });

  it('refuses a plain-text client, a TLS client without a certificate and one from another CA', async () => {
    const address = `127.0.0.1:${xdsPort}`;
    const caBuf = Buffer.from(ca.certPem);
    expect(await probeAds(address, grpc.credentials.createInsecure())).toMatch(/^refused/);
    expect(await probeAds(address, grpc.credentials.createSsl(caBuf), { serverName: SERVER_NAME })).toMatch(
      /^refused/,
    );
    const other = makeCa(new Date(), 'someone-else');
    const stranger = makeLeaf(other, { commonName: 'portico-envoy', usage: 'client' });
    expect(
      await probeAds(
        address,
        grpc.credentials.createSsl(caBuf, Buffer.from(stranger.keyPem), Buffer.from(stranger.certPem)),
        { serverName: SERVER_NAME },
      ),
    ).toMatch(/^refused/);
    // The same client with the install's certificate gets configuration: the refusals are about identity.
    expect(
      await probeAds(
        address,
        grpc.credentials.createSsl(caBuf, Buffer.from(clientCert.keyPem), Buffer.from(clientCert.certPem)),
        { serverName: SERVER_NAME },
      ),
    ).toBe('config');
  });

  it('picks up renewed certificates on both ends while the route keeps serving', async () => {
    const failures = underLoad();
    const renewedClient = makeLeaf(ca, { commonName: 'portico-envoy', usage: 'client' });
    const renewedServer = makeLeaf(ca, {
      commonName: 'portico-xds',
      dnsNames: [SERVER_NAME],
      usage: 'server',
    });
    writeSecretVolume(path.join(dir, 'client'), renewedClient, ca.certPem);
    writeSecretVolume(path.join(dir, 'server'), renewedServer, ca.certPem);
    await waitFor('Envoy presents the renewed client certificate', async () =>
      (await envoy.admin('/certs')).toLowerCase().includes(serialOf(renewedClient.certPem)),
    );
    // A fresh connection (as after an operator restart) is made with the renewed certificates.
    await restartServer('v2');
    expect(await failures()).toEqual([]);
    await expectNothingRemoved();
  });

  it('rotates the CA (trust both, sign with the new, drop the old) while the route keeps serving', async () => {
    const failures = underLoad();
    const envoyCerts = async () => (await envoy.admin('/certs')).toLowerCase();
    const address = () => `127.0.0.1:${xdsPort}`;
    const leaves = (signer: CertKey) => ({
      server: makeLeaf(signer, { commonName: 'portico-xds', dnsNames: [SERVER_NAME], usage: 'server' }),
      client: makeLeaf(signer, { commonName: 'portico-envoy', usage: 'client' }),
    });
    // What certgen writes to the Secrets, as the kubelet shows it in each volume.
    const publish = (state: CaState, l: { server: CertKey; client: CertKey }) => {
      writeSecretVolume(path.join(dir, 'client'), l.client, state.trust);
      writeSecretVolume(path.join(dir, 'server'), l.server, state.trust);
    };
    /** Does the operator's server give configuration to a client with `client` (trusting `roots`)? */
    const operatorAccepts = async (client: CertKey, roots: string) =>
      (await probeAds(
        address(),
        grpc.credentials.createSsl(
          Buffer.from(roots),
          Buffer.from(client.keyPem),
          Buffer.from(client.certPem),
        ),
        { serverName: SERVER_NAME },
      )) === 'config';
    const read = (side: string, f: string) => fs.readFileSync(path.join(dir, side, f), 'utf8');
    const oldLeaves = {
      server: { certPem: read('server', 'tls.crt'), keyPem: read('server', 'tls.key') },
      client: { certPem: read('client', 'tls.crt'), keyPem: read('client', 'tls.key') },
    };
    await restartServer('rot-0');

    // 1. The next CA is trusted beside the current one; leaves stay as they are.
    let state: CaState = { ca, trust: ca.certPem };
    state = stepCa(state, { now: new Date(), settleMs: 0, rotate: true }).state;
    const next = state.rotation!.next!;
    publish(state, oldLeaves);
    await waitFor('Envoy trusts the next CA', async () =>
      (await envoyCerts()).includes(serialOf(next.certPem)),
    );
    const probeNext = leaves(next).client;
    await waitFor('the operator trusts the next CA', () => operatorAccepts(probeNext, state.trust));

    // 2. The next CA signs new leaves; both CAs stay trusted.
    state = stepCa(state, { now: new Date(), settleMs: 0 }).state;
    expect(state.ca).toBe(next);
    const newLeaves = leaves(next);
    publish(state, newLeaves);
    await waitFor('Envoy presents the leaf of the next CA', async () =>
      (await envoyCerts()).includes(serialOf(newLeaves.client.certPem)),
    );
    await restartServer('rot-1');

    // 3. The old CA is no longer trusted by either end.
    state = stepCa(state, { now: new Date(), settleMs: 0 }).state;
    expect(state.rotation).toBeUndefined();
    publish(state, newLeaves);
    await waitFor(
      'Envoy no longer trusts the old CA',
      async () => !(await envoyCerts()).includes(serialOf(ca.certPem)),
    );
    await waitFor(
      'the operator refuses a client of the old CA',
      async () => !(await operatorAccepts(leaves(ca).client, state.trust)),
    );
    expect(await operatorAccepts(probeNext, state.trust)).toBe(true);
    await restartServer('rot-2');

    expect(await failures()).toEqual([]);
    await expectNothingRemoved();
  }, 120000);
});
