import { ApiObject, type ApiObjectMetadata } from 'cdk8s';
import { Construct } from 'constructs';
import { type LabelSelector, toWireSelector } from './label-selector.ts';
import { type CrdSpec, PORTICO_API_VERSION, conditionsSchema, labelSelectorSchema } from './portico-crds.ts';
import { invalid } from './errors.ts';
import { checkKeys, KEYS } from './keys.ts';
import { checkRegex } from './validate.ts';
import { clusterScoped } from './cluster-scoped.ts';

/** The CRD of L2AnnouncementPolicy (portico.dev/v1alpha1, cluster-scoped). */
export const l2AnnouncementPolicyCrd: CrdSpec = {
  kind: 'L2AnnouncementPolicy',
  plural: 'l2announcementpolicies',
  singular: 'l2announcementpolicy',
  shortNames: ['l2policy'],
  spec: {
    type: 'object',
    description: 'Which Service addresses Portico announces with ARP/NDP, from which nodes and interfaces.',
    properties: {
      serviceSelector: labelSelectorSchema('Services whose addresses are announced; empty matches all.'),
      nodeSelector: labelSelectorSchema('Nodes that may announce; empty means every node.'),
      interfaces: {
        type: 'array',
        maxItems: 16,
        xKubernetesListType: 'atomic',
        description:
          'Regular expressions (RE2) for interface names to announce on; empty means every interface.',
        items: { type: 'string', minLength: 1, maxLength: 256 },
      },
      loadBalancerIPs: {
        type: 'boolean',
        default: true,
        description: "Announce the Services' LoadBalancer IPs.",
      },
      externalIPs: {
        type: 'boolean',
        default: false,
        description: "Announce the Services' spec.externalIPs.",
      },
    },
    xKubernetesValidations: [
      {
        rule: 'self.loadBalancerIPs || self.externalIPs',
        message: 'set loadBalancerIPs or externalIPs to true: a policy that announces neither does nothing',
      },
    ],
  },
  status: { type: 'object', properties: { conditions: conditionsSchema } },
  printerColumns: [
    { name: 'LB IPs', type: 'boolean', jsonPath: '.spec.loadBalancerIPs' },
    { name: 'External IPs', type: 'boolean', jsonPath: '.spec.externalIPs' },
    { name: 'Interfaces', type: 'string', jsonPath: '.spec.interfaces', priority: 1 },
  ],
};

export interface L2AnnouncementPolicyProps {
  /** @default a name unique in the chart */
  readonly metadata?: ApiObjectMetadata;
  /** Services whose addresses are announced. @default all */
  readonly serviceSelector?: LabelSelector;
  /** Nodes that may announce. @default all */
  readonly nodeSelector?: LabelSelector;
  /** Interface name regular expressions. @default every interface */
  readonly interfaces?: string[];
  /** Announce LoadBalancer IPs. @default true */
  readonly loadBalancerIPs?: boolean;
  /** Announce external IPs. @default false */
  readonly externalIPs?: boolean;
}

/** An L2AnnouncementPolicy: lets Portico's node agent answer ARP for Gateway addresses. */
export class L2AnnouncementPolicy extends Construct {
  readonly apiObject: ApiObject;
  readonly name: string;

  constructor(scope: Construct, id: string, props: L2AnnouncementPolicyProps = {}) {
    super(scope, id);
    checkKeys(this, '', props, KEYS.l2Policy);
    const loadBalancerIPs = props.loadBalancerIPs ?? true;
    const externalIPs = props.externalIPs ?? false;
    if (!loadBalancerIPs && !externalIPs) {
      invalid(
        this,
        'loadBalancerIPs',
        'or externalIPs must be true: a policy that announces neither does nothing',
      );
    }
    (props.interfaces ?? []).forEach((r, i) => checkRegex(this, `interfaces[${i}]`, r));
    this.apiObject = new ApiObject(this, 'Resource', {
      apiVersion: PORTICO_API_VERSION,
      kind: 'L2AnnouncementPolicy',
      metadata: props.metadata,
      spec: {
        serviceSelector: toWireSelector(this, 'serviceSelector', props.serviceSelector),
        nodeSelector: toWireSelector(this, 'nodeSelector', props.nodeSelector),
        interfaces: props.interfaces ? [...props.interfaces] : undefined,
        loadBalancerIPs,
        externalIPs,
      },
    });
    clusterScoped(this.apiObject);
    this.name = this.apiObject.name;
  }
}
