import { Construct } from 'constructs';
import * as gwapi from './imports/gateway.networking.k8s.io.ts';
import { AttachedRoute, type StreamRouteProps, streamRules } from './route-refs.ts';

export type TcpRouteProps = StreamRouteProps;

/** A TCPRoute (gateway.networking.k8s.io/v1): every connection on a TCP listener goes to its backends. */
export class TcpRoute extends AttachedRoute {
  readonly apiObject: gwapi.TcpRoute;

  constructor(scope: Construct, id: string, props: TcpRouteProps) {
    super(scope, id, 'TCPRoute', 'TcpRoute');
    const rules = streamRules(this, props);
    this.apiObject = new gwapi.TcpRoute(this, 'Resource', {
      metadata: props.metadata,
      spec: { parentRefs: this.wireParents, rules },
    });
    for (const p of props.parentRefs ?? []) this.attachTo(p);
  }
}
