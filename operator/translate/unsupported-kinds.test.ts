// BackendTLSPolicy is installed but not implemented: refused with a status.
import { myGateway } from '../../test-support/translate/fixtures.ts';
import { route, snap } from '../../test-support/translate/scenario-helpers.ts';
import { translate } from './translate.ts';
import { mergeAncestors } from './unsupported-kinds.ts';

const policy = (name: string, service: string, ns = 'default') => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'BackendTLSPolicy',
  metadata: { name, namespace: ns, generation: 2 },
  spec: {
    targetRefs: [{ group: '', kind: 'Service', name: service }],
    validation: { hostname: 'web.example.com', wellKnownCACertificates: 'System' },
  },
});

it('a BackendTLSPolicy on a Service a Portico route uses is not Accepted on that Gateway', () => {
  const r = translate(
    snap({
      gateways: [myGateway()],
      httpRoutes: [route('r', {})],
      backendTlsPolicies: [policy('tls-web', 'web'), policy('unused', 'nobody')],
    }),
  );
  expect(r.backendTlsPolicyStatuses).toEqual([
    {
      namespace: 'default',
      name: 'tls-web',
      ancestors: [
        {
          ancestorRef: {
            group: 'gateway.networking.k8s.io',
            kind: 'Gateway',
            namespace: 'default',
            name: 'my-gateway',
          },
          controllerName: 'portico.dev/gateway-controller',
          conditions: [
            expect.objectContaining({
              type: 'Accepted',
              status: 'False',
              reason: 'Invalid',
              observedGeneration: 2,
              message:
                'Portico does not support BackendTLSPolicy yet: it connects to this Service without TLS',
            }),
          ],
        },
      ],
    },
  ]);
});

it('mergeAncestors keeps other controllers’ entries and replaces Portico’s', () => {
  const theirs = { ancestorRef: { name: 'x' }, controllerName: 'example.com/other', conditions: [] };
  const oldOurs = {
    ancestorRef: { name: 'y' },
    controllerName: 'portico.dev/gateway-controller',
    conditions: [],
  };
  expect(mergeAncestors([theirs, oldOurs], [])).toEqual([theirs]);
  expect(mergeAncestors(undefined, [])).toEqual([]);
});
