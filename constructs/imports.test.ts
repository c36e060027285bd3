import * as gwapi from './imports/gateway.networking.k8s.io.ts';

// cdk8s import names the newest version plainly and suffixes older ones; Portico uses only the plain ones.
describe('imported Gateway API classes', () => {
  test.each([
    [gwapi.GatewayClass, 'GatewayClass'],
    [gwapi.Gateway, 'Gateway'],
    [gwapi.HttpRoute, 'HTTPRoute'],
    [gwapi.GrpcRoute, 'GRPCRoute'],
    [gwapi.TlsRoute, 'TLSRoute'],
    [gwapi.ReferenceGrant, 'ReferenceGrant'],
  ])('%p is gateway.networking.k8s.io/v1', (cls, kind) => {
    expect(cls.GVK).toEqual({ apiVersion: 'gateway.networking.k8s.io/v1', kind });
  });

  test('older versions carry their suffix', () => {
    expect(gwapi.GatewayV1Beta1.GVK.apiVersion).toBe('gateway.networking.k8s.io/v1beta1');
    expect(gwapi.TlsRouteV1Alpha2.GVK.apiVersion).toBe('gateway.networking.k8s.io/v1alpha2');
  });
});
