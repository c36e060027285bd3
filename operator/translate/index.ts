export { translate } from './translate.ts';
export { conditionsEqual, statusEqual, mergeRouteParents, carryTransitionTimes } from './conditions.ts';
export { intersectHostnames, isValidHostname } from './hostnames.ts';
export { labelSelectorMatches } from './selector.ts';
export { clusterName } from './backends.ts';
export { SUPPORTED_FEATURES } from './support.ts';
export * from './types.ts';
