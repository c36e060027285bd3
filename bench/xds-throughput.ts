// Requests/s and p99 latency at 1, 16 and 64 connections: straight to a loopback backend, through
// an Envoy programmed by Portico over xDS, and through the same Envoy with a hand-written minimal
// static config. One JSON object per line:   node --import tsx bench/xds-throughput.ts [seconds=5]
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { startEnvoy, type EnvoyHandle } from '../local/light/envoy.ts';
import { staticProxyBootstrap } from '../test-support/static-proxy.ts';
import { freePort } from '../local/common/process.ts';
import { renderBootstrap } from '../operator/xds/bootstrap.ts';
import { AdsServer } from '../operator/xds/server.ts';
import { translateIr } from '../operator/xds/translate.ts';
import { emit, load as wrk } from './measure.ts';

const seconds = Number(process.argv[2] ?? 5);
const load = (url: string, connections: number) => wrk(url, connections, seconds);

const backend = http.createServer((_req, res) => res.end('hello'));
await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
const backendPort = (backend.address() as AddressInfo).port;
const [xdsListenPort, staticPort] = await Promise.all([freePort(), freePort()]);

const server = new AdsServer({ logger: pino({ level: 'warn' }) });
const xdsPort = await server.listenPlaintextLoopback('127.0.0.1');
const envoys: EnvoyHandle[] = [];
try {
  envoys.push(
    await startEnvoy(renderBootstrap({ nodeId: 'bench', xdsAddress: '127.0.0.1', xdsPort }), {
      waitReady: false,
      logLevel: 'warn',
    }),
  );
  server.setSnapshot(
    translateIr(
      {
        httpListeners: [
          {
            name: 'bench/gw',
            gateway: { namespace: 'bench', name: 'gw' },
            address: '127.0.0.1',
            port: xdsListenPort,
            protocol: 'HTTP',
            virtualHosts: [
              {
                name: '*',
                domains: ['*'],
                routes: [
                  {
                    name: 'bench/r/rule/0/match/0',
                    match: { path: { type: 'PathPrefix', value: '/' }, headers: [], queryParams: [] },
                    action: { type: 'Forward', backends: [{ cluster: 'bench/svc/80', weight: 1 }] },
                  },
                ],
              },
            ],
          },
        ],
        tlsPassthroughListeners: [],
        clusters: [
          {
            name: 'bench/svc/80',
            service: { namespace: 'bench', name: 'svc', port: 80 },
            endpoints: [{ address: '127.0.0.1', port: backendPort }],
          },
        ],
      },
      'bench',
    ),
  );
  await server.waitForAck('bench');
  envoys.push(
    await startEnvoy(
      staticProxyBootstrap(
        { address: '127.0.0.1', port: staticPort },
        { address: '127.0.0.1', port: backendPort },
      ),
      { logLevel: 'warn' },
    ),
  );

  const targets: [string, number][] = [
    ['direct', backendPort],
    ['envoy_portico', xdsListenPort],
    ['envoy_minimal', staticPort],
  ];
  for (const connections of [1, 16, 64]) {
    const rps: Record<string, number> = {};
    for (const [name, port] of targets) {
      const r = await load(`http://127.0.0.1:${port}/`, connections);
      rps[name] = r.rps;
      emit(`${name}_rps_c${connections}`, r.rps, 'req/s');
      emit(`${name}_p99_c${connections}`, r.p99, 'ms');
      emit(`${name}_errors_c${connections}`, r.errors, 'count');
    }
    emit(`envoy_portico_vs_minimal_c${connections}`, (100 * rps.envoy_portico!) / rps.envoy_minimal!, '%');
  }
} finally {
  for (const e of envoys) await e.stop();
  await server.stop();
  backend.close();
}
