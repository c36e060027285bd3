// Policy status (GEP-713): a policy reports per ancestor (Gateway); Portico writes only its own entries.
import type { Condition } from '../api/index.ts';
import { GATEWAY_GROUP } from '../api/index.ts';
import { arr, obj, str } from './read.ts';
import { CONTROLLER_NAME } from './types.ts';

export interface PolicyAncestorStatus {
  readonly ancestorRef: { group: string; kind: 'Gateway'; namespace: string; name: string };
  readonly controllerName: string;
  readonly conditions: Condition[];
}

export interface PolicyStatusResult {
  readonly namespace: string;
  readonly name: string;
  /** Only Portico's entries; merge with mergeAncestors(). */
  readonly ancestors: PolicyAncestorStatus[];
}

export function sameAncestor(a: unknown, b: PolicyAncestorStatus['ancestorRef']): boolean {
  const o = obj(a);
  return (
    (str(o.group) ?? GATEWAY_GROUP) === b.group &&
    (str(o.kind) ?? 'Gateway') === b.kind &&
    str(o.namespace) === b.namespace &&
    str(o.name) === b.name
  );
}

/** The policy's new `status.ancestors`: other controllers' entries kept, Portico's replaced. */
export function mergeAncestors(existing: unknown, ours: readonly PolicyAncestorStatus[]): unknown[] {
  return [...arr(existing).filter((x) => obj(x).controllerName !== CONTROLLER_NAME), ...ours];
}
