// ListenerSet is installed but not implemented: refused with a status.
import { myGateway, gateway } from '../../test-support/translate/fixtures.ts';
import { cond, snap } from '../../test-support/translate/scenario-helpers.ts';
import { translate } from './translate.ts';
import { mergeAncestors } from './unsupported-kinds.ts';

const listenerSet = (name: string, parent: Record<string, unknown>, ns = 'default') => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'ListenerSet',
  metadata: { name, namespace: ns, generation: 4 },
  spec: { parentRef: parent, listeners: [{ name: 'extra', protocol: 'HTTP', port: 8080 }] },
});

it('a ListenerSet on a Portico Gateway is NotAllowed, saying whether the Gateway allows ListenerSets', () => {
  const open = gateway('open', [{ name: 'web', protocol: 'HTTP', port: 80 }]);
  (open.spec as Record<string, unknown>).allowedListeners = { namespaces: { from: 'All' } };
  const r = translate(
    snap({
      gateways: [myGateway(), open],
      listenerSets: [
        listenerSet('closed-ls', { name: 'my-gateway' }),
        listenerSet('open-ls', { name: 'open', namespace: 'default' }, 'other'),
        listenerSet('not-ours', { name: 'elsewhere' }),
        listenerSet('wrong-kind', { name: 'my-gateway', kind: 'Service', group: '' }),
      ],
    }),
  );
  expect(r.listenerSetStatuses?.map((l) => l.name)).toEqual(['closed-ls', 'open-ls']);
  const [closed, opened] = r.listenerSetStatuses!;
  expect(cond(closed?.status.conditions, 'Accepted')).toBe('False/NotAllowed');
  expect(cond(closed?.status.conditions, 'Programmed')).toBe('False/NotAllowed');
  expect(closed?.status.conditions[0]).toMatchObject({
    observedGeneration: 4,
    message:
      'Gateway default/my-gateway does not allow ListenerSets from namespace default (spec.allowedListeners)',
  });
  expect(opened?.status.conditions[0]?.message).toBe(
    'Portico does not support ListenerSets yet; add the listeners to Gateway default/open',
  );
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
