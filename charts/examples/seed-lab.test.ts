import { addSeedLab } from './index.ts';
import { testApp } from '../../test-support/cdk8s.ts';

function lab() {
  const app = testApp();
  addSeedLab(app);
  return Object.fromEntries(app.charts.map((c) => [c.node.id, c.toJson()]));
}
const find = (objs: ReturnType<typeof lab>[string], kind: string, name: string) =>
  objs.find((o) => o.kind === kind && o.metadata.name === name);

describe('seed lab charts', () => {
  test('match their snapshots', () => {
    expect(lab()).toMatchSnapshot();
  });

  test('bookinfo: six Deployments and the four Services of the lab', () => {
    const objs = lab()['bookinfo']!;
    const deps = objs.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name);
    expect(deps).toEqual([
      'details-v1',
      'ratings-v1',
      'reviews-v1',
      'reviews-v2',
      'reviews-v3',
      'productpage-v1',
    ]);
    const svcs = objs.filter((o) => o.kind === 'Service');
    expect(svcs.map((o) => `${o.metadata.name}:${o.spec.ports[0].port}`)).toEqual([
      'details:9080',
      'ratings:9080',
      'reviews:9080',
      'productpage:9080',
    ]);
    expect(find(objs, 'Service', 'reviews').spec.selector).toEqual({ app: 'reviews' });
  });

  test('basic-http: /details to details, and magic=foo + great=example + GET to productpage', () => {
    const route = find(lab()['basic-http']!, 'HTTPRoute', 'http-app-1');
    expect(route.spec.parentRefs).toEqual([{ name: 'my-gateway' }]);
    expect(route.spec.rules[0]).toEqual({
      matches: [{ path: { type: 'PathPrefix', value: '/details' } }],
      backendRefs: [{ name: 'details', port: 9080 }],
    });
    expect(route.spec.rules[1].matches[0]).toEqual({
      headers: [{ type: 'Exact', name: 'magic', value: 'foo' }],
      queryParams: [{ type: 'Exact', name: 'great', value: 'example' }],
      path: { type: 'PathPrefix', value: '/' },
      method: 'GET',
    });
  });

  test('basic-https: two host names terminated with demo-cert', () => {
    const objs = lab()['basic-https']!;
    const gw = find(objs, 'Gateway', 'tls-gateway');
    expect(
      gw.spec.listeners.map(
        (l: { hostname: string; tls: { mode: string; certificateRefs: { name: string }[] } }) => [
          l.hostname,
          l.tls.mode,
          l.tls.certificateRefs[0]!.name,
        ],
      ),
    ).toEqual([
      ['bookinfo.cilium.rocks', 'Terminate', 'demo-cert'],
      ['hipstershop.cilium.rocks', 'Terminate', 'demo-cert'],
    ]);
    expect(find(objs, 'HTTPRoute', 'https-app-route-1').spec.hostnames).toEqual(['bookinfo.cilium.rocks']);
    expect(find(objs, 'HTTPRoute', 'https-app-route-2').spec.hostnames).toEqual(['hipstershop.cilium.rocks']);
  });

  test('tls-passthrough: a Passthrough listener and a TLSRoute to my-nginx:443', () => {
    const objs = lab()['tls-passthrough']!;
    expect(find(objs, 'Gateway', 'cilium-tls-gateway').spec.listeners[0].tls).toEqual({
      mode: 'Passthrough',
    });
    const route = find(objs, 'TLSRoute', 'nginx');
    expect(route.spec.hostnames).toEqual(['nginx.cilium.rocks']);
    expect(route.spec.rules[0].backendRefs).toEqual([{ name: 'my-nginx', port: 443 }]);
    const pod = find(objs, 'Deployment', 'my-nginx').spec.template.spec;
    expect(
      pod.volumes.map((v: { secret?: { secretName: string } }) => v.secret?.secretName).filter(Boolean),
    ).toEqual(['demo-cert']);
  });

  test('echo-servers: 50/50 on /echo; exam: 75/25 on /exam', () => {
    const charts = lab();
    const echo = find(charts['echo-servers']!, 'HTTPRoute', 'load-balancing-route');
    expect(echo.spec.parentRefs).toEqual([{ name: 'my-gateway' }]);
    expect(echo.spec.rules[0].backendRefs).toEqual([
      { name: 'echo-1', port: 8080, weight: 50 },
      { name: 'echo-2', port: 8090, weight: 50 },
    ]);
    const exam = find(charts['exam']!, 'HTTPRoute', 'exam-route-1');
    expect(exam.spec.rules[0].matches[0].path).toEqual({ type: 'PathPrefix', value: '/exam' });
    expect(
      exam.spec.rules[0].backendRefs.map((b: { name: string; weight: number }) => `${b.name}=${b.weight}`),
    ).toEqual(['echo-1=75', 'echo-2=25']);
  });
});
