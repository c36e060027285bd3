import { AdsSink, envoyReason } from './xds-sink.ts';
import type { IR } from '../ir/types.ts';
import { AdsServer } from '../xds/server.ts';
import type { Snapshot as XdsSnapshot } from '../xds/snapshot.ts';

describe('envoyReason', () => {
  it('drops the proto dump and puts the innermost validation cause first', () => {
    const nack =
      'goo.gle/debugstr \nname: "default/a/127.0.0.1/80"\nvalue: "line\\nbreak"\n}\n' +
      ': Proto constraint validation failed (RouteConfigurationValidationError.VirtualHosts[0]: embedded ' +
      'message failed validation | caused by HeaderValueValidationError.Value: value does not match regex)';
    expect(envoyReason(nack)).toBe(
      'HeaderValueValidationError.Value: value does not match regex (Proto constraint validation failed)',
    );
  });
  it('keeps a plain message as it is', () => {
    expect(envoyReason('Error adding/updating listener(s) x: cannot bind')).toBe(
      'Error adding/updating listener(s) x: cannot bind',
    );
  });
});

describe('AdsSink endpoint path', () => {
  it("rebuilds a weighted UDPRoute's own cluster from its backends' new endpoints", () => {
    const server = new AdsServer();
    const sent: XdsSnapshot[] = [];
    server.setSnapshot = (s: XdsSnapshot) => void sent.push(s);
    const sink = new AdsSink(server);
    const cluster = (name: string, ips: string[]) => ({
      name,
      service: { namespace: 'ns', name: name.split('/')[1]!, port: 53 },
      endpoints: ips.map((address) => ({ address, port: 5353 })),
    });
    const route = {
      name: 'ns/w/rule/0',
      backends: [
        { cluster: 'ns/a/53', weight: 1 },
        { cluster: 'ns/b/53', weight: 1 },
      ],
    };
    const ir: IR = {
      httpListeners: [],
      tlsPassthroughListeners: [],
      udpListeners: [
        {
          name: 'ns/gw/127.0.200.1/53/udp',
          gateway: { namespace: 'ns', name: 'gw' },
          address: '127.0.200.1',
          port: 53,
          route,
        },
      ],
      clusters: [cluster('ns/a/53', ['10.0.0.1']), cluster('ns/b/53', [])],
    };
    sink.push(ir);
    expect(sink.pushEndpoints([cluster('ns/b/53', ['10.0.1.1'])])).toBe(true);
    const weighted = sent.at(-1)!.endpoints['weighted/ns/w/rule/0']!;
    const addresses = weighted.endpoints!.flatMap((l) =>
      (l.lb_endpoints ?? []).map((e) => e.endpoint?.address?.socket_address?.address),
    );
    expect(addresses).toEqual(['10.0.0.1', '10.0.1.1']);
  });
});
