import type { Construct } from 'constructs';
import { invalid } from './errors.ts';

export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  /** @default none (required for In and NotIn) */
  readonly values?: string[];
}

/** A Kubernetes label selector; every condition must hold. An empty selector matches everything. */
export interface LabelSelector {
  /** @default none */
  readonly matchLabels?: { readonly [key: string]: string };
  /** @default none */
  readonly matchExpressions?: LabelSelectorRequirement[];
}

export function toWireSelector(
  scope: Construct,
  field: string,
  sel: LabelSelector | undefined,
): LabelSelector | undefined {
  if (sel === undefined) return undefined;
  (sel.matchExpressions ?? []).forEach((e, i) => {
    const needsValues = e.operator === 'In' || e.operator === 'NotIn';
    const n = e.values?.length ?? 0;
    if (needsValues && n === 0)
      invalid(
        scope,
        `${field}.matchExpressions[${i}].values`,
        `must not be empty with operator ${e.operator}`,
      );
    if (!needsValues && n > 0)
      invalid(scope, `${field}.matchExpressions[${i}].values`, `must be empty with operator ${e.operator}`);
  });
  return {
    matchLabels: sel.matchLabels ? { ...sel.matchLabels } : undefined,
    matchExpressions: sel.matchExpressions?.map((e) => ({
      key: e.key,
      operator: e.operator,
      values: e.values ? [...e.values] : undefined,
    })),
  };
}
