// What changed between two versions of a list of cluster objects, by identity: informer caches
// keep unchanged objects identical, so one change costs a comparison of the lists' ends.
/** What changed between two versions of an input list: the objects only one of them holds. */
export function changes<T>(before: readonly T[], after: readonly T[]): { gone: T[]; come: T[] } {
  // Informer caches keep order (a changed object keeps its place, a new one goes last): compare
  // the ends by identity, then only the window between them.
  const n = Math.min(before.length, after.length);
  let start = 0;
  while (start < n && before[start] === after[start]) start++;
  let endBefore = before.length;
  let endAfter = after.length;
  while (endBefore > start && endAfter > start && before[endBefore - 1] === after[endAfter - 1]) {
    endBefore--;
    endAfter--;
  }
  const was = before.slice(start, endBefore);
  const is = after.slice(start, endAfter);
  const wasSet = new Set(was);
  const isSet = new Set(is);
  return { gone: was.filter((x) => !isSet.has(x)), come: is.filter((x) => !wasSet.has(x)) };
}
