import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { startEnvoy, type EnvoyHandle } from '../local/light/envoy.ts';
import { freePort, waitFor } from '../local/common/process.ts';
import type { IR } from '../operator/ir/index.ts';
import { renderBootstrap } from '../operator/xds/bootstrap.ts';
import { AdsServer } from '../operator/xds/server.ts';
import { translateIr } from '../operator/xds/translate.ts';
import { oneRouteIr } from '../test-support/xds-ir.ts';

// Envoy's initial_fetch_timeout defaults to 15 s: past it, an Envoy with no operator would turn
// ready with no config, and a listener whose routes came late would go active with none. Portico's
// config sources wait for their first answer instead. The waits below exceed that default; they
// check behaviour, not speed. With no operator, CDS then LDS would each wait 15 s: LIVE at ~30 s.
const PAST_BOTH_DEFAULTS_MS = 40000;
const PAST_DEFAULT_MS = 20000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function status(url: string): Promise<number> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(5000) })).status;
  } catch {
    return 0;
  }
}

/** Polls `url` for `ms` and returns every status seen (0: no connection). */
async function statusesFor(url: string, ms: number): Promise<Set<number>> {
  const seen = new Set<number>();
  for (const end = Date.now() + ms; Date.now() < end; await sleep(1000)) seen.add(await status(url));
  seen.add(await status(url));
  return seen;
}

describe('Envoy is ready only with its full config', () => {
  let backend: http.Server;
  let listenPort: number;
  let xdsPort: number;
  let server: AdsServer | undefined;
  const envoys: EnvoyHandle[] = [];

  const ir = (): IR => oneRouteIr([listenPort], (backend.address() as AddressInfo).port);

  const start = async (node: string) => {
    const e = await startEnvoy(renderBootstrap({ nodeId: node, xdsAddress: '127.0.0.1', xdsPort }), {
      waitReady: false,
    });
    envoys.push(e);
    return e;
  };

  const serve = async () => {
    if (!server) {
      server = new AdsServer({ logger: pino({ level: 'warn' }) });
      await server.listenPlaintextLoopback('127.0.0.1', xdsPort);
    }
    return server;
  };

  beforeAll(async () => {
    backend = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    listenPort = await freePort();
    xdsPort = await freePort();
  });

  afterAll(async () => {
    for (const e of envoys) await e.stop();
    await server?.stop();
    await new Promise((r) => backend?.close(r));
  });

  it('with no operator reachable, stays not ready past the 15 s defaults; ready once one serves', async () => {
    const envoy = await start('no-operator');
    const seen = await statusesFor(`${envoy.adminUrl}/ready`, PAST_BOTH_DEFAULTS_MS);
    expect(seen).toEqual(new Set([503]));
    expect(await status(`http://127.0.0.1:${listenPort}/`)).toBe(0);

    (await serve()).setSnapshot(translateIr(ir(), 'v1'));
    // Envoy retries the ADS stream with a jittered backoff of up to 30 s.
    await waitFor('envoy ready', async () => (await status(`${envoy.adminUrl}/ready`)) === 200, {
      timeoutMs: 120000,
    });
    await waitFor('listener serving', async () => (await status(`http://127.0.0.1:${listenPort}/`)) === 200, {
      timeoutMs: 60000,
    });
    await envoy.stop();
  }, 200000);

  it('a listener whose routes come late waits for them instead of serving none', async () => {
    const full = translateIr(ir(), 'v2');
    (await serve()).setSnapshot({ ...full, version: 'v2-no-routes', routes: {} });
    const envoy = await start('late-routes');
    const listeners = () => envoy.admin('/config_dump?resource=dynamic_listeners');
    await waitFor('listener sent', async () => (await listeners()).includes('warming_state'), {
      timeoutMs: 60000,
    });
    // Before its routes arrive the listener is warming: not bound, so no empty-route 404s.
    const seen = await statusesFor(`http://127.0.0.1:${listenPort}/`, PAST_DEFAULT_MS);
    expect(seen).toEqual(new Set([0]));
    expect(await status(`${envoy.adminUrl}/ready`)).toBe(503);
    expect(await listeners()).not.toContain('active_state');

    (await serve()).setSnapshot(full);
    await waitFor('listener serving', async () => (await status(`http://127.0.0.1:${listenPort}/`)) === 200, {
      timeoutMs: 60000,
    });
    expect(await status(`${envoy.adminUrl}/ready`)).toBe(200);
  }, 200000);
});
