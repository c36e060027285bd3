import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Chart, Testing } from 'cdk8s';
import * as plus from 'cdk8s-plus-34';
import { Gateway, HttpRoute } from '../../constructs/index.ts';
import { testApp } from '../../test-support/cdk8s.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

describe('the README example', () => {
  test('is charts/examples/shop.ts, word for word', () => {
    const readme = fs.readFileSync(path.join(here, '..', '..', 'constructs', 'README.md'), 'utf8');
    const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(fs.readFileSync(path.join(here, 'shop.ts'), 'utf8'));
  });

  test('synthesizes the Gateway and route it shows', () => {
    const chart = new Chart(testApp(), 'shop', { namespace: 'shop' });
    const web = new plus.Deployment(chart, 'web', {
      containers: [{ image: 'nginx:1.27', portNumber: 8080 }],
    });
    const service = web.exposeViaService({ name: 'web', ports: [{ port: 80, targetPort: 8080 }] });
    const gateway = new Gateway(chart, 'gateway', {
      metadata: { name: 'shop' },
      listeners: [{ name: 'http', protocol: 'HTTP', hostname: 'shop.example.com' }],
    });
    const route = new HttpRoute(chart, 'route', { parentRefs: [gateway] });
    route.addRule({ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ service }] });
    const obj = Testing.synth(chart).find((o) => o.kind === 'HTTPRoute');
    expect(obj.spec.rules[0].backendRefs).toEqual([{ name: 'web', port: 80 }]);
    expect(obj.spec.parentRefs).toEqual([{ name: 'shop' }]);
  });
});
