import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { startEnvoy, type EnvoyHandle } from '../local/light/envoy.ts';
import { freePort } from '../local/common/process.ts';
import type { Cluster, IR, Route } from '../operator/ir/index.ts';
import { renderBootstrap } from '../operator/xds/bootstrap.ts';
import { AdsServer } from '../operator/xds/server.ts';
import { translateIr } from '../operator/xds/translate.ts';

const CHURN_MS = 5000;
const EDIT_EVERY_MS = 200;

describe.each([
  ['State of the World', false],
  ['Delta', true],
])('route churn through the ADS server and a real Envoy (%s)', (_mode, delta) => {
  let server: AdsServer;
  let envoy: EnvoyHandle;
  const backends: http.Server[] = [];
  const clusters: Cluster[] = [];
  let port: number;

  const route = (name: string, prefix: string, backends: { cluster: string; weight: number }[]): Route => ({
    name,
    match: { path: { type: 'PathPrefix', value: prefix }, headers: [], queryParams: [] },
    action: { type: 'Forward', backends },
  });

  // Edit i: the churned route changes its path, its backends and their weights, and the set of
  // clusters changes with it; the steady route and its cluster stay put.
  const ir = (i: number): IR => {
    const a = clusters[1 + (i % 3)]!.name;
    const b = clusters[1 + ((i + 1) % 3)]!.name;
    const churned = route(`ns/churn/rule/0/match/0`, i % 2 ? '/churn' : '/churn/v2', [
      { cluster: a < b ? a : b, weight: 1 + (i % 5) },
      { cluster: a < b ? b : a, weight: 1 },
    ]);
    const used = new Set([clusters[0]!.name, a, b]);
    return {
      httpListeners: [
        {
          name: `ns/gw/127.0.0.1/${port}`,
          gateway: { namespace: 'ns', name: 'gw' },
          address: '127.0.0.1',
          port,
          protocol: 'HTTP',
          virtualHosts: [
            {
              name: '*',
              domains: ['*'],
              routes: [
                route('ns/steady/rule/0/match/0', '/steady', [{ cluster: clusters[0]!.name, weight: 1 }]),
                churned,
              ],
            },
          ],
        },
      ],
      tlsPassthroughListeners: [],
      clusters: clusters.filter((c) => used.has(c.name)),
    };
  };

  beforeAll(async () => {
    for (let i = 0; i < 4; i++) {
      const srv = http.createServer((_req, res) => res.end(`backend ${i}`));
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
      backends.push(srv);
      clusters.push({
        name: `ns/svc${i}/80`,
        service: { namespace: 'ns', name: `svc${i}`, port: 80 },
        endpoints: [{ address: '127.0.0.1', port: (srv.address() as AddressInfo).port }],
      });
    }
    port = await freePort();
    server = new AdsServer({ logger: pino({ level: 'warn' }) });
    const xdsPort = await server.listenPlaintextLoopback('127.0.0.1');
    envoy = await startEnvoy(renderBootstrap({ nodeId: 'churn', xdsAddress: '127.0.0.1', xdsPort, delta }), {
      waitReady: false,
    });
    server.setSnapshot(translateIr(ir(0), 'v0'));
    await server.waitForAck('v0');
  });

  afterAll(async () => {
    await envoy?.stop();
    await server?.stop();
    for (const b of backends) await new Promise((r) => b.close(r));
  });

  it('keeps the steady route at zero errors while another route is edited every 200 ms', async () => {
    const statuses = new Map<number, number>();
    const churned = new Map<number, number>();
    let stop = false;
    const client = async (path: string, expected: RegExp, tally: Map<number, number>) => {
      while (!stop) {
        const res = await fetch(`http://127.0.0.1:${port}${path}`);
        const code = expected.test(await res.text()) ? res.status : -1;
        tally.set(code, (tally.get(code) ?? 0) + 1);
      }
    };
    // /churn/v2/x matches both versions of the churned route, so it must never fail either,
    // though its backends and clusters change under it.
    const clients = [
      client('/steady', /^backend 0$/, statuses),
      client('/steady', /^backend 0$/, statuses),
      client('/churn/v2/x', /^backend [123]$/, churned),
    ];
    const edits = CHURN_MS / EDIT_EVERY_MS;
    const start = Date.now();
    for (let i = 1; i <= edits; i++) {
      server.setSnapshot(translateIr(ir(i), `v${i}`));
      await new Promise((r) => setTimeout(r, start + i * EDIT_EVERY_MS - Date.now()));
    }
    await server.waitForAck(`v${edits}`);
    stop = true;
    await Promise.all(clients);
    expect(statuses.get(200)).toBeGreaterThan(0);
    expect([...statuses.keys()]).toEqual([200]);
    expect(churned.get(200)).toBeGreaterThan(0);
    expect([...churned.keys()]).toEqual([200]);
    // The last edit is live: /churn or /churn/v2 answers from one of its two backends.
    const path = edits % 2 ? '/churn' : '/churn/v2';
    expect(await (await fetch(`http://127.0.0.1:${port}${path}`)).text()).toMatch(/^backend [123]$/);
    expect(server.nackCount).toBe(0);
  });
});
