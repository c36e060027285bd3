import { ApiObject, JsonPatch } from 'cdk8s';
import type { IConstruct } from 'constructs';

/**
 * cdk8s gives every object its chart's namespace; cluster-scoped kinds must not carry one. Takes
 * an ApiObject or a construct wrapping one (a cdk8s-plus Namespace).
 */
export function clusterScoped<T extends IConstruct>(construct: T): T {
  const obj = construct instanceof ApiObject ? construct : ApiObject.of(construct);
  if (obj.metadata.namespace !== undefined) obj.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
  return construct;
}
