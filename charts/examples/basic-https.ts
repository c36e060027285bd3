import { Chart, type ChartProps } from 'cdk8s';
import type * as plus from 'cdk8s-plus-34';
import type { Construct } from 'constructs';
import { Gateway, HttpRoute } from '../../constructs/index.ts';

export interface BasicHttpsChartProps extends ChartProps {
  readonly details: plus.Service;
  readonly productpage: plus.Service;
  /** The TLS Secret for *.cilium.rocks (the lab makes it with mkcert). @default "demo-cert" */
  readonly certificateSecret?: string;
}

/** The lab's basic-https.yaml: Gateway tls-gateway terminating TLS for two host names. */
export class BasicHttpsChart extends Chart {
  readonly gateway: Gateway;

  constructor(scope: Construct, id: string, props: BasicHttpsChartProps) {
    super(scope, id, { namespace: 'default', ...props });
    const certificateRefs = [{ name: props.certificateSecret ?? 'demo-cert' }];
    this.gateway = new Gateway(this, 'tls-gateway', {
      metadata: { name: 'tls-gateway' },
      listeners: [
        { name: 'https-1', protocol: 'HTTPS', port: 443, hostname: 'bookinfo.cilium.rocks', certificateRefs },
        {
          name: 'https-2',
          protocol: 'HTTPS',
          port: 443,
          hostname: 'hipstershop.cilium.rocks',
          certificateRefs,
        },
      ],
    });
    new HttpRoute(this, 'https-app-route-1', {
      metadata: { name: 'https-app-route-1' },
      parentRefs: [this.gateway],
      hostnames: ['bookinfo.cilium.rocks'],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/details' } }],
          backendRefs: [{ service: props.details }],
        },
      ],
    });
    new HttpRoute(this, 'https-app-route-2', {
      metadata: { name: 'https-app-route-2' },
      parentRefs: [this.gateway],
      hostnames: ['hipstershop.cilium.rocks'],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/' } }],
          backendRefs: [{ service: props.productpage }],
        },
      ],
    });
  }
}
