import { contains } from './apply.ts';

describe('contains (drift check of owned objects)', () => {
  const desired = {
    metadata: { name: 's', labels: { a: '1' } },
    spec: { type: 'LoadBalancer', ports: [{ name: 'p', port: 80, targetPort: 80 }] },
  };

  it('ignores fields the API server adds', () => {
    const live = {
      metadata: { name: 's', uid: 'u', labels: { a: '1', extra: 'x' } },
      spec: {
        type: 'LoadBalancer',
        clusterIP: '10.0.0.1',
        ports: [{ name: 'p', port: 80, targetPort: 80, protocol: 'TCP' }],
      },
      status: { loadBalancer: {} },
    };
    expect(contains(live, desired)).toBe(true);
  });

  it('sees a changed value, a missing label and an extra or missing list entry', () => {
    const base = () => JSON.parse(JSON.stringify(desired)) as typeof desired & Record<string, never>;
    const changed = base();
    changed.spec.ports[0]!.port = 81;
    expect(contains(changed, desired)).toBe(false);
    const unlabelled = base();
    unlabelled.metadata.labels = {} as { a: string };
    expect(contains(unlabelled, desired)).toBe(false);
    const extra = base();
    extra.spec.ports.push({ name: 'q', port: 81, targetPort: 81 });
    expect(contains(extra, desired)).toBe(false);
    expect(contains(undefined, desired)).toBe(false);
  });

  it('treats an int-or-string given as number or string alike', () => {
    expect(contains({ targetPort: '80' }, { targetPort: 80 })).toBe(true);
    expect(contains({ targetPort: 80 }, { targetPort: '81' })).toBe(false);
  });
});
