import { Chart, type ChartProps } from 'cdk8s';
import * as plus from 'cdk8s-plus-34';
import type { Construct } from 'constructs';
import { Gateway, TlsRoute } from '../../constructs/index.ts';
import { DemoApp } from './app.ts';

const NGINX_CONF = `events {}
http {
  server {
    listen 443 ssl;
    root /usr/share/nginx/html;
    index index.html;
    server_name nginx.cilium.rocks;
    ssl_certificate /etc/nginx-server-certs/tls.crt;
    ssl_certificate_key /etc/nginx-server-certs/tls.key;
  }
}
`;

export interface TlsPassthroughChartProps extends ChartProps {
  /** The TLS Secret nginx serves (the lab reuses demo-cert). @default "demo-cert" */
  readonly certificateSecret?: string;
}

/** The lab's TLSRoute task: nginx serving its own certificate behind a Passthrough Gateway. */
export class TlsPassthroughChart extends Chart {
  readonly gateway: Gateway;

  constructor(scope: Construct, id: string, props: TlsPassthroughChartProps = {}) {
    super(scope, id, { namespace: 'default', ...props });
    const config = new plus.ConfigMap(this, 'nginx-configmap', {
      metadata: { name: 'nginx-configmap' },
      data: { 'nginx.conf': NGINX_CONF, 'index.html': '<html><body><h1>Cilium rocks.</h1></body></html>\n' },
    });
    const nginx = new DemoApp(this, 'my-nginx', {
      name: 'my-nginx',
      image: 'docker.io/library/nginx:1.27',
      containerPort: 443,
      service: { name: 'my-nginx', port: 443 },
      root: true,
    });
    const confVolume = plus.Volume.fromConfigMap(this, 'nginx-config', config);
    nginx.container.mount('/etc/nginx/nginx.conf', confVolume, { subPath: 'nginx.conf', readOnly: true });
    nginx.container.mount('/usr/share/nginx/html/index.html', confVolume, {
      subPath: 'index.html',
      readOnly: true,
    });
    const cert = plus.Secret.fromSecretName(this, 'demo-cert', props.certificateSecret ?? 'demo-cert');
    nginx.container.mount('/etc/nginx-server-certs', plus.Volume.fromSecret(this, 'nginx-certs', cert), {
      readOnly: true,
    });

    this.gateway = new Gateway(this, 'cilium-tls-gateway', {
      metadata: { name: 'cilium-tls-gateway' },
      listeners: [
        { name: 'https', protocol: 'TLS', port: 443, hostname: '*.cilium.rocks', tlsMode: 'Passthrough' },
      ],
    });
    new TlsRoute(this, 'nginx', {
      metadata: { name: 'nginx' },
      parentRefs: [this.gateway],
      hostnames: ['nginx.cilium.rocks'],
      backendRefs: [{ service: nginx.service as plus.Service }],
    });
  }
}
