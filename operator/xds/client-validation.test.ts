// Frontend client certificate validation on HTTPS filter chains, with the CA bundle over SDS.
import { decodeMessage } from '../envoy/codec.ts';
import type { Any } from '../envoy/generated/google/protobuf/Any.ts';
import type { ClientValidation, HttpListener, IR } from '../ir/index.ts';
import { resourceGateways, translateIr } from './translate.ts';

function unpack(a: Any | null | undefined): Record<string, unknown> {
  if (!a || !('type_url' in a)) throw new Error('not a packed Any');
  return decodeMessage(a.type_url.replace('type.googleapis.com/', ''), a.value as Uint8Array);
}

const validation: ClientValidation = { name: 'ns/gw/443/client-ca', caPem: 'CA-PEM', allowInsecure: false };
const https: HttpListener = {
  name: 'ns/gw/127.0.200.1/443',
  gateway: { namespace: 'ns', name: 'gw' },
  address: '127.0.200.1',
  port: 443,
  protocol: 'HTTPS',
  tls: { certificates: [{ secretName: 'ns/cert', sniHostnames: [], certPem: 'CERT', keyPem: 'KEY' }] },
  virtualHosts: [],
  chains: [
    { name: 'a', sniHostnames: ['a.example'], certificates: ['ns/cert'], virtualHosts: [] },
    { name: 'b', sniHostnames: [], certificates: ['ns/cert'], virtualHosts: [] },
  ],
};
const ir = (l: HttpListener): IR => ({ httpListeners: [l], tlsPassthroughListeners: [], clusters: [] });
const chainTls = (l: HttpListener) =>
  translateIr(ir(l), '1').listeners[l.name]!.filter_chains!.map((c) =>
    unpack(c.transport_socket?.typed_config),
  );

describe('client certificate validation (xDS)', () => {
  it('requires a client certificate on every chain of the port and checks it against the SDS CA', () => {
    const l = { ...https, clientValidation: validation };
    for (const tls of chainTls(l))
      expect(tls).toMatchObject({
        require_client_certificate: { value: true },
        common_tls_context: {
          tls_certificate_sds_secret_configs: [{ name: 'ns/cert' }],
          validation_context_sds_secret_config: { name: validation.name, sds_config: { ads: {} } },
        },
      });
    const snap = translateIr(ir(l), '1');
    expect(snap.secrets[validation.name]).toEqual({
      name: validation.name,
      validation_context: { trusted_ca: { inline_string: 'CA-PEM' } },
    });
    expect(resourceGateways(ir(l)).secrets.get(validation.name)).toEqual([https.gateway]);
  });

  it('AllowInsecureFallback asks for a certificate but lets a missing or untrusted one through', () => {
    const [tls] = chainTls({ ...https, clientValidation: { ...validation, allowInsecure: true } });
    // false is protobuf's default: it decodes as an empty BoolValue.
    expect(tls?.require_client_certificate).toEqual({});
    expect(tls?.common_tls_context).toMatchObject({
      combined_validation_context: {
        default_validation_context: { trust_chain_verification: 'ACCEPT_UNTRUSTED' },
        validation_context_sds_secret_config: { name: validation.name },
      },
    });
  });

  it('without validation no client certificate is asked for, and a mode change rebuilds the listener', () => {
    const [plain] = chainTls(https);
    expect(plain?.require_client_certificate).toBeUndefined();
    expect(plain?.common_tls_context).not.toHaveProperty('validation_context_sds_secret_config');
    const strict = translateIr(ir({ ...https, clientValidation: validation }), '1').listeners[https.name];
    const loose = translateIr(ir({ ...https, clientValidation: { ...validation, allowInsecure: true } }), '2')
      .listeners[https.name];
    expect(loose).not.toBe(strict);
    expect(loose).not.toEqual(strict);
  });
});
