import { type ApiObjectMetadata } from 'cdk8s';
import { Construct } from 'constructs';
import * as gwapi from './imports/gateway.networking.k8s.io.ts';
import { invalid, validationMessage } from './errors.ts';
import {
  addListenerTo,
  Gateway,
  type ListenerInfo,
  type ListenerOwner,
  type ListenerProps,
} from './gateway.ts';
import { checkKeys, KEYS } from './keys.ts';
import { checkName } from './validate.ts';

/** The Gateway a ListenerSet adds listeners to: the construct, or its name (and namespace). */
export type ListenerSetParent = Gateway | { readonly name: string; readonly namespace?: string };

export interface ListenerSetProps {
  /** Object metadata. @default a name unique in the chart */
  readonly metadata?: ApiObjectMetadata;
  /** The parent Gateway; it must admit this set in its `allowedListeners`. */
  readonly gateway: ListenerSetParent;
  /** Listeners, as on a Gateway; more can be added with `addListener`. @default none */
  readonly listeners?: ListenerProps[];
}

/**
 * A ListenerSet (gateway.networking.k8s.io/v1): listeners merged into a parent Gateway, so a team can
 * add its hostnames and certificates without write access to the Gateway. Routes attach to it with
 * `attachTo(listenerSet)`.
 */
export class ListenerSet extends Construct implements ListenerOwner {
  readonly apiObject: gwapi.ListenerSet;
  readonly name: string;
  readonly namespace: string | undefined;
  /** The parent Gateway's name. */
  readonly gatewayName: string;
  /** @internal */
  readonly listenerEntries: gwapi.GatewaySpecListeners[] = [];
  /** @internal */
  readonly listenerInfos: ListenerInfo[] = [];

  constructor(scope: Construct, id: string, props: ListenerSetProps) {
    super(scope, id);
    checkKeys(this, '', props, KEYS.listenerSet);
    const parent = props.gateway;
    if (!(parent instanceof Gateway)) checkKeys(this, 'gateway', parent, KEYS.listenerSetParent);
    checkName(this, 'gateway.name', parent.name);
    if (parent.namespace !== undefined) checkName(this, 'gateway.namespace', parent.namespace);
    this.apiObject = new gwapi.ListenerSet(this, 'Resource', {
      metadata: props.metadata,
      spec: {
        parentRef: {
          group: 'gateway.networking.k8s.io',
          kind: 'Gateway',
          name: parent.name,
          namespace: parent.namespace,
        },
        // The same listener builder fills both; only the generated enum types are distinct.
        listeners: this.listenerEntries as unknown as gwapi.ListenerSetSpecListeners[],
      },
    });
    this.name = this.apiObject.name;
    this.namespace = this.apiObject.metadata.namespace;
    this.gatewayName = parent.name;
    if (parent instanceof Gateway) {
      const refusal = parent.listenerSetRefusal(this.namespace);
      if (refusal) invalid(this, 'gateway', refusal);
    }
    for (const l of props.listeners ?? []) this.addListener(l);
    this.node.addValidation({
      validate: () => [
        ...(this.listenerInfos.length === 0
          ? [validationMessage(this, 'listeners', 'must not be empty; call addListener()')]
          : []),
        ...(parent instanceof Gateway ? this.conflictsWith(parent) : []),
      ],
    });
  }

  /** The listeners added so far. */
  get listeners(): readonly ListenerInfo[] {
    return this.listenerInfos;
  }

  /** Adds a listener; throws if it is invalid or its name is taken in this set. */
  addListener(listener: ListenerProps): void {
    addListenerTo(this, listener);
  }

  // The Gateway's own listeners win a port: a set listener of another protocol there is refused.
  private conflictsWith(gw: Gateway): string[] {
    return this.listenerInfos.flatMap((l, i) => {
      const taken = gw.listeners.find(
        (g) =>
          g.port === l.port && g.protocol !== l.protocol && (g.protocol === 'UDP') === (l.protocol === 'UDP'),
      );
      return taken
        ? [
            validationMessage(
              this,
              `listeners[${i}].protocol`,
              `${l.protocol} on port ${l.port} conflicts with ${taken.protocol} listener "${taken.name}" of Gateway "${gw.name}"; use another port`,
            ),
          ]
        : [];
    });
  }
}
