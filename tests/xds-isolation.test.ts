import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { startEnvoy, type EnvoyHandle } from '../local/light/envoy.ts';
import { freePort } from '../local/common/process.ts';
import type { HttpListener, IR } from '../operator/ir/index.ts';
import { renderBootstrap } from '../operator/xds/bootstrap.ts';
import { AdsServer, type AppliedEvent } from '../operator/xds/server.ts';
import { resourceGateways, translateIr } from '../operator/xds/translate.ts';

// Two Gateways; one gets a route Envoy refuses. The other's change must still go live, and the
// refusal must be attributable to the first Gateway alone.
describe.each([
  ['State of the World', false],
  ['Delta', true],
])('a rejected resource degrades only its own Gateway (%s)', (_mode, delta) => {
  let server: AdsServer;
  let envoy: EnvoyHandle;
  let backend: http.Server;
  const ports: number[] = [];
  const applied: AppliedEvent[] = [];

  const listener = (gw: string, port: number, path: string, tag: string): HttpListener => ({
    name: `ns/${gw}/127.0.0.1/${port}`,
    gateway: { namespace: 'ns', name: gw },
    address: '127.0.0.1',
    port,
    protocol: 'HTTP',
    virtualHosts: [
      {
        name: '*',
        domains: ['*'],
        routes: [
          {
            name: `ns/${gw}-route/rule/0/match/0`,
            match: { path: { type: 'RegularExpression', value: path }, headers: [], queryParams: [] },
            action: { type: 'Forward', backends: [{ cluster: 'ns/svc/80', weight: 1 }] },
            responseHeaders: { set: [{ name: 'x-tag', value: tag }], add: [], remove: [] },
          },
        ],
      },
    ],
  });
  const ir = (a: [string, string], b: [string, string]): IR => ({
    httpListeners: [listener('gw-a', ports[0]!, ...a), listener('gw-b', ports[1]!, ...b)],
    tlsPassthroughListeners: [],
    clusters: [
      {
        name: 'ns/svc/80',
        service: { namespace: 'ns', name: 'svc', port: 80 },
        endpoints: [{ address: '127.0.0.1', port: (backend.address() as AddressInfo).port }],
      },
    ],
  });
  const tag = async (port: number, path: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    return `${res.status} ${res.headers.get('x-tag')}`;
  };

  beforeAll(async () => {
    backend = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    ports.push(await freePort(), await freePort());
    server = new AdsServer({ logger: pino({ level: 'silent' }) });
    server.on('applied', (e) => applied.push(e));
    const xdsPort = await server.listenPlaintextLoopback('127.0.0.1');
    envoy = await startEnvoy(renderBootstrap({ nodeId: 'iso', xdsAddress: '127.0.0.1', xdsPort, delta }), {
      waitReady: false,
    });
    server.setSnapshot(translateIr(ir(['/a.*', 'a1'], ['/b.*', 'b1']), 'v1'));
    await server.waitForAck('v1');
  });

  afterAll(async () => {
    await envoy?.stop();
    await server?.stop();
    await new Promise((r) => backend?.close(r));
  });

  it('pushes the healthy Gateway and names the broken one', async () => {
    const bad = ir(['/a(', 'a2'], ['/b.*', 'b2']);
    server.setSnapshot(translateIr(bad, 'v2'));
    await expect(server.waitForAck('v2')).rejects.toThrow(/rejected routes/);
    // The NACK arrives before the rest of the push; wait for the whole snapshot to be applied.
    while (!applied.some((e) => e.version === 'v2')) await new Promise((r) => setTimeout(r, 20));
    expect(await tag(ports[1]!, '/b')).toBe('200 b2');
    expect(await tag(ports[0]!, '/a')).toBe('200 a1');
    const status = server.nodeStatus('iso');
    expect(status).toMatchObject({ ackedVersion: 'v1', appliedVersion: 'v2' });
    const owners = resourceGateways(bad);
    const broken = status.rejected.flatMap((r) => owners[r.kind].get(r.name) ?? []);
    expect(broken).toEqual([{ namespace: 'ns', name: 'gw-a' }]);
  });

  it('clears the rejection once the Gateway is fixed', async () => {
    server.setSnapshot(translateIr(ir(['/a.*', 'a3'], ['/b.*', 'b3']), 'v3'));
    await server.waitForAck('v3');
    expect(server.nodeStatus('iso')).toEqual({ ackedVersion: 'v3', appliedVersion: 'v3', rejected: [] });
    expect(await tag(ports[0]!, '/a')).toBe('200 a3');
    expect(await tag(ports[1]!, '/b')).toBe('200 b3');
  });
});
