// BackendTLSPolicy -> the cluster's TLS transport socket: SNI, trusted CA, subject alt names
// (the SNI hostname when the policy names none), and the Gateway's client certificate if any.
import type { UpstreamTls } from '../ir/index.ts';
import { pack } from '../envoy/codec.ts';
import type { Cluster } from '../envoy/generated/envoy/config/cluster/v3/Cluster.ts';

export function upstreamTlsSocket(tls: UpstreamTls, http2: boolean): Cluster['transport_socket'] {
  const names = tls.subjectAltNames.length
    ? tls.subjectAltNames
    : [{ type: 'Hostname' as const, value: tls.sni }];
  const client = tls.clientCertificate;
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: pack('envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', {
      sni: tls.sni,
      common_tls_context: {
        ...(http2 ? { alpn_protocols: ['h2'] } : {}),
        ...(client
          ? {
              tls_certificates: [
                {
                  certificate_chain: { inline_string: client.certPem },
                  private_key: { inline_string: client.keyPem },
                },
              ],
            }
          : {}),
        validation_context: {
          trusted_ca: { inline_string: tls.caPem },
          match_typed_subject_alt_names: names.map((n) => ({
            san_type: n.type === 'URI' ? 'URI' : 'DNS',
            matcher: { exact: n.value },
          })),
        },
      },
    }),
  };
}
