import { Chart, type ChartProps } from 'cdk8s';
import type * as plus from 'cdk8s-plus-34';
import type { Construct } from 'constructs';
import { type Gateway, HttpRoute } from '../../constructs/index.ts';
import { DemoApp } from './app.ts';

const ECHO_IMAGE = 'registry.k8s.io/e2e-test-images/echoserver:2.5';

export interface EchoChartProps extends ChartProps {
  /** The Gateway the load-balancing route attaches to (the lab uses my-gateway). */
  readonly gateway: Gateway;
  /** Weights of echo-1 and echo-2 on /echo. @default [50, 50] */
  readonly weights?: [number, number];
}

/** The lab's echo-servers.yaml and load-balancing-http-route.yaml: /echo split between two Services. */
export class EchoChart extends Chart {
  readonly echo1: plus.Service;
  readonly echo2: plus.Service;

  constructor(scope: Construct, id: string, props: EchoChartProps) {
    super(scope, id, { namespace: 'default', ...props });
    const echo = (name: string, port: number) =>
      new DemoApp(this, name, {
        name,
        image: ECHO_IMAGE,
        containerPort: 8080,
        service: { name, port },
        root: true,
      }).service as plus.Service;
    this.echo1 = echo('echo-1', 8080);
    this.echo2 = echo('echo-2', 8090);
    const [w1, w2] = props.weights ?? [50, 50];
    new HttpRoute(this, 'load-balancing-route', {
      metadata: { name: 'load-balancing-route' },
      parentRefs: [props.gateway],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/echo' } }],
          backendRefs: [
            { service: this.echo1, weight: w1 },
            { service: this.echo2, weight: w2 },
          ],
        },
      ],
    });
  }
}
