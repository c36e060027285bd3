/**
 * `cdk8s import` emits string enums; Portico's props take the plain strings users read in the
 * Gateway API docs. `${E}` is exactly the set of an enum's values, so this cast cannot widen.
 */
export function enumValue<E extends string>(value: `${E}`): E {
  return value as E;
}
