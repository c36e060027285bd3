import { Construct } from 'constructs';
import * as gwapi from './imports/gateway.networking.k8s.io.ts';
import { AttachedRoute, type StreamRouteProps, streamRules } from './route-refs.ts';

export type UdpRouteProps = StreamRouteProps;

/** A UDPRoute (gateway.networking.k8s.io/v1): every datagram session on a UDP listener goes to its backends. */
export class UdpRoute extends AttachedRoute {
  readonly apiObject: gwapi.UdpRoute;

  constructor(scope: Construct, id: string, props: UdpRouteProps) {
    super(scope, id, 'UDPRoute', 'UdpRoute');
    const rules = streamRules(this, props);
    this.apiObject = new gwapi.UdpRoute(this, 'Resource', {
      metadata: props.metadata,
      spec: { parentRefs: this.wireParents, rules },
    });
    for (const p of props.parentRefs ?? []) this.attachTo(p);
  }
}
