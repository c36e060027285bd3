import { Construct } from 'constructs';
import { ApiObject } from 'cdk8s';
import type { JsonSchemaProps } from 'cdk8s-plus-34/lib/imports/k8s.js';
import { clusterScoped } from './cluster-scoped.ts';

/** API group and version of Portico's own kinds. */
export const PORTICO_GROUP = 'portico.dev';
export const PORTICO_VERSION = 'v1alpha1';
export const PORTICO_API_VERSION = `${PORTICO_GROUP}/${PORTICO_VERSION}`;

const str = (maxLength: number, extra: JsonSchemaProps = {}): JsonSchemaProps => ({
  type: 'string',
  maxLength,
  ...extra,
});

/** metav1.LabelSelector, bounded so CEL cost estimates stay small. */
export function labelSelectorSchema(description: string): JsonSchemaProps {
  return {
    type: 'object',
    description,
    xKubernetesMapType: 'atomic',
    properties: {
      matchLabels: { type: 'object', maxProperties: 64, additionalProperties: str(63) },
      matchExpressions: {
        type: 'array',
        maxItems: 32,
        xKubernetesListType: 'atomic',
        items: {
          type: 'object',
          required: ['key', 'operator'],
          properties: {
            key: str(317),
            operator: { type: 'string', enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
            values: { type: 'array', maxItems: 64, xKubernetesListType: 'atomic', items: str(63) },
          },
          xKubernetesValidations: [
            {
              rule: "self.operator in ['In', 'NotIn'] ? has(self.values) && size(self.values) > 0 : !has(self.values) || size(self.values) == 0",
              message: 'values must be non-empty for In and NotIn, and empty for Exists and DoesNotExist',
            },
          ],
        },
      },
    },
  };
}

/** metav1.Condition list, as every Kubernetes status uses it. */
export const conditionsSchema: JsonSchemaProps = {
  type: 'array',
  maxItems: 8,
  xKubernetesListType: 'map',
  xKubernetesListMapKeys: ['type'],
  items: {
    type: 'object',
    required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'],
    properties: {
      type: str(316),
      status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
      observedGeneration: { type: 'integer', format: 'int64', minimum: 0 },
      lastTransitionTime: { type: 'string', format: 'date-time' },
      reason: str(1024),
      message: str(32768),
    },
  },
};

export interface CrdSpec {
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: string[];
  readonly spec: JsonSchemaProps;
  readonly status: JsonSchemaProps;
  readonly printerColumns: {
    name: string;
    type: string;
    jsonPath: string;
    description?: string;
    priority?: number;
  }[];
}

/** Emits a cluster-scoped Portico CRD with a status subresource. The construct id of the object is `Resource`. */
export class PorticoCrd extends Construct {
  readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string, crd: CrdSpec) {
    super(scope, id);
    this.apiObject = new ApiObject(this, 'Resource', {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: {
        name: `${crd.plural}.${PORTICO_GROUP}`,
        labels: { 'app.kubernetes.io/part-of': 'portico' },
      },
      spec: {
        group: PORTICO_GROUP,
        scope: 'Cluster',
        names: {
          kind: crd.kind,
          listKind: `${crd.kind}List`,
          plural: crd.plural,
          singular: crd.singular,
          shortNames: crd.shortNames,
          categories: ['portico'],
        },
        versions: [
          {
            name: PORTICO_VERSION,
            served: true,
            storage: true,
            subresources: { status: {} },
            additionalPrinterColumns: [
              ...crd.printerColumns,
              { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
            ],
            schema: {
              openAPIV3Schema: toWireSchema({
                type: 'object',
                required: ['spec'],
                properties: {
                  apiVersion: { type: 'string' },
                  kind: { type: 'string' },
                  metadata: { type: 'object' },
                  spec: crd.spec,
                  status: crd.status,
                },
              }),
            },
          },
        ],
      },
    });
    clusterScoped(this.apiObject);
  }
}

const wireKeys: Record<string, string> = {
  xKubernetesValidations: 'x-kubernetes-validations',
  xKubernetesListType: 'x-kubernetes-list-type',
  xKubernetesListMapKeys: 'x-kubernetes-list-map-keys',
  xKubernetesMapType: 'x-kubernetes-map-type',
  xKubernetesPreserveUnknownFields: 'x-kubernetes-preserve-unknown-fields',
  xKubernetesIntOrString: 'x-kubernetes-int-or-string',
  xKubernetesEmbeddedResource: 'x-kubernetes-embedded-resource',
};

/**
 * The JSON names of a schema. Written by hand because the generated KubeCustomResourceDefinition
 * renames only the top levels and leaves nested `xKubernetes*` keys as they are, which the API
 * server then silently drops.
 */
export function toWireSchema(schema: JsonSchemaProps): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (value === undefined) continue;
    const k = wireKeys[key] ?? key;
    if (key === 'properties') {
      out[k] = Object.fromEntries(
        Object.entries(value as Record<string, JsonSchemaProps>).map(([n, v]) => [n, toWireSchema(v)]),
      );
    } else if ((key === 'items' || key === 'additionalProperties') && typeof value === 'object') {
      out[k] = toWireSchema(value as JsonSchemaProps);
    } else {
      out[k] = value;
    }
  }
  return out;
}
