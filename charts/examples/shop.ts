import { App, Chart } from 'cdk8s';
import * as plus from 'cdk8s-plus-34';
import { Gateway, HttpRoute } from '../../constructs/index.ts';

const app = new App();
const chart = new Chart(app, 'shop', { namespace: 'shop' });

const web = new plus.Deployment(chart, 'web', { containers: [{ image: 'nginx:1.27', portNumber: 8080 }] });
const service = web.exposeViaService({ name: 'web', ports: [{ port: 80, targetPort: 8080 }] });

const gateway = new Gateway(chart, 'gateway', {
  metadata: { name: 'shop' },
  listeners: [{ name: 'http', protocol: 'HTTP', hostname: 'shop.example.com' }],
});
const route = new HttpRoute(chart, 'route', { parentRefs: [gateway] });
route.addRule({
  matches: [{ path: { type: 'PathPrefix', value: '/' } }],
  backendRefs: [{ service }], // the port comes from the Service
});

app.synth(); // writes dist/shop.k8s.yaml
