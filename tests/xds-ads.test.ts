import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { startEnvoy, type EnvoyHandle } from '../local/light/envoy.ts';
import { freePort, waitFor } from '../local/common/process.ts';
import type { HttpListener, IR, Route } from '../operator/ir/index.ts';
import { renderBootstrap } from '../operator/xds/bootstrap.ts';
import { AdsServer, type NackEvent } from '../operator/xds/server.ts';
import { resourceGateways, translateIr } from '../operator/xds/translate.ts';

const NODE = 'ads-test-node';

async function backend(body: string): Promise<{ port: number; close(): Promise<void> }> {
  const srv = http.createServer((_req, res) => res.end(body));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => srv.close(() => r())),
  };
}

function route(name: string, prefix: string, cluster: string, regex = false): Route {
  return {
    name,
    match: {
      path: { type: regex ? 'RegularExpression' : 'PathPrefix', value: prefix },
      headers: [],
      queryParams: [],
    },
    action: { type: 'Forward', backends: [{ cluster, weight: 1 }] },
  };
}

describe.each([
  ['State of the World', false],
  ['Delta', true],
])('ADS server with a real Envoy (%s)', (_mode, delta) => {
  let server: AdsServer;
  let envoy: EnvoyHandle;
  let a: Awaited<ReturnType<typeof backend>>;
  let b: Awaited<ReturnType<typeof backend>>;
  let listenPort: number;
  const nacks: NackEvent[] = [];
  const modes: boolean[] = [];

  const ir = (routes: Route[], clusters: string[], http2: string[] = []): IR => {
    const listener: HttpListener = {
      name: 'default/gw/127.0.0.1/' + listenPort,
      gateway: { namespace: 'default', name: 'gw' },
      address: '127.0.0.1',
      port: listenPort,
      protocol: 'HTTP',
      virtualHosts: [{ name: '*', domains: ['*'], routes }],
    };
    const ports: Record<string, number> = { 'default/a/80': a.port, 'default/b/80': b.port };
    return {
      httpListeners: [listener],
      tlsPassthroughListeners: [],
      clusters: clusters.map((name) => ({
        name,
        service: { namespace: 'default', name: name.split('/')[1]!, port: 80 },
        endpoints: [{ address: '127.0.0.1', port: ports[name]! }],
        ...(http2.includes(name) ? { protocol: 'HTTP2' as const } : {}),
      })),
    };
  };
  const get = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${listenPort}${path}`);
    return { status: res.status, body: await res.text() };
  };
  const push = async (version: string, routes: Route[], clusters: string[], http2: string[] = []) => {
    server.setSnapshot(translateIr(ir(routes, clusters, http2), version));
    await server.waitForAck(version, { nodeId: NODE });
  };

  beforeAll(async () => {
    [a, b, listenPort] = await Promise.all([backend('A'), backend('B'), freePort()]);
    server = new AdsServer({ logger: pino({ level: 'warn' }) });
    server.on('nack', (e) => nacks.push(e));
    server.on('connect', (e) => modes.push(e.delta));
    const xdsPort = await server.listenPlaintextLoopback('127.0.0.1');
    envoy = await startEnvoy(renderBootstrap({ nodeId: NODE, xdsAddress: '127.0.0.1', xdsPort, delta }), {
      waitReady: false,
    });
  });

  afterAll(async () => {
    await envoy?.stop();
    await server?.stop();
    await a?.close();
    await b?.close();
  });

  it('serves a route once Envoy ACKs the first snapshot', async () => {
    await push('v1', [route('r/a', '/', 'default/a/80')], ['default/a/80']);
    expect(server.ackedVersion(NODE)).toBe('v1');
    expect(modes).toEqual([delta]);
    await waitFor('envoy live', async () => (await fetch(`${envoy.adminUrl}/ready`)).ok);
    expect(await get('/x')).toEqual({ status: 200, body: 'A' });
  });

  it('switches a route to a new cluster live, without a window of errors', async () => {
    let stop = false;
    const statuses: number[] = [];
    const load = (async () => {
      while (!stop) statuses.push((await get('/x')).status);
    })();
    await push('v2', [route('r/a', '/', 'default/b/80')], ['default/b/80']);
    expect(await get('/x')).toEqual({ status: 200, body: 'B' });
    // The old cluster is removed only after the route moved away from it.
    await waitFor(
      'cluster a removed',
      async () => !(await envoy.admin('/clusters')).includes('default/a/80::'),
    );
    stop = true;
    await load;
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });

  it('reports a NACK and keeps serving the last good config', async () => {
    const before = server.nackCount;
    server.setSnapshot(
      translateIr(
        ir([route('r/bad', '/(unclosed', 'default/a/80', true)], ['default/a/80', 'default/b/80']),
        'v3-bad',
      ),
    );
    await expect(server.waitForAck('v3-bad', { nodeId: NODE })).rejects.toThrow(/rejected routes/);
    expect(server.nackCount).toBe(before + 1);
    const nack = nacks.at(-1)!;
    expect(nack).toMatchObject({ nodeId: NODE, kind: 'routes', snapshotVersion: 'v3-bad' });
    expect(nack.message).toMatch(/regex|unclosed|missing/i);
    // The suspect is the one route configuration, which maps back to its Gateway.
    expect(nack.resources).toEqual([`default/gw/127.0.0.1/${listenPort}`]);
    expect(resourceGateways(ir([], [])).routes.get(nack.resources[0]!)).toEqual([
      { namespace: 'default', name: 'gw' },
    ]);
    expect(server.ackedVersion(NODE)).toBe('v2');
    expect(await get('/x')).toEqual({ status: 200, body: 'B' });
    expect(await server.registry.getSingleMetricAsString('portico_xds_nacks_total')).toContain(
      'type="routes"} 1',
    );
  });

  it('recovers with the next good snapshot', async () => {
    await push(
      'v4',
      [route('r/a', '/a', 'default/a/80'), route('r/b', '/', 'default/b/80')],
      ['default/a/80', 'default/b/80'],
    );
    expect(await get('/a/1')).toEqual({ status: 200, body: 'A' });
    expect(await get('/ab')).toEqual({ status: 200, body: 'B' });
    expect(server.ackedVersion(NODE)).toBe('v4');
  });

  it('does not resend types that did not change', async () => {
    const rdsBefore = await envoy.admin('/stats?filter=rds.*update_success');
    const cdsBefore = await envoy.admin('/stats?filter=cluster_manager.cds.update_success');
    await push(
      'v5',
      [route('r/a', '/a', 'default/a/80'), route('r/b', '/', 'default/a/80')],
      ['default/a/80', 'default/b/80'],
    );
    expect(await get('/ab')).toEqual({ status: 200, body: 'A' });
    expect(await envoy.admin('/stats?filter=cluster_manager.cds.update_success')).toBe(cdsBefore);
    expect(await envoy.admin('/stats?filter=rds.*update_success')).not.toBe(rdsBefore);
  });

  it('resends the endpoints of a cluster changed in place, so the new cluster warms', async () => {
    // Envoy replaces the cluster and waits for an EDS response for it; it does not ask again for a
    // name it still watches. Without one, the cluster warms and the CDS ACK waits with no end.
    const routes = [route('r/a', '/', 'default/a/80')];
    await push('v6', routes, ['default/a/80'], ['default/a/80']);
    expect(await envoy.admin('/config_dump?resource=dynamic_warming_clusters')).not.toContain('default/a/80');
    await push('v7', routes, ['default/a/80']);
    expect(await get('/x')).toEqual({ status: 200, body: 'A' });
  });
});
