// fast-check arbitraries for the translator's fuzz test: Gateway API objects whose every
// field may be missing, null, the wrong type, huge or odd.
import fc from 'fast-check';
import { CERT_PEM, KEY_PEM } from './fixtures.ts';

export const weird = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.integer(),
  fc.double(),
  fc.constant(Number.MAX_SAFE_INTEGER * 4),
  fc.constant(-1),
  fc.string(),
  fc.boolean(),
  fc.array(fc.anything(), { maxLength: 3 }),
  fc.object({ maxDepth: 2 }),
);
const or = <T>(good: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 4, arbitrary: good }, { weight: 1, arbitrary: weird });
const names = or(fc.constantFrom('a', 'b', 'gw', 'web', 'cert', '', 'x/y', 'ünï'));
const svcMeta = fc.record(
  {
    name: or(fc.constantFrom('web', 'portico-gw', 'portico-a', 'a')),
    namespace: or(fc.constantFrom('default', 'other')),
  },
  { requiredKeys: [] },
);
const nss = or(fc.constantFrom('default', 'other', ''));
const hostname = or(
  fc.constantFrom(
    'a.example.com',
    '*.example.com',
    'b.example.com',
    '*',
    '',
    'A.EXAMPLE.COM',
    '1.2.3.4',
    '*.*.x',
    'a..b',
    'x'.repeat(300),
  ),
);
const port = or(fc.constantFrom(80, 443, 8080, 0, 65536, -5, 1.5));
const meta = fc.record(
  {
    name: names,
    namespace: nss,
    uid: or(fc.string()),
    generation: or(fc.integer({ min: -3, max: 1e9 })),
    creationTimestamp: or(fc.constantFrom('2026-01-01T00:00:00Z', '2025-01-01T00:00:00Z', 'garbage')),
    labels: or(
      fc.dictionary(fc.constantFrom('team', 'kubernetes.io/service-name'), or(fc.constantFrom('a', 'web'))),
    ),
  },
  { requiredKeys: [] },
);
const labelSelector = or(
  fc.record(
    {
      matchLabels: or(fc.dictionary(fc.constantFrom('team'), or(fc.constant('a')))),
      matchExpressions: or(
        fc.array(
          fc.record(
            {
              key: or(fc.constant('team')),
              operator: or(fc.constantFrom('In', 'NotIn', 'Exists', 'DoesNotExist', 'Bogus')),
              values: or(fc.array(or(fc.constant('a')))),
            },
            { requiredKeys: [] },
          ),
          { maxLength: 2 },
        ),
      ),
    },
    { requiredKeys: [] },
  ),
);
const ref = fc.record(
  {
    group: or(fc.constantFrom('', 'core', 'gateway.networking.k8s.io', 'x.io')),
    kind: or(fc.constantFrom('Service', 'Secret', 'Gateway', 'Other')),
    name: names,
    namespace: nss,
    port,
    sectionName: names,
    weight: or(fc.integer({ min: -2, max: 2_000_000 })),
  },
  { requiredKeys: [] },
);
const listener = fc.record(
  {
    name: names,
    port,
    protocol: or(fc.constantFrom('HTTP', 'HTTPS', 'TLS', 'TCP', 'UDP', 'http')),
    hostname,
    tls: or(
      fc.record(
        {
          mode: or(fc.constantFrom('Terminate', 'Passthrough', 'X')),
          certificateRefs: or(fc.array(ref, { maxLength: 2 })),
        },
        { requiredKeys: [] },
      ),
    ),
    allowedRoutes: or(
      fc.record(
        {
          namespaces: or(
            fc.record(
              { from: or(fc.constantFrom('Same', 'All', 'Selector', 'None')), selector: labelSelector },
              { requiredKeys: [] },
            ),
          ),
          kinds: or(
            fc.array(
              fc.record(
                {
                  group: or(fc.constant('gateway.networking.k8s.io')),
                  kind: or(fc.constantFrom('HTTPRoute', 'TLSRoute', 'TCPRoute', 'UDPRoute')),
                },
                { requiredKeys: [] },
              ),
              { maxLength: 2 },
            ),
          ),
        },
        { requiredKeys: [] },
      ),
    ),
  },
  { requiredKeys: [] },
);
const valueMatch = fc.record(
  { type: or(fc.constantFrom('Exact', 'RegularExpression', 'Prefix')), name: names, value: or(fc.string()) },
  { requiredKeys: [] },
);
const match = fc.record(
  {
    path: or(
      fc.record(
        {
          type: or(fc.constantFrom('Exact', 'PathPrefix', 'RegularExpression', 'Nope')),
          value: or(fc.constantFrom('/', '/a', '/a/', 'noslash', '/a/b//', '')),
        },
        { requiredKeys: [] },
      ),
    ),
    headers: or(fc.array(valueMatch, { maxLength: 2 })),
    queryParams: or(fc.array(valueMatch, { maxLength: 2 })),
    method: or(fc.constantFrom('GET', 'post', '')),
  },
  { requiredKeys: [] },
);
const filter = fc.record(
  {
    type: or(
      fc.constantFrom(
        'RequestHeaderModifier',
        'ResponseHeaderModifier',
        'URLRewrite',
        'RequestRedirect',
        'RequestMirror',
        'ExtensionRef',
      ),
    ),
    requestHeaderModifier: or(
      fc.record(
        { set: or(fc.array(valueMatch)), add: or(fc.array(valueMatch)), remove: or(fc.array(names)) },
        { requiredKeys: [] },
      ),
    ),
    urlRewrite: or(
      fc.record(
        {
          hostname,
          path: or(
            fc.record(
              {
                type: or(fc.constantFrom('ReplaceFullPath', 'ReplacePrefixMatch')),
                replaceFullPath: or(fc.string()),
                replacePrefixMatch: or(fc.string()),
              },
              { requiredKeys: [] },
            ),
          ),
        },
        { requiredKeys: [] },
      ),
    ),
    requestRedirect: or(
      fc.record(
        {
          scheme: or(fc.constantFrom('http', 'https', 'ftp')),
          statusCode: or(fc.constantFrom(301, 302, 307)),
          port,
        },
        { requiredKeys: [] },
      ),
    ),
  },
  { requiredKeys: [] },
);
const rule = fc.record(
  {
    matches: or(fc.array(match, { maxLength: 2 })),
    filters: or(fc.array(filter, { maxLength: 2 })),
    backendRefs: or(fc.array(ref, { maxLength: 3 })),
  },
  { requiredKeys: [] },
);
const routeSpec = fc.record(
  {
    parentRefs: or(fc.array(ref, { maxLength: 3 })),
    hostnames: or(fc.array(hostname, { maxLength: 3 })),
    rules: or(fc.array(rule, { maxLength: 3 })),
  },
  { requiredKeys: [] },
);
const withStatus = or(
  fc.record(
    {
      parents: or(
        fc.array(
          fc.record(
            {
              controllerName: or(fc.constant('portico.dev/gateway-controller')),
              parentRef: or(ref),
              conditions: weird,
            },
            { requiredKeys: [] },
          ),
          { maxLength: 2 },
        ),
      ),
      conditions: weird,
      listeners: weird,
    },
    { requiredKeys: [] },
  ),
);
const object = <T>(spec: fc.Arbitrary<T>) =>
  or(fc.record({ metadata: or(meta), spec: or(spec), status: withStatus }, { requiredKeys: [] }));
const list = <T>(a: fc.Arbitrary<T>, maxLength = 4) => or(fc.array(a, { maxLength }));
const b64 = (s: string) => Buffer.from(s).toString('base64');

export const snapshot = fc.record({
  gatewayClasses: list(
    object(
      fc.record(
        { controllerName: or(fc.constantFrom('portico.dev/gateway-controller', 'other/x')) },
        { requiredKeys: [] },
      ),
    ),
  ),
  gateways: list(
    object(
      fc.record(
        {
          gatewayClassName: or(fc.constantFrom('a', 'b', 'portico')),
          listeners: or(fc.array(listener, { maxLength: 4 })),
          addresses: or(
            fc.array(
              fc.record(
                {
                  type: or(fc.constantFrom('IPAddress', 'Hostname')),
                  value: or(fc.constantFrom('10.0.0.1', 'x')),
                },
                { requiredKeys: [] },
              ),
              { maxLength: 2 },
            ),
          ),
        },
        { requiredKeys: [] },
      ),
    ),
  ),
  httpRoutes: list(object(routeSpec), 6),
  tlsRoutes: list(object(routeSpec)),
  tcpRoutes: list(object(routeSpec)),
  udpRoutes: list(object(routeSpec)),
  referenceGrants: list(
    object(fc.record({ from: or(fc.array(ref)), to: or(fc.array(ref)) }, { requiredKeys: [] })),
  ),
  services: list(
    or(
      fc.record(
        {
          metadata: or(svcMeta),
          spec: or(
            fc.record(
              {
                ports: or(fc.array(fc.record({ name: names, port }, { requiredKeys: [] }), { maxLength: 2 })),
              },
              { requiredKeys: [] },
            ),
          ),
          status: or(
            fc.record({
              loadBalancer: or(
                fc.record({
                  ingress: or(
                    fc.array(
                      fc.record(
                        {
                          ip: or(fc.constantFrom('10.0.0.1', '::1')),
                          hostname: or(fc.constant('lb.example.com')),
                        },
                        { requiredKeys: [] },
                      ),
                    ),
                  ),
                }),
              ),
            }),
          ),
        },
        { requiredKeys: [] },
      ),
    ),
  ),
  endpointSlices: list(
    or(
      fc.record(
        {
          metadata: or(meta),
          addressType: or(fc.constantFrom('IPv4', 'FQDN')),
          ports: or(fc.array(fc.record({ name: names, port }, { requiredKeys: [] }))),
          endpoints: or(
            fc.array(
              fc.record(
                {
                  addresses: or(fc.array(or(fc.constantFrom('10.1.1.1', '')))),
                  conditions: or(fc.record({ ready: or(fc.boolean()) }, { requiredKeys: [] })),
                },
                { requiredKeys: [] },
              ),
            ),
          ),
        },
        { requiredKeys: [] },
      ),
    ),
  ),
  secrets: list(
    or(
      fc.record(
        {
          metadata: or(meta),
          data: or(
            fc.record(
              {
                'tls.crt': or(fc.constantFrom(b64(CERT_PEM), b64('junk'), '%%%')),
                'tls.key': or(fc.constantFrom(b64(KEY_PEM), b64('junk'))),
              },
              { requiredKeys: [] },
            ),
          ),
        },
        { requiredKeys: [] },
      ),
    ),
  ),
  namespaces: list(or(fc.record({ metadata: or(meta) }, { requiredKeys: [] }))),
  programmed: or(
    fc.record(
      {
        acked: or(fc.array(fc.constantFrom('default/gw', 'default/a'))),
        rejected: or(fc.dictionary(fc.constantFrom('default/b'), or(fc.string()))),
      },
      { requiredKeys: [] },
    ),
  ),
  now: or(fc.constant('2026-01-01T00:00:00Z')),
});
