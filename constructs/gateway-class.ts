import { type ApiObjectMetadata } from 'cdk8s';
import { Construct } from 'constructs';
import * as gwapi from './imports/gateway.networking.k8s.io.ts';
import { invalid } from './errors.ts';
import { checkKeys, KEYS } from './keys.ts';
import { checkName } from './validate.ts';
import { clusterScoped } from './cluster-scoped.ts';
import { PORTICO_CONTROLLER_NAME } from './names.ts';

export { PORTICO_CONTROLLER_NAME };

export interface GatewayClassProps {
  /** Object metadata; `name` is the class name Gateways refer to. @default name "portico" */
  readonly metadata?: ApiObjectMetadata;
  /** The controller that manages Gateways of this class. @default "portico.dev/gateway-controller" */
  readonly controllerName?: string;
  /** Human-readable description. @default none */
  readonly description?: string;
}

/** A cluster-scoped GatewayClass (gateway.networking.k8s.io/v1). */
export class GatewayClass extends Construct {
  /** The generated API object; its id is `Resource`. */
  readonly apiObject: gwapi.GatewayClass;
  readonly name: string;
  readonly controllerName: string;

  constructor(scope: Construct, id: string, props: GatewayClassProps = {}) {
    super(scope, id);
    checkKeys(this, '', props, KEYS.gatewayClass);
    this.name = props.metadata?.name ?? 'portico';
    this.controllerName = props.controllerName ?? PORTICO_CONTROLLER_NAME;
    checkName(this, 'metadata.name', this.name);
    if (
      !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/.test(
        this.controllerName,
      )
    ) {
      invalid(
        this,
        'controllerName',
        `must be a domain-prefixed path such as "example.net/gateway-controller", got "${this.controllerName}"`,
      );
    }
    this.apiObject = new gwapi.GatewayClass(this, 'Resource', {
      metadata: { ...props.metadata, name: this.name },
      spec: { controllerName: this.controllerName, description: props.description },
    });
    clusterScoped(this.apiObject);
  }
}
