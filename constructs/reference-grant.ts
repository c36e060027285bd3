import { type ApiObjectMetadata } from 'cdk8s';
import { Construct } from 'constructs';
import * as gwapi from './imports/gateway.networking.k8s.io.ts';
import { invalid } from './errors.ts';
import { checkKeys, KEYS } from './keys.ts';
import { checkName } from './validate.ts';

export interface ReferenceGrantFrom {
  /** The kind allowed to refer: a route kind, or Gateway or ListenerSet (for certificate Secrets). */
  readonly kind: 'HTTPRoute' | 'GRPCRoute' | 'TLSRoute' | 'TCPRoute' | 'UDPRoute' | 'Gateway' | 'ListenerSet';
  /** The namespace the referring objects live in. */
  readonly namespace: string;
}

export interface ReferenceGrantTo {
  /** The kind that may be referred to. */
  readonly kind: 'Service' | 'Secret';
  /** Only this object. @default every object of the kind in the grant's namespace */
  readonly name?: string;
}

export interface ReferenceGrantProps {
  /** Object metadata; the namespace is the one whose objects are shared. @default a unique name */
  readonly metadata?: ApiObjectMetadata;
  readonly from: ReferenceGrantFrom[];
  readonly to: ReferenceGrantTo[];
}

/** A ReferenceGrant (gateway.networking.k8s.io/v1): lets objects in other namespaces refer to this one's. */
export class ReferenceGrant extends Construct {
  readonly apiObject: gwapi.ReferenceGrant;

  constructor(scope: Construct, id: string, props: ReferenceGrantProps) {
    super(scope, id);
    checkKeys(this, '', props, KEYS.referenceGrant);
    props.from.forEach((f, i) => checkKeys(this, `from[${i}]`, f, KEYS.referenceGrantFrom));
    props.to.forEach((t, i) => checkKeys(this, `to[${i}]`, t, KEYS.referenceGrantTo));
    if (props.from.length === 0) invalid(this, 'from', 'must list at least one kind and namespace');
    if (props.to.length === 0) invalid(this, 'to', 'must list at least one kind');
    props.from.forEach((f, i) => checkName(this, `from[${i}].namespace`, f.namespace));
    props.to.forEach((t, i) => t.name !== undefined && checkName(this, `to[${i}].name`, t.name));
    this.apiObject = new gwapi.ReferenceGrant(this, 'Resource', {
      metadata: props.metadata,
      spec: {
        from: props.from.map((f) => ({
          group: 'gateway.networking.k8s.io',
          kind: f.kind,
          namespace: f.namespace,
        })),
        to: props.to.map((t) => ({ group: '', kind: t.kind, name: t.name })),
      },
    });
  }
}
