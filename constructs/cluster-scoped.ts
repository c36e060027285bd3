import { type ApiObject, JsonPatch } from 'cdk8s';

/** cdk8s gives every object its chart's namespace; cluster-scoped kinds must not carry one. */
export function clusterScoped<T extends ApiObject>(obj: T): T {
  if (obj.metadata.namespace !== undefined) obj.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
  return obj;
}
