// Kubernetes LabelSelector matching (matchLabels + matchExpressions), shared with ipam/.
import { arr, obj, str, strRecord } from './read.ts';

/**
 * True when `labels` satisfy `selector`. A missing selector matches nothing (`nil` semantics);
 * an empty object `{}` matches everything. An unknown operator matches nothing.
 */
export function labelSelectorMatches(selector: unknown, labels: Readonly<Record<string, string>>): boolean {
  if (selector === null || typeof selector !== 'object' || Array.isArray(selector)) return false;
  const s = obj(selector);
  for (const [k, v] of Object.entries(strRecord(s.matchLabels))) if (labels[k] !== v) return false;
  for (const e of arr(s.matchExpressions)) {
    const ex = obj(e);
    const k = str(ex.key);
    if (k === undefined) return false;
    const values = arr(ex.values).filter((x): x is string => typeof x === 'string');
    const has = Object.prototype.hasOwnProperty.call(labels, k);
    switch (ex.operator) {
      case 'In':
        if (!has || !values.includes(labels[k] ?? '')) return false;
        break;
      case 'NotIn':
        if (has && values.includes(labels[k] ?? '')) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}
