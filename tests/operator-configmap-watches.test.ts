// The CA bundle watches against a real kube-apiserver: only the named ConfigMaps are listed and
// held, a changed set starts and stops watches, and a ConfigMap created later arrives as an event.
import { pino } from 'pino';
import { startControlPlane, type ControlPlane } from '../local/control-plane.ts';
import { ObjectWatches } from '../operator/kube/object-watches.ts';
import { CONFIG_MAPS } from '../operator/kube/resources.ts';
import { KubeClient } from '../operator/kube/rest.ts';
import { eventually } from '../test-support/operator-harness.ts';

const logger = pino({ level: 'silent' });
const cm = (name: string, ca: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name}, namespace: pki }\ndata: { ca.crt: ${ca} }`;

describe('operator/kube ObjectWatches (real kube-apiserver)', () => {
  let cp: ControlPlane;
  let client: KubeClient;
  let watches: ObjectWatches;

  beforeAll(async () => {
    cp = await startControlPlane();
    client = new KubeClient(cp.kubeConfig);
    await cp.applyYaml('apiVersion: v1\nkind: Namespace\nmetadata: { name: pki }');
    await cp.applyYaml([cm('a', 'one'), cm('b', 'two'), cm('unnamed', 'three')].join('\n---\n'));
  });
  afterAll(async () => {
    watches?.stop();
    client?.close();
    await cp?.stop();
  });

  it('holds only the named ConfigMaps and follows the set', async () => {
    watches = new ObjectWatches(client, CONFIG_MAPS, { logger, backoffInitialMs: 50 });
    const events: string[] = [];
    watches.on((type, o) => events.push(`${type} ${o.metadata?.name}`));
    const names = () => watches.items().map((o) => o.metadata?.name);

    await watches.sync(new Set(['pki/a']), 30000);
    expect(names()).toEqual(['a']);
    expect(events).toEqual(['ADDED a']);

    await cp.applyYaml(cm('a', 'changed'));
    await eventually('a modified', async () => events.includes('MODIFIED a'), 30000);

    // A ConfigMap that does not exist yet: the watch is synced (empty) and its creation is an event.
    await watches.sync(new Set(['pki/a', 'pki/late']), 30000);
    expect(names()).toEqual(['a']);
    await cp.applyYaml(cm('late', 'four'));
    await eventually('late added', async () => events.includes('ADDED late'), 30000);

    await watches.sync(new Set(['pki/b']), 30000);
    expect(names()).toEqual(['b']);
    expect(events).toEqual(expect.arrayContaining(['DELETED a', 'DELETED late', 'ADDED b']));
    expect(events.some((e) => e.endsWith('unnamed'))).toBe(false);
    expect(watches.keys()).toEqual(['pki/b']);
  });
});
