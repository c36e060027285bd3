// A minimal ADS client: asks for clusters and says whether the server answered. Proves who may
// (and who may not) get configuration from the xDS port.
import * as grpc from '@grpc/grpc-js';
import { loadAdsService } from '../operator/xds/server.ts';
import { TYPE_URL } from '../operator/xds/snapshot.ts';

type AdsClient = grpc.Client & {
  DeltaAggregatedResources(): grpc.ClientDuplexStream<object, unknown>;
};

/** `config` if the server sent clusters, else `refused: <why>`. */
export async function probeAds(
  address: string,
  creds: grpc.ChannelCredentials,
  opts: { serverName?: string; timeoutMs?: number } = {},
): Promise<string> {
  const Client = grpc.makeClientConstructor(
    loadAdsService(),
    'AggregatedDiscoveryService',
  ) as unknown as new (address: string, creds: grpc.ChannelCredentials, opts?: object) => AdsClient;
  const client = new Client(
    address,
    creds,
    opts.serverName ? { 'grpc.ssl_target_name_override': opts.serverName } : {},
  );
  try {
    return await new Promise<string>((resolve) => {
      const call = client.DeltaAggregatedResources();
      const timer = setTimeout(() => {
        call.cancel();
        resolve('refused: no answer');
      }, opts.timeoutMs ?? 5000);
      call.on('data', () => {
        clearTimeout(timer);
        call.cancel();
        resolve('config');
      });
      call.on('error', (err: grpc.ServiceError) => {
        clearTimeout(timer);
        resolve(`refused: ${grpc.status[err.code]} ${err.details}`);
      });
      call.write({ node: { id: 'probe', cluster: 'probe' }, type_url: TYPE_URL.clusters });
    });
  } finally {
    client.close();
  }
}
