const typed = (type: string, rest: Record<string, unknown> = {}) => ({
  '@type': `type.googleapis.com/${type}`,
  ...rest,
});

/**
 * The smallest static Envoy config that proxies every HTTP request on `listen` to one backend: the
 * baseline that Portico-programmed Envoys are compared with, and the harness's own smoke test.
 */
export function staticProxyBootstrap(
  listen: { address: string; port: number },
  backend: { address: string; port: number },
): Record<string, unknown> {
  const socket = (a: { address: string; port: number }) => ({
    socket_address: { address: a.address, port_value: a.port },
  });
  return {
    static_resources: {
      listeners: [
        {
          name: 'static',
          address: socket(listen),
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: typed(
                    'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                    {
                      stat_prefix: 'static',
                      route_config: {
                        virtual_hosts: [
                          {
                            name: 'all',
                            domains: ['*'],
                            routes: [{ match: { prefix: '/' }, route: { cluster: 'backend' } }],
                          },
                        ],
                      },
                      http_filters: [
                        {
                          name: 'envoy.filters.http.router',
                          typed_config: typed('envoy.extensions.filters.http.router.v3.Router'),
                        },
                      ],
                    },
                  ),
                },
              ],
            },
          ],
        },
      ],
      clusters: [
        {
          name: 'backend',
          type: 'STATIC',
          connect_timeout: '1s',
          load_assignment: {
            cluster_name: 'backend',
            endpoints: [{ lb_endpoints: [{ endpoint: { address: socket(backend) } }] }],
          },
        },
      ],
    },
  };
}
