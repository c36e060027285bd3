import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const xdsDeps = path.join(path.dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');

/** Folders Envoy's .proto files import from (as shipped by @grpc/grpc-js-xds), in resolution order. */
export const protoIncludeDirs: readonly string[] = [
  path.join(xdsDeps, 'envoy-api'),
  path.join(xdsDeps, 'xds'),
  path.join(xdsDeps, 'googleapis'),
  path.join(xdsDeps, 'protoc-gen-validate'),
];

/** Envoy protos Portico uses; the generated types and the runtime codec cover exactly these (and their imports). */
export const envoyProtoFiles: readonly string[] = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/filters/network/direct_response/v3/config.proto',
  'envoy/extensions/filters/udp/udp_proxy/v3/udp_proxy.proto',
  'envoy/extensions/filters/udp/udp_proxy/v3/route.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/transport_sockets/tls/v3/secret.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
];
