import { Chart, Testing } from 'cdk8s';
import { type IpBlock, LoadBalancerIpPool } from './lb-ip-pool.ts';
import { L2AnnouncementPolicy, type L2AnnouncementPolicyProps } from './l2-announcement-policy.ts';
import { testApp, testChart } from '../test-support/cdk8s.ts';

describe('LoadBalancerIpPool', () => {
  test('synthesizes CIDR and range blocks, cluster-scoped', () => {
    const chart = new Chart(testApp(), 'lab', { namespace: 'portico-system' });
    const pool = new LoadBalancerIpPool(chart, 'pool', {
      metadata: { name: 'lab' },
      blocks: [{ cidr: '127.0.200.0/24' }],
      serviceSelector: {
        matchLabels: { 'portico.dev/gateway': 'true' },
        matchExpressions: [{ key: 'tier', operator: 'In', values: ['edge'] }],
      },
    });
    pool.addBlock({ start: 'fd00::10', stop: 'fd00::20' });
    pool.addBlock({ start: '127.0.201.1', stop: '127.0.201.1' });
    const [obj] = chart.toJson();
    expect(obj).toMatchSnapshot();
    expect(obj.apiVersion).toBe('portico.dev/v1alpha1');
    expect(obj.kind).toBe('LoadBalancerIPPool');
    expect(obj.metadata).toEqual({ name: 'lab' });
    expect(obj.spec).toMatchObject({ allowFirstLastIPs: false, disabled: false });
    expect(obj.spec.blocks).toHaveLength(3);
  });

  test.each<[string, IpBlock[], string]>([
    [
      'a start after its stop',
      [{ start: '10.0.0.9', stop: '10.0.0.1' }],
      'blocks[0] start 10.0.0.9 is after stop 10.0.0.1; swap them',
    ],
    [
      'overlapping CIDRs',
      [{ cidr: '10.0.0.0/24' }, { cidr: '10.0.0.128/25' }],
      'blocks[1] (10.0.0.128/25) overlaps another block of the pool (10.0.0.0/24)',
    ],
    [
      'a range inside a CIDR',
      [{ cidr: '10.0.0.0/24' }, { start: '10.0.0.250', stop: '10.0.1.5' }],
      'blocks[1] (10.0.0.250-10.0.1.5) overlaps',
    ],
    [
      'a CIDR with host bits',
      [{ cidr: '10.0.0.1/24' }],
      'blocks[0].cidr must be a CIDR with its host bits zero',
    ],
    ['a CIDR that is not one', [{ cidr: '10.0.0/24' }], 'blocks[0].cidr must be a CIDR'],
    ['a bad start', [{ start: 'x', stop: '10.0.0.1' }], 'blocks[0].start must be an IP address, got "x"'],
    ['a bad stop', [{ start: '10.0.0.1', stop: '10.0.0.256' }], 'blocks[0].stop must be an IP address'],
    [
      'mixed families',
      [{ start: '10.0.0.1', stop: 'fd00::1' }],
      'blocks[0] start 10.0.0.1 and stop fd00::1 must be of the same IP family',
    ],
  ])('refuses %s', (_what, blocks, message) => {
    expect(() => new LoadBalancerIpPool(testChart(), 'pool', { blocks })).toThrow(
      `LoadBalancerIpPool "test/pool": ${message}`,
    );
  });

  test('lets IPv4 and IPv6 blocks with equal numbers coexist', () => {
    expect(
      () =>
        new LoadBalancerIpPool(testChart(), 'pool', {
          blocks: [{ cidr: '0.0.0.0/24' }, { cidr: '::/120' }],
        }),
    ).not.toThrow();
  });

  test('refuses a selector expression without values, and an empty pool at synth', () => {
    expect(
      () =>
        new LoadBalancerIpPool(testChart(), 'pool', {
          serviceSelector: { matchExpressions: [{ key: 'a', operator: 'In' }] },
        }),
    ).toThrow('serviceSelector.matchExpressions[0].values must not be empty with operator In');
    expect(
      () =>
        new LoadBalancerIpPool(testChart(), 'pool', {
          serviceSelector: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] },
        }),
    ).toThrow('serviceSelector.matchExpressions[0].values must be empty with operator Exists');
    const chart = testChart();
    new LoadBalancerIpPool(chart, 'pool');
    expect(() => Testing.synth(chart)).toThrow(
      'LoadBalancerIpPool: blocks must not be empty; call addBlock()',
    );
  });
});

describe('L2AnnouncementPolicy', () => {
  test('defaults to announcing LoadBalancer IPs on every interface', () => {
    const chart = testChart();
    new L2AnnouncementPolicy(chart, 'policy', {
      metadata: { name: 'lab' },
      nodeSelector: {
        matchExpressions: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'DoesNotExist' }],
      },
      interfaces: ['^eth[0-9]+', '^veth-lab$'],
    });
    const [obj] = Testing.synth(chart);
    expect(obj).toMatchSnapshot();
    expect(obj.spec).toMatchObject({
      loadBalancerIPs: true,
      externalIPs: false,
      interfaces: ['^eth[0-9]+', '^veth-lab$'],
    });
  });

  test.each<[string, L2AnnouncementPolicyProps, string]>([
    ['announcing nothing', { loadBalancerIPs: false }, 'loadBalancerIPs or externalIPs must be true'],
    [
      'an interface regex that does not compile',
      { interfaces: ['eth(0'] },
      'interfaces[0] is not a valid RE2 regular expression',
    ],
    [
      'a node selector without values',
      { nodeSelector: { matchExpressions: [{ key: 'a', operator: 'NotIn' }] } },
      'nodeSelector.matchExpressions[0].values must not be empty',
    ],
  ])('refuses %s', (_what, props, message) => {
    expect(() => new L2AnnouncementPolicy(testChart(), 'policy', props)).toThrow(
      `L2AnnouncementPolicy "test/policy": ${message}`,
    );
  });
});
