import { Chart, type ChartProps } from 'cdk8s';
import type * as plus from 'cdk8s-plus-34';
import type { Construct } from 'constructs';
import { DemoApp } from './app.ts';

const IMAGE = (name: string) => `docker.io/istio/examples-bookinfo-${name}:1.20.2`;

/** Istio's bookinfo sample (details, ratings, reviews v1-v3, productpage), as deployed by the lab. */
export class BookinfoChart extends Chart {
  readonly details: plus.Service;
  readonly productpage: plus.Service;

  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, { namespace: 'default', ...props });
    const app = (name: string, version: string, withService: boolean) =>
      new DemoApp(this, `${name}-${version}`, {
        name: `${name}-${version}`,
        image: IMAGE(`${name}-${version}`),
        containerPort: 9080,
        app: name,
        labels: { version },
        // reviews v1-v3 share the one Service that selects app=reviews.
        service: withService ? { name, port: 9080 } : false,
        root: true,
      }).service;
    this.details = app('details', 'v1', true) as plus.Service;
    app('ratings', 'v1', true);
    app('reviews', 'v1', true);
    app('reviews', 'v2', false);
    app('reviews', 'v3', false);
    this.productpage = app('productpage', 'v1', true) as plus.Service;
  }
}
