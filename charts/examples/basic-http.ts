import { Chart, type ChartProps } from 'cdk8s';
import type * as plus from 'cdk8s-plus-34';
import type { Construct } from 'constructs';
import { Gateway, HttpRoute } from '../../constructs/index.ts';

export interface BasicHttpChartProps extends ChartProps {
  readonly details: plus.Service;
  readonly productpage: plus.Service;
}

/** The lab's basic-http.yaml: Gateway my-gateway on port 80 and HTTPRoute http-app-1. */
export class BasicHttpChart extends Chart {
  readonly gateway: Gateway;

  constructor(scope: Construct, id: string, props: BasicHttpChartProps) {
    super(scope, id, { namespace: 'default', ...props });
    this.gateway = new Gateway(this, 'my-gateway', {
      metadata: { name: 'my-gateway' },
      listeners: [{ name: 'web-gw', protocol: 'HTTP', port: 80, allowedRoutes: { from: 'Same' } }],
    });
    new HttpRoute(this, 'http-app-1', {
      metadata: { name: 'http-app-1' },
      parentRefs: [this.gateway],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/details' } }],
          backendRefs: [{ service: props.details }],
        },
        {
          matches: [
            {
              headers: [{ type: 'Exact', name: 'magic', value: 'foo' }],
              queryParams: [{ type: 'Exact', name: 'great', value: 'example' }],
              path: { type: 'PathPrefix', value: '/' },
              method: 'GET',
            },
          ],
          backendRefs: [{ service: props.productpage }],
        },
      ],
    });
  }
}
