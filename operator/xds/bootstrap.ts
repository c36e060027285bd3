import { isIP } from 'node:net';

export interface BootstrapOptions {
  /** Envoy node id; the xDS server keys ACK state on it. Envoy's `--service-node` flag overrides it. @default 'portico-envoy' */
  nodeId?: string;
  /** Envoy node cluster. @default 'portico' */
  cluster?: string;
  /** Address of the ADS server: an IP (static cluster) or a DNS name such as the operator Service. */
  xdsAddress: string;
  xdsPort: number;
  /** Admin interface address; keep it on loopback. @default '127.0.0.1' */
  adminAddress?: string;
  /** @default 19000 */
  adminPort?: number;
  /**
   * Admin interface on this unix socket (read-write for Envoy's group only) instead of
   * adminAddress:adminPort: a pod's own channel to its Envoy when pods share the host network.
   */
  adminSocket?: string;
  /** Cap on downstream connections (Envoy warns when none is set). @default 50000 */
  maxDownstreamConnections?: number;
  /** Incremental xDS (DELTA_GRPC): pushes carry only changed resources, also for clusters and listeners. @default false */
  delta?: boolean;
  /** Keep only the stats dashboards need; per-cluster stats otherwise grow with the route count. @default true */
  leanStats?: boolean;
  /** Mutual TLS to the ADS server (production); without it ADS is plain text (loopback test harness only). */
  tls?: XdsClientTls;
}

/** Envoy's side of the xDS mutual TLS. */
export interface XdsClientTls {
  /** Folder of the client Secret volume: tls.crt, tls.key and ca.crt (the CA that signed the server). */
  certDir: string;
  /** Path of the SDS file from `renderXdsClientSds` (it points at certDir, so renewals reload). */
  sdsPath: string;
  /** Path of the SDS file from `renderXdsServerCaSds`. */
  caSdsPath: string;
  /** DNS name the server certificate must carry (the xDS Service's FQDN). */
  serverName: string;
}

/** Name of the SDS secret with Envoy's xDS client certificate. */
export const XDS_CLIENT_SECRET = 'xds_client_certificate';
/** Name of the SDS secret with the CAs Envoy trusts for the xDS server. */
export const XDS_SERVER_CA_SECRET = 'xds_server_ca';

const SECRET_TYPE = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret';

/**
 * The file SDS source of Envoy's client certificate. Envoy watches `certDir`, so when the kubelet
 * swaps in a renewed Secret the next connection to the ADS server presents the new certificate.
 */
export function renderXdsClientSds(certDir: string): Record<string, unknown> {
  return {
    resources: [
      {
        '@type': SECRET_TYPE,
        name: XDS_CLIENT_SECRET,
        tls_certificate: {
          certificate_chain: { filename: `${certDir}/tls.crt` },
          private_key: { filename: `${certDir}/tls.key` },
          watched_directory: { path: certDir },
        },
      },
    ],
  };
}

/**
 * The file SDS source of the CAs Envoy trusts for the ADS server (one secret per SDS file). Watched
 * like the certificate, so a CA rotation's bundle is taken without a restart.
 */
export function renderXdsServerCaSds(certDir: string): Record<string, unknown> {
  return {
    resources: [
      {
        '@type': SECRET_TYPE,
        name: XDS_SERVER_CA_SECRET,
        validation_context: {
          trusted_ca: { filename: `${certDir}/ca.crt` },
          watched_directory: { path: certDir },
        },
      },
    ],
  };
}

function upstreamTls(tls: XdsClientTls): Record<string, unknown> {
  const sdsConfig = (path: string) => ({
    path_config_source: { path, watched_directory: { path: tls.certDir } },
    resource_api_version: 'V3',
  });
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
      sni: tls.serverName,
      common_tls_context: {
        tls_params: { tls_minimum_protocol_version: 'TLSv1_2' },
        alpn_protocols: ['h2'],
        tls_certificate_sds_secret_configs: [{ name: XDS_CLIENT_SECRET, sds_config: sdsConfig(tls.sdsPath) }],
        combined_validation_context: {
          default_validation_context: {
            match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: tls.serverName } }],
          },
          validation_context_sds_secret_config: {
            name: XDS_SERVER_CA_SECRET,
            sds_config: sdsConfig(tls.caSdsPath),
          },
        },
      },
    },
  };
}

/** Name of the static cluster that points at the ADS server. */
export const XDS_CLUSTER = 'xds_cluster';

// Per-cluster stats kept under leanStats: traffic and xDS health only.
const CLUSTER_STATS = [
  'upstream_rq_total',
  'upstream_rq_[1-5]xx',
  'upstream_rq_time',
  'upstream_cx_active',
  'upstream_rq_active',
  'upstream_rq_pending_active',
  'membership_healthy',
  'membership_total',
  'update_(attempt|success|rejected|empty)',
];

const KEEP_PREFIXES = [
  'server.',
  'cluster_manager.',
  'listener_manager.',
  'control_plane.',
  'runtime.',
  'http.',
  'listener.',
  'tcp.',
  'sds.',
  `cluster.${XDS_CLUSTER}.`,
];

function leanStatsConfig(): Record<string, unknown> {
  return {
    stats_matcher: {
      inclusion_list: {
        patterns: [
          ...KEEP_PREFIXES.map((prefix) => ({ prefix })),
          { safe_regex: { regex: `^cluster\\.[^.]+\\.(${CLUSTER_STATS.join('|')})$` } },
        ],
      },
    },
  };
}

// No initial_fetch_timeout (Envoy's default is 15 s, after which it would turn ready with no config):
// Envoy is ready only once the operator has sent its clusters and listeners.
const v3Ads = { ads: {}, resource_api_version: 'V3', initial_fetch_timeout: '0s' };

/**
 * Renders an Envoy v3 bootstrap (JSON shape) that takes all listeners and clusters over ADS
 * (gRPC, HTTP/2) from the Portico operator. Pure: the same options give the same object.
 */
export function renderBootstrap(opts: BootstrapOptions): Record<string, unknown> {
  const xdsIsIp = isIP(opts.xdsAddress) !== 0;
  return {
    node: { id: opts.nodeId ?? 'portico-envoy', cluster: opts.cluster ?? 'portico' },
    admin: {
      address: opts.adminSocket
        ? { pipe: { path: opts.adminSocket, mode: 0o660 } }
        : {
            socket_address: {
              address: opts.adminAddress ?? '127.0.0.1',
              port_value: opts.adminPort ?? 19000,
            },
          },
    },
    dynamic_resources: {
      ads_config: {
        api_type: opts.delta ? 'DELTA_GRPC' : 'GRPC',
        transport_api_version: 'V3',
        set_node_on_first_message_only: true,
        grpc_services: [{ envoy_grpc: { cluster_name: XDS_CLUSTER } }],
      },
      cds_config: v3Ads,
      lds_config: v3Ads,
    },
    static_resources: {
      clusters: [
        {
          name: XDS_CLUSTER,
          type: xdsIsIp ? 'STATIC' : 'STRICT_DNS',
          connect_timeout: '1s',
          ...(opts.tls ? { transport_socket: upstreamTls(opts.tls) } : {}),
          typed_extension_protocol_options: {
            'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
              '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
              explicit_http_config: {
                // Keepalive notices a dead operator replica so Envoy reconnects to another.
                http2_protocol_options: { connection_keepalive: { interval: '15s', timeout: '5s' } },
              },
            },
          },
          load_assignment: {
            cluster_name: XDS_CLUSTER,
            endpoints: [
              {
                lb_endpoints: [
                  {
                    endpoint: {
                      address: { socket_address: { address: opts.xdsAddress, port_value: opts.xdsPort } },
                    },
                  },
                ],
              },
            ],
          },
        },
      ],
    },
    overload_manager: {
      resource_monitors: [
        {
          name: 'envoy.resource_monitors.global_downstream_max_connections',
          typed_config: {
            '@type':
              'type.googleapis.com/envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig',
            max_active_downstream_connections: opts.maxDownstreamConnections ?? 50000,
          },
        },
      ],
    },
    ...(opts.leanStats === false ? {} : { stats_config: leanStatsConfig() }),
    layered_runtime: {
      layers: [
        // RE2 already bounds a regex's cost, and the translator refuses what RE2 cannot compile;
        // Envoy's extra program-size limit (default 100) would NACK ordinary patterns such as
        // `[a-z0-9]{0,64}`, freezing every route of the listener. Warn instead, as Contour and Kuma do.
        {
          name: 'static',
          static_layer: {
            're2.max_program_size.error_level': 4294967295,
            're2.max_program_size.warn_level': 1000,
          },
        },
        { name: 'admin', admin_layer: {} },
      ],
    },
  };
}
