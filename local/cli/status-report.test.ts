import { gatewayVerdict, routeVerdict, type Condition, type Obj } from './status-report.ts';

const portico = { metadata: { name: 'portico' }, spec: { controllerName: 'portico.dev/gateway-controller' } };
const other = { metadata: { name: 'istio' }, spec: { controllerName: 'istio.io/gateway-controller' } };
const classes = [portico, other];
const gw = (name: string, gatewayClassName = 'portico', conditions?: Condition[]): Obj => ({
  metadata: { name, namespace: 'default' },
  spec: { gatewayClassName },
  ...(conditions ? { status: { conditions } } : {}),
});
const route = (parents: string[], status?: Obj['status']): Obj => ({
  metadata: { name: 'r', namespace: 'default' },
  spec: { parentRefs: parents.map((name) => ({ name })) },
  ...(status ? { status } : {}),
});

describe('portico status: Gateways', () => {
  it('a Programmed=False Gateway shows the reason and message and is a problem', () => {
    const g = gw('web', 'portico', [
      {
        type: 'Programmed',
        status: 'False',
        reason: 'Invalid',
        message: 'no listener is valid: listener https: InvalidCertificateRef: Secret default/x not found',
      },
    ]);
    expect(gatewayVerdict(g, classes)).toEqual({
      text: 'False: Invalid: no listener is valid: listener https: InvalidCertificateRef: Secret default/x not found',
      problem: true,
    });
  });
  it('an unknown gatewayClassName says the class does not exist', () => {
    expect(gatewayVerdict(gw('web', 'portcio'), classes)).toEqual({
      text: 'Unknown: GatewayClass portcio does not exist',
      problem: true,
    });
  });
  it("another controller's class says it is not Portico's", () => {
    expect(gatewayVerdict(gw('web', 'istio'), classes).text).toBe(
      "Unknown: GatewayClass istio is not Portico's (controller istio.io/gateway-controller)",
    );
  });
  it("the API server's default status is not Portico's answer yet; Programmed=True is fine", () => {
    const waiting = gw('web', 'portico', [
      { type: 'Programmed', status: 'Unknown', reason: 'Pending', message: 'Waiting for controller' },
    ]);
    expect(gatewayVerdict(waiting, classes)).toEqual({
      text: 'Unknown: no status from Portico yet',
      problem: true,
    });
    const ok = gw('web', 'portico', [{ type: 'Programmed', status: 'True', reason: 'Programmed' }]);
    expect(gatewayVerdict(ok, classes)).toEqual({ text: 'True', problem: false });
  });
});

describe('portico status: routes', () => {
  it('a route whose parent Gateway does not exist says so', () => {
    expect(routeVerdict(route(['x']), [gw('web')], classes)).toEqual({
      text: 'Gateway default/x not found',
      problem: true,
    });
  });
  it("a route on another controller's Gateway says whose it is", () => {
    expect(routeVerdict(route(['mesh']), [gw('mesh', 'istio')], classes).text).toBe(
      "Gateway default/mesh: GatewayClass istio is not Portico's (controller istio.io/gateway-controller)",
    );
  });
  it('a route on an existing Portico Gateway without status yet says so', () => {
    expect(routeVerdict(route(['web']), [gw('web')], classes).text).toBe('no status from Portico yet');
  });
  it("Portico's parent status: OK, or the failing condition", () => {
    const parent = (conditions: Condition[]) => ({
      status: {
        parents: [
          { controllerName: 'portico.dev/gateway-controller', parentRef: { name: 'web' }, conditions },
        ],
      },
    });
    const ok = route(['web'], parent([{ type: 'Accepted', status: 'True' }]).status);
    expect(routeVerdict(ok, [gw('web')], classes)).toEqual({ text: 'OK', problem: false });
    const missing = route(
      ['web'],
      parent([
        { type: 'Accepted', status: 'True' },
        { type: 'ResolvedRefs', status: 'False', reason: 'BackendNotFound' },
      ]).status,
    );
    expect(routeVerdict(missing, [gw('web')], classes)).toEqual({
      text: 'web: ResolvedRefs=False BackendNotFound',
      problem: true,
    });
  });
});
