import { routeEvents, transitionEvents } from './events.ts';

const st = (...cs: [string, string, string, string?][]) => ({
  conditions: cs.map(([type, status, reason, message]) => ({ type, status, reason, message: message ?? '' })),
});
const TYPES = ['Accepted', 'Programmed'];

describe('transitionEvents', () => {
  it('a Gateway coming up healthy gets Normal Events only, no Warning for Pending or AddressNotAssigned', () => {
    const steps = [
      undefined,
      st(['Accepted', 'True', 'Accepted'], ['Programmed', 'False', 'AddressNotAssigned']),
      st(['Accepted', 'True', 'Accepted'], ['Programmed', 'False', 'Pending']),
      st(['Accepted', 'True', 'Accepted'], ['Programmed', 'True', 'Programmed', 'Gateway is programmed']),
      st(['Accepted', 'True', 'Accepted'], ['Programmed', 'True', 'Programmed', 'Envoy acknowledged']),
    ];
    const events = steps.slice(1).flatMap((s, i) => transitionEvents(steps[i], s, TYPES));
    expect(events).toEqual([
      { type: 'Normal', reason: 'Accepted', message: '' },
      { type: 'Normal', reason: 'Programmed', message: 'Gateway is programmed' },
    ]);
  });

  it('a broken listener is a Warning with its reason and message, also after Pending', () => {
    const msg = 'no listener is valid: listener https: InvalidCertificateRef: Secret default/x not found';
    const pending = st(['Programmed', 'False', 'Pending']);
    const invalid = st(['Programmed', 'False', 'Invalid', msg]);
    expect(transitionEvents(pending, invalid, TYPES)).toEqual([
      { type: 'Warning', reason: 'Invalid', message: msg },
    ]);
    expect(transitionEvents(undefined, invalid, TYPES)).toHaveLength(1);
    expect(transitionEvents(invalid, invalid, TYPES)).toEqual([]);
  });

  it('ignores condition types it was not asked about and strips a prefix from a Normal reason', () => {
    expect(transitionEvents(undefined, st(['ResolvedRefs', 'False', 'X']), TYPES)).toEqual([]);
    expect(
      transitionEvents(undefined, st(['portico.dev/IPAMRequestSatisfied', 'True', 'Satisfied']), [
        'portico.dev/IPAMRequestSatisfied',
      ]),
    ).toEqual([{ type: 'Normal', reason: 'IPAMRequestSatisfied', message: '' }]);
  });
});

describe('routeEvents', () => {
  const CTRL = 'portico.dev/gateway-controller';
  const parents = (...ps: [string, string, string, string, string?][]) => ({
    parents: ps.map(([controllerName, name, type, status, reason]) => ({
      controllerName,
      parentRef: { name },
      conditions: [{ type, status, reason: reason ?? type, message: `${type} ${status}` }],
    })),
  });
  it("a parent's ResolvedRefs turning False is a Warning naming the Gateway; other controllers are ignored", () => {
    const before = parents([CTRL, 'web', 'ResolvedRefs', 'True']);
    const after = parents(
      [CTRL, 'web', 'ResolvedRefs', 'False', 'BackendNotFound'],
      ['other.io/ctrl', 'web', 'ResolvedRefs', 'False', 'Whatever'],
    );
    expect(routeEvents(before, after, 'shop', CTRL)).toEqual([
      { type: 'Warning', reason: 'BackendNotFound', message: 'Gateway shop/web: ResolvedRefs False' },
    ]);
    expect(routeEvents(after, after, 'shop', CTRL)).toEqual([]);
  });
  it('an accepted route gets no Event', () => {
    expect(routeEvents(undefined, parents([CTRL, 'web', 'Accepted', 'True']), 'shop', CTRL)).toEqual([]);
  });
});
