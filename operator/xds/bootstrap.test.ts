import { renderBootstrap, XDS_CLUSTER } from './bootstrap.ts';

interface Cluster {
  name: string;
  type: string;
  load_assignment: {
    endpoints: { lb_endpoints: { endpoint: { address: { socket_address: Record<string, unknown> } } }[] }[];
  };
}

function xdsCluster(b: Record<string, unknown>): Cluster {
  const clusters = (b.static_resources as { clusters: Cluster[] }).clusters;
  const c = clusters.find((x) => x.name === XDS_CLUSTER);
  if (!c) throw new Error('no xds cluster');
  return c;
}

describe('renderBootstrap', () => {
  it('points ADS at a static xds cluster for an IP address', () => {
    const b = renderBootstrap({ xdsAddress: '10.0.0.5', xdsPort: 18000 });
    const c = xdsCluster(b);
    expect(c.type).toBe('STATIC');
    expect(c.load_assignment.endpoints[0]?.lb_endpoints[0]?.endpoint.address.socket_address).toEqual({
      address: '10.0.0.5',
      port_value: 18000,
    });
    expect(b.dynamic_resources).toMatchObject({
      ads_config: {
        api_type: 'GRPC',
        transport_api_version: 'V3',
        grpc_services: [{ envoy_grpc: { cluster_name: XDS_CLUSTER } }],
      },
      cds_config: { ads: {}, resource_api_version: 'V3', initial_fetch_timeout: '0s' },
      lds_config: { ads: {}, resource_api_version: 'V3', initial_fetch_timeout: '0s' },
    });
    expect(JSON.stringify(c)).toContain('http2_protocol_options');
  });

  it('selects Delta xDS on request', () => {
    expect(renderBootstrap({ xdsAddress: '127.0.0.1', xdsPort: 1 }).dynamic_resources).toMatchObject({
      ads_config: { api_type: 'GRPC' },
    });
    expect(
      renderBootstrap({ xdsAddress: '127.0.0.1', xdsPort: 1, delta: true }).dynamic_resources,
    ).toMatchObject({
      ads_config: { api_type: 'DELTA_GRPC' },
    });
  });

  it("lifts Envoy's RE2 program size limit (the translator checks regexes with RE2 itself)", () => {
    const b = renderBootstrap({ xdsAddress: '127.0.0.1', xdsPort: 1 });
    expect(JSON.stringify(b.layered_runtime)).toContain('"re2.max_program_size.error_level":4294967295');
  });

  it('resolves a DNS name with STRICT_DNS', () => {
    const b = renderBootstrap({ xdsAddress: 'portico.portico-system.svc', xdsPort: 18000 });
    expect(xdsCluster(b).type).toBe('STRICT_DNS');
  });

  it('keeps admin on loopback by default and applies node defaults', () => {
    const b = renderBootstrap({ xdsAddress: '127.0.0.1', xdsPort: 1 });
    expect(b.admin).toEqual({ address: { socket_address: { address: '127.0.0.1', port_value: 19000 } } });
    expect(b.node).toEqual({ id: 'portico-envoy', cluster: 'portico' });
  });

  it('puts admin on a unix socket when asked (a pod-local channel on the host network)', () => {
    const b = renderBootstrap({ xdsAddress: '127.0.0.1', xdsPort: 1, adminSocket: '/run/envoy/admin.sock' });
    expect(b.admin).toEqual({ address: { pipe: { path: '/run/envoy/admin.sock', mode: 0o660 } } });
  });

  it('honours explicit node and admin options', () => {
    const b = renderBootstrap({
      nodeId: 'node-a',
      cluster: 'c1',
      xdsAddress: '127.0.0.1',
      xdsPort: 1,
      adminAddress: '127.0.0.2',
      adminPort: 9901,
    });
    expect(b.node).toEqual({ id: 'node-a', cluster: 'c1' });
    expect(b.admin).toEqual({ address: { socket_address: { address: '127.0.0.2', port_value: 9901 } } });
  });

  it('limits per-cluster stats unless leanStats is false', () => {
    const lean = renderBootstrap({ xdsAddress: '127.0.0.1', xdsPort: 1 });
    const regex = JSON.stringify(lean.stats_config);
    expect(regex).toContain('upstream_rq_total');
    expect(regex).toContain('inclusion_list');
    expect(
      renderBootstrap({ xdsAddress: '127.0.0.1', xdsPort: 1, leanStats: false }).stats_config,
    ).toBeUndefined();
  });

  it('is pure', () => {
    const o = { xdsAddress: '127.0.0.1', xdsPort: 5 };
    expect(renderBootstrap(o)).toEqual(renderBootstrap(o));
  });
});
