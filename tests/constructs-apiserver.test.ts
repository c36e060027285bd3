// Every manifest `charts/synth.ts` writes is accepted by a real kube-apiserver, and Portico's CRD
// schemas refuse bad objects there with readable messages. Applied with kubectl, as a user would.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startControlPlane, type ControlPlane } from '../local/control-plane/control-plane.ts';
import { toolchainPaths } from '../local/toolchain/paths.ts';
import { synthAll } from '../charts/synth.ts';
import { App, Chart } from 'cdk8s';
import { stringify } from 'yaml';
import { Gateway, HttpRoute, ReferenceGrant, TlsRoute } from '../constructs/index.ts';

const run = promisify(execFile);

describe('synthesized manifests on a real kube-apiserver', () => {
  let cp: ControlPlane;
  let dist: string;

  const kubectl = async (...args: string[]) => {
    const { stdout } = await run('kubectl', ['--kubeconfig', cp.kubeconfigPath, ...args], { timeout: 60000 });
    return stdout;
  };
  /** kubectl's error text for a manifest the server must refuse. */
  const refused = async (manifest: string): Promise<string> => {
    const file = path.join(dist, `bad-${Math.random().toString(36).slice(2)}.yaml`);
    fs.writeFileSync(file, manifest);
    try {
      await kubectl('apply', '--server-side', '-f', file);
    } catch (e) {
      return (e as { stderr: string }).stderr;
    }
    throw new Error(`the API server accepted:\n${manifest}`);
  };

  beforeAll(async () => {
    dist = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-dist-'));
    synthAll(dist);
    cp = await startControlPlane();
    // kubectl keeps every schema field of the CRDs (x-kubernetes-validations, defaults).
    await kubectl('apply', '--server-side', '-f', toolchainPaths().gatewayCrds);
    await kubectl('apply', '--server-side', '-f', path.join(dist, 'portico-install.yaml'));
    await kubectl('wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all');
  });
  afterAll(async () => {
    await cp?.stop();
    if (dist) fs.rmSync(dist, { recursive: true, force: true });
  });

  it('stores the install chart: CRDs, RBAC, operator, Envoy and agent DaemonSets, GatewayClass', async () => {
    const out = await kubectl(
      'get',
      'crd,clusterrole,daemonset,deployment,service,gatewayclass',
      '-A',
      '-l',
      'app.kubernetes.io/part-of=portico',
      '-o',
      'name',
    );
    for (const name of [
      'customresourcedefinition.apiextensions.k8s.io/loadbalancerippools.portico.dev',
      'customresourcedefinition.apiextensions.k8s.io/l2announcementpolicies.portico.dev',
      'clusterrole.rbac.authorization.k8s.io/portico-operator',
      'daemonset.apps/portico-envoy',
      'daemonset.apps/portico-agent',
      'deployment.apps/portico-operator',
      'service/portico-xds',
      'gatewayclass.gateway.networking.k8s.io/portico',
    ]) {
      expect(out).toContain(name);
    }
  });

  it.each([
    ['portico-operator', 'list', 'gateways.gateway.networking.k8s.io', true],
    ['portico-operator', 'patch', 'httproutes.gateway.networking.k8s.io/status', true],
    ['portico-operator', 'create', 'services', true],
    ['portico-operator', 'patch', 'loadbalancerippools.portico.dev/status', true],
    ['portico-operator', 'update', 'leases.coordination.k8s.io', true],
    ['portico-operator', 'update', 'httproutes.gateway.networking.k8s.io', false],
    ['portico-operator', 'delete', 'secrets', false],
    ['portico-operator', 'create', 'pods', false],
    ['portico-agent', 'create', 'leases.coordination.k8s.io', true],
    ['portico-agent', 'watch', 'l2announcementpolicies.portico.dev', true],
    ['portico-agent', 'update', 'services', false],
    ['portico-agent', 'get', 'secrets', false],
    ['portico-envoy', 'get', 'secrets', false],
  ])('RBAC: %s may %s %s: %s', async (sa, verb, resource, allowed) => {
    const [res, sub] = resource.split('/');
    const args = [
      'auth',
      'can-i',
      verb,
      res!,
      '-n',
      'portico-system',
      `--as=system:serviceaccount:portico-system:${sa}`,
    ];
    if (sub) args.push(`--subresource=${sub}`);
    const answer = await kubectl(...args).then(
      (out) => out.trim(),
      (e: { stdout: string }) => e.stdout.trim(),
    );
    expect(answer).toBe(allowed ? 'yes' : 'no');
  });

  it.each(['bookinfo', 'basic-http', 'basic-https', 'tls-passthrough', 'echo-servers', 'exam'])(
    'applies the seed lab chart %s',
    async (chart) => {
      const out = await kubectl('apply', '--server-side', '-f', path.join(dist, `${chart}.yaml`));
      expect(out).toMatch(/serverside-applied/);
      expect(out).not.toMatch(/error/i);
    },
  );

  it('reads the lab back as the lab wrote it', async () => {
    const gw = JSON.parse(await kubectl('get', 'gateway', 'tls-gateway', '-n', 'default', '-o', 'json'));
    expect(gw.spec.listeners.map((l: { hostname: string }) => l.hostname)).toEqual([
      'bookinfo.cilium.rocks',
      'hipstershop.cilium.rocks',
    ]);
    const exam = JSON.parse(await kubectl('get', 'httproute', 'exam-route-1', '-n', 'default', '-o', 'json'));
    expect(exam.spec.rules[0].backendRefs.map((b: { weight: number }) => b.weight)).toEqual([75, 25]);
    const tls = JSON.parse(await kubectl('get', 'tlsroute', 'nginx', '-n', 'default', '-o', 'json'));
    expect(tls.apiVersion).toBe('gateway.networking.k8s.io/v1');
  });

  it('accepts a valid IP pool and L2 policy, with schema defaults applied', async () => {
    fs.writeFileSync(
      path.join(dist, 'good.yaml'),
      `apiVersion: portico.dev/v1alpha1
kind: LoadBalancerIPPool
metadata: { name: lab }
spec:
  blocks: [{ cidr: 127.0.200.0/24 }, { start: "fd00::10", stop: "fd00::20" }]
---
apiVersion: portico.dev/v1alpha1
kind: L2AnnouncementPolicy
metadata: { name: lab }
spec:
  interfaces: ["^eth[0-9]+"]
`,
    );
    await kubectl('apply', '--server-side', '-f', path.join(dist, 'good.yaml'));
    const pool = JSON.parse(await kubectl('get', 'loadbalancerippool', 'lab', '-o', 'json'));
    expect(pool.spec).toMatchObject({ allowFirstLastIPs: false, disabled: false });
    const policy = JSON.parse(await kubectl('get', 'l2policy', 'lab', '-o', 'json'));
    expect(policy.spec).toMatchObject({ loadBalancerIPs: true, externalIPs: false });
    const table = await kubectl('get', 'lbippool', 'lab');
    expect(table).toMatch(/NAME\s+DISABLED\s+TOTAL\s+USED\s+AVAILABLE\s+AGE/);
  });

  it('accepts every listener, match and filter kind the constructs can write', async () => {
    const chart = new Chart(new App(), 'kitchen-sink', { namespace: 'default' });
    const gw = new Gateway(chart, 'gw', {
      metadata: { name: 'sink' },
      addresses: ['127.0.200.50'],
      listeners: [
        { name: 'http', protocol: 'HTTP', allowedRoutes: { from: 'All', kinds: ['HTTPRoute'] } },
        { name: 'https', protocol: 'HTTPS', hostname: '*.example.com', certificateRefs: [{ name: 'cert' }] },
        {
          name: 'tls',
          protocol: 'TLS',
          port: 8443,
          tlsMode: 'Passthrough',
          allowedRoutes: { from: 'Selector', selector: { team: 'a' } },
        },
      ],
    });
    new HttpRoute(chart, 'route', {
      metadata: { name: 'sink' },
      parentRefs: [
        { gateway: gw, sectionName: 'http' },
        { gateway: gw, sectionName: 'https' },
      ],
      hostnames: ['shop.example.com'],
      rules: [
        {
          name: 'main',
          matches: [
            {
              path: { type: 'RegularExpression', value: '^/v[12]/.*' },
              headers: [{ name: 'x-id', value: '^[0-9]+$', type: 'RegularExpression' }],
              queryParams: [{ name: 'q', value: 'x' }],
              method: 'POST',
            },
          ],
          filters: [
            {
              type: 'RequestHeaderModifier',
              set: [{ name: 'x-a', value: '1' }],
              add: [{ name: 'x-b', value: '2' }],
              remove: ['x-c'],
            },
            { type: 'ResponseHeaderModifier', set: [{ name: 'x-served-by', value: 'portico' }] },
            { type: 'RequestMirror', backend: { service: 'shadow', port: 80 }, percent: 10 },
          ],
          backendRefs: [
            { service: 'a', port: 80, weight: 3 },
            { service: 'b', port: 80, namespace: 'other', weight: 1 },
          ],
        },
        {
          matches: [{ path: { value: '/old' } }],
          filters: [
            {
              type: 'RequestRedirect',
              scheme: 'https',
              port: 443,
              statusCode: 301,
              path: { type: 'ReplacePrefixMatch', value: '/new' },
            },
          ],
        },
        {
          matches: [{ path: { type: 'Exact', value: '/api' } }],
          filters: [
            { type: 'URLRewrite', hostname: 'api.internal', path: { type: 'ReplaceFullPath', value: '/' } },
          ],
          backendRefs: [{ service: 'api', port: 8080 }],
        },
      ],
    });
    new TlsRoute(chart, 'tls', {
      parentRefs: [{ gateway: gw, sectionName: 'tls' }],
      hostnames: ['db.example.com'],
      backendRefs: [{ service: 'db', port: 5432 }],
    });
    new ReferenceGrant(chart, 'grant', {
      metadata: { namespace: 'other' },
      from: [{ kind: 'HTTPRoute', namespace: 'default' }],
      to: [{ kind: 'Service', name: 'b' }],
    });
    const file = path.join(dist, 'kitchen-sink.yaml');
    fs.writeFileSync(
      file,
      chart
        .toJson()
        .map((o) => stringify(o))
        .join('---\n'),
    );
    await kubectl('create', 'namespace', 'other');
    const out = await kubectl('apply', '--server-side', '-f', file);
    expect(out.match(/serverside-applied/g)).toHaveLength(4);
  });

  const pool = (blocks: string) =>
    `apiVersion: portico.dev/v1alpha1\nkind: LoadBalancerIPPool\nmetadata: { name: bad }\nspec: { blocks: ${blocks} }\n`;
  const policy = (spec: string) =>
    `apiVersion: portico.dev/v1alpha1\nkind: L2AnnouncementPolicy\nmetadata: { name: bad }\nspec: ${spec}\n`;

  it.each([
    [
      'a pool without blocks',
      pool('[]'),
      /spec.blocks: Invalid value: 0: spec.blocks in body should have at least 1 items/,
    ],
    ['a CIDR that is not one', pool('[{ cidr: 10.0.0/24 }]'), /must be a CIDR such as 10.0.10.0\/24/],
    ['a CIDR with host bits', pool('[{ cidr: 10.0.0.1/24 }]'), /must have its host bits zero/],
    [
      'a block with cidr and range',
      pool('[{ cidr: 10.0.0.0/24, start: 10.0.1.1, stop: 10.0.1.2 }]'),
      /either a cidr or a start\/stop range/,
    ],
    ['a range without stop', pool('[{ start: 10.0.1.1 }]'), /a range needs both start and stop/],
    ['a range across families', pool('[{ start: 10.0.1.1, stop: "fd00::1" }]'), /same IP family/],
    [
      'a start that is not an IP',
      pool('[{ start: ten, stop: 10.0.1.1 }]'),
      /must be an IPv4 or IPv6 address/,
    ],
    [
      'a policy that announces nothing',
      policy('{ loadBalancerIPs: false }'),
      /announces neither does nothing/,
    ],
    [
      'a selector expression without values',
      policy('{ serviceSelector: { matchExpressions: [{ key: app, operator: In }] } }'),
      /values must be non-empty for In and NotIn/,
    ],
  ])('refuses %s', async (_what, manifest, message) => {
    expect(await refused(manifest)).toMatch(message);
  });
});
