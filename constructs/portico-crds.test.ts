import { Chart } from 'cdk8s';
import { l2AnnouncementPolicyCrd } from './l2-announcement-policy.ts';
import { loadBalancerIpPoolCrd } from './lb-ip-pool.ts';
import { PorticoCrd, toWireSchema } from './portico-crds.ts';
import { testApp } from '../test-support/cdk8s.ts';

function synth() {
  const chart = new Chart(testApp(), 'crds', { namespace: 'portico-system' });
  new PorticoCrd(chart, 'pool', loadBalancerIpPoolCrd);
  new PorticoCrd(chart, 'policy', l2AnnouncementPolicyCrd);
  return chart.toJson();
}

describe('Portico CRDs', () => {
  test('match their snapshots', () => {
    expect(synth()).toMatchSnapshot();
  });

  test('are cluster-scoped, with a status subresource, printer columns and a full schema', () => {
    const [pool, policy] = synth();
    for (const crd of [pool, policy]) {
      expect(crd.metadata.namespace).toBeUndefined();
      expect(crd.spec.scope).toBe('Cluster');
      const [v] = crd.spec.versions;
      expect(v).toMatchObject({
        name: 'v1alpha1',
        served: true,
        storage: true,
        subresources: { status: {} },
      });
      expect(
        v.schema.openAPIV3Schema.properties.status.properties.conditions['x-kubernetes-list-map-keys'],
      ).toEqual(['type']);
    }
    expect(pool.metadata.name).toBe('loadbalancerippools.portico.dev');
    expect(pool.spec.versions[0].additionalPrinterColumns.map((c: { name: string }) => c.name)).toEqual([
      'Disabled',
      'Total',
      'Used',
      'Available',
      'Conflicting',
      'Age',
    ]);
    const block = pool.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.blocks.items;
    expect(block['x-kubernetes-validations'].map((r: { rule: string }) => r.rule)).toContain(
      'has(self.start) == has(self.stop)',
    );
    expect(block.properties.cidr['x-kubernetes-validations'][0].rule).toBe('isCIDR(self)');
    expect(
      policy.spec.versions[0].schema.openAPIV3Schema.properties.spec['x-kubernetes-validations'][0].rule,
    ).toBe('self.loadBalancerIPs || self.externalIPs');
  });

  test('the schema keeps every x-kubernetes key in wire form at any depth', () => {
    const text = JSON.stringify(synth());
    expect(text).not.toMatch(/xKubernetes|openApiv3Schema/);
    expect(toWireSchema({ type: 'array', items: { type: 'object', xKubernetesMapType: 'atomic' } })).toEqual({
      type: 'array',
      items: { type: 'object', 'x-kubernetes-map-type': 'atomic' },
    });
  });
});
