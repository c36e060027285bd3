import v8 from 'node:v8';
import vm from 'node:vm';
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

v8.setFlagsFromString('--expose-gc');

describe('AdsSink versions', () => {
  const udp = (gw: string, port: number): IR['udpListeners'] & object => [
    {
      name: `ns/${gw}/127.0.200.1/${port}/udp`,
      gateway: { namespace: 'ns', name: gw },
      address: '127.0.200.1',
      port,
      route: { name: `ns/${gw}/rule/0`, backends: [{ cluster: 'ns/a/53', weight: 1 }] },
    },
  ];
  const irOf = (gws: [string, number][]): IR => ({
    httpListeners: [],
    tlsPassthroughListeners: [],
    udpListeners: gws.flatMap(([gw, port]) => udp(gw, port)),
    clusters: [{ name: 'ns/a/53', service: { namespace: 'ns', name: 'a', port: 53 }, endpoints: [] }],
  });
  const sinkWithNode = () => {
    const server = new AdsServer();
    server.setSnapshot = () => undefined;
    const node = {
      appliedVersion: undefined as string | undefined,
      rejected: [] as { kind: 'listeners'; name: string }[],
    };
    server.connectedNodes = () => ['n1'];
    server.nodeStatus = () => ({ ...node });
    return { sink: new AdsSink(server), node };
  };

  it('names the Gateway of a refused resource while the node still runs an older version', () => {
    const { sink, node } = sinkWithNode();
    sink.push(irOf([['a', 53]]));
    node.appliedVersion = sink.version;
    sink.push(
      irOf([
        ['a', 53],
        ['b', 54],
      ]),
    );
    node.rejected = [{ kind: 'listeners', name: 'ns/a/127.0.200.1/53/udp' }];
    const p = sink.programmed()!;
    expect(Object.keys(p.rejected ?? {})).toEqual(['ns/a']);
    expect(p.acked).toEqual([]);
  });

  it('keeps no IR of earlier pushes', async () => {
    const gc = vm.runInNewContext('gc') as () => void;
    const { sink } = sinkWithNode();
    let first: IR | undefined = irOf([['a', 53]]);
    const ref = new WeakRef(first);
    sink.push(first);
    first = undefined;
    for (let port = 54; port < 60; port++) sink.push(irOf([['a', port]]));
    await new Promise((r) => setTimeout(r, 0)); // WeakRef targets stay alive until the job ends
    gc();
    expect(ref.deref()).toBeUndefined();
  });
});
