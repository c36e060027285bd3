import { Chart, type ChartProps } from 'cdk8s';
import type * as plus from 'cdk8s-plus-34';
import type { Construct } from 'constructs';
import { Gateway, HttpRoute } from '../../constructs/index.ts';

export interface ExamChartProps extends ChartProps {
  readonly echo1: plus.Service;
  readonly echo2: plus.Service;
}

/** The lab's exam: a Gateway and a route sending 75% of /exam to echo-1 and 25% to echo-2. */
export class ExamChart extends Chart {
  readonly gateway: Gateway;

  constructor(scope: Construct, id: string, props: ExamChartProps) {
    super(scope, id, { namespace: 'default', ...props });
    this.gateway = new Gateway(this, 'exam-gateway', {
      metadata: { name: 'exam-gateway' },
      listeners: [{ name: 'web', protocol: 'HTTP', port: 80 }],
    });
    new HttpRoute(this, 'exam-route-1', {
      metadata: { name: 'exam-route-1' },
      parentRefs: [this.gateway],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/exam' } }],
          backendRefs: [
            { service: props.echo1, weight: 75 },
            { service: props.echo2, weight: 25 },
          ],
        },
      ],
    });
  }
}
