import { ApiObject, type ApiObjectMetadata } from 'cdk8s';
import { Construct } from 'constructs';
import { invalid } from './errors.ts';
import { checkKeys, KEYS } from './keys.ts';
import { parseCidr, parseIp } from './ip.ts';
import { type CrdSpec, PORTICO_API_VERSION, conditionsSchema, labelSelectorSchema } from './portico-crds.ts';
import { type LabelSelector, toWireSelector } from './label-selector.ts';
import { clusterScoped } from './cluster-scoped.ts';

/** A block of addresses: a CIDR, or an inclusive start/stop range. */
export type IpBlock = { readonly cidr: string } | { readonly start: string; readonly stop: string };

export interface LoadBalancerIpPoolSpec {
  readonly blocks: IpBlock[];
  readonly serviceSelector?: LabelSelector;
  readonly allowFirstLastIPs?: boolean;
  readonly disabled?: boolean;
}

const ip = {
  type: 'string',
  maxLength: 45,
  xKubernetesValidations: [{ rule: 'isIP(self)', message: 'must be an IPv4 or IPv6 address' }],
};

/** The CRD of LoadBalancerIPPool (portico.dev/v1alpha1, cluster-scoped). */
export const loadBalancerIpPoolCrd: CrdSpec = {
  kind: 'LoadBalancerIPPool',
  plural: 'loadbalancerippools',
  singular: 'loadbalancerippool',
  shortNames: ['lbippool', 'ippools'],
  spec: {
    type: 'object',
    description: 'Addresses that Portico assigns to LoadBalancer Services (and so to Gateways).',
    required: ['blocks'],
    properties: {
      blocks: {
        type: 'array',
        minItems: 1,
        maxItems: 64,
        xKubernetesListType: 'atomic',
        description:
          'CIDRs or start/stop ranges; an address is handed out from the first block that has one free.',
        items: {
          type: 'object',
          properties: {
            cidr: {
              type: 'string',
              maxLength: 49,
              xKubernetesValidations: [
                { rule: 'isCIDR(self)', message: 'must be a CIDR such as 10.0.10.0/24 or fd00::/120' },
                {
                  rule: '!isCIDR(self) || cidr(self) == cidr(self).masked()',
                  message: 'must have its host bits zero, e.g. 10.0.10.0/24 not 10.0.10.1/24',
                },
              ],
            },
            start: ip,
            stop: ip,
          },
          xKubernetesValidations: [
            {
              rule: 'has(self.cidr) != (has(self.start) || has(self.stop))',
              message: 'a block is either a cidr or a start/stop range, not both and not neither',
            },
            { rule: 'has(self.start) == has(self.stop)', message: 'a range needs both start and stop' },
            {
              rule: '!has(self.start) || !has(self.stop) || !isIP(self.start) || !isIP(self.stop) || ip(self.start).family() == ip(self.stop).family()',
              message: 'start and stop must be of the same IP family',
            },
          ],
        },
      },
      serviceSelector: labelSelectorSchema(
        'Only Services matching this selector get addresses from the pool; empty matches all.',
      ),
      allowFirstLastIPs: {
        type: 'boolean',
        default: false,
        description: 'Hand out the network and broadcast addresses of CIDR blocks too.',
      },
      disabled: {
        type: 'boolean',
        default: false,
        description: 'Stop handing out new addresses from this pool; assigned ones stay.',
      },
    },
  },
  status: {
    type: 'object',
    properties: {
      ipCounts: {
        type: 'object',
        properties: {
          total: { type: 'integer', format: 'int64', minimum: 0 },
          used: { type: 'integer', format: 'int64', minimum: 0 },
          available: { type: 'integer', format: 'int64', minimum: 0 },
        },
      },
      conditions: conditionsSchema,
    },
  },
  printerColumns: [
    { name: 'Disabled', type: 'boolean', jsonPath: '.spec.disabled' },
    { name: 'Total', type: 'integer', jsonPath: '.status.ipCounts.total' },
    { name: 'Used', type: 'integer', jsonPath: '.status.ipCounts.used' },
    { name: 'Available', type: 'integer', jsonPath: '.status.ipCounts.available' },
    {
      name: 'Conflicting',
      type: 'string',
      jsonPath: ".status.conditions[?(@.type=='Conflicting')].status",
      priority: 1,
    },
  ],
};

export interface LoadBalancerIpPoolProps {
  /** @default a name unique in the chart */
  readonly metadata?: ApiObjectMetadata;
  /** Address blocks; more can be added with `addBlock`. */
  readonly blocks?: IpBlock[];
  /** Services that may take addresses from this pool. @default every LoadBalancer Service */
  readonly serviceSelector?: LabelSelector;
  /** Hand out the first and last address of CIDR blocks. @default false */
  readonly allowFirstLastIPs?: boolean;
  /** Keep the pool but assign nothing new from it. @default false */
  readonly disabled?: boolean;
}

interface Range {
  readonly family: 4 | 6;
  readonly first: bigint;
  readonly last: bigint;
  readonly text: string;
}

/** A LoadBalancerIPPool: addresses Portico's LB IPAM gives to Gateway Services. */
export class LoadBalancerIpPool extends Construct {
  readonly apiObject: ApiObject;
  readonly name: string;
  private readonly wireBlocks: IpBlock[] = [];
  private readonly ranges: Range[] = [];

  constructor(scope: Construct, id: string, props: LoadBalancerIpPoolProps = {}) {
    super(scope, id);
    checkKeys(this, '', props, KEYS.ipPool);
    const spec = {
      blocks: this.wireBlocks,
      serviceSelector: toWireSelector(this, 'serviceSelector', props.serviceSelector),
      allowFirstLastIPs: props.allowFirstLastIPs ?? false,
      disabled: props.disabled ?? false,
    };
    this.apiObject = new ApiObject(this, 'Resource', {
      apiVersion: PORTICO_API_VERSION,
      kind: 'LoadBalancerIPPool',
      metadata: props.metadata,
      spec,
    });
    clusterScoped(this.apiObject);
    this.name = this.apiObject.name;
    for (const b of props.blocks ?? []) this.addBlock(b);
    this.node.addValidation({
      validate: () =>
        this.wireBlocks.length === 0 ? ['LoadBalancerIpPool: blocks must not be empty; call addBlock()'] : [],
    });
  }

  /** Adds a block; throws if it is malformed or overlaps a block already in the pool. */
  addBlock(block: IpBlock): void {
    const at = `blocks[${this.wireBlocks.length}]`;
    let range: Range;
    if ('cidr' in block) {
      const c = parseCidr(block.cidr);
      if (!c)
        invalid(
          this,
          `${at}.cidr`,
          `must be a CIDR with its host bits zero, such as "10.0.10.0/24", got "${block.cidr}"`,
        );
      range = { ...c, text: block.cidr };
    } else {
      const start = parseIp(block.start);
      const stop = parseIp(block.stop);
      if (!start) invalid(this, `${at}.start`, `must be an IP address, got "${block.start}"`);
      if (!stop) invalid(this, `${at}.stop`, `must be an IP address, got "${block.stop}"`);
      if (start.family !== stop.family)
        invalid(this, at, `start ${block.start} and stop ${block.stop} must be of the same IP family`);
      if (start.value > stop.value)
        invalid(this, at, `start ${block.start} is after stop ${block.stop}; swap them`);
      range = {
        family: start.family,
        first: start.value,
        last: stop.value,
        text: `${block.start}-${block.stop}`,
      };
    }
    const other = this.ranges.find(
      (r) => r.family === range.family && r.first <= range.last && range.first <= r.last,
    );
    if (other)
      invalid(
        this,
        at,
        `(${range.text}) overlaps another block of the pool (${other.text}); make the blocks disjoint`,
      );
    this.ranges.push(range);
    this.wireBlocks.push('cidr' in block ? { cidr: block.cidr } : { start: block.start, stop: block.stop });
  }
}
