// Frontend client certificate validation (Gateway tls.frontend) in Envoy's terms: the CA bundle
// goes out over SDS, so a CA rotation updates one secret, not the listeners that use it.
import type { ClientValidation } from '../ir/index.ts';
import type { ConfigSource } from '../envoy/generated/envoy/config/core/v3/ConfigSource.ts';
import type { CommonTlsContext } from '../envoy/generated/envoy/extensions/transport_sockets/tls/v3/CommonTlsContext.ts';
import type { DownstreamTlsContext } from '../envoy/generated/envoy/extensions/transport_sockets/tls/v3/DownstreamTlsContext.ts';
import type { Secret } from '../envoy/generated/envoy/extensions/transport_sockets/tls/v3/Secret.ts';

/** The DownstreamTlsContext fields that ask for a client certificate and check it. */
export function clientValidationContext(
  v: ClientValidation,
  ads: ConfigSource,
): { tls: Pick<DownstreamTlsContext, 'require_client_certificate'>; common: CommonTlsContext } {
  const sds = { name: v.name, sds_config: ads };
  return {
    // AllowInsecureFallback: ask for a certificate, let the handshake through without one.
    tls: { require_client_certificate: { value: !v.allowInsecure } },
    common: v.allowInsecure
      ? {
          combined_validation_context: {
            default_validation_context: { trust_chain_verification: 'ACCEPT_UNTRUSTED' },
            validation_context_sds_secret_config: sds,
          },
        }
      : { validation_context_sds_secret_config: sds },
  };
}

export function caSecret(v: ClientValidation): Secret {
  return { name: v.name, validation_context: { trusted_ca: { inline_string: v.caPem } } };
}
