// What `portico status` says about each Gateway API object: pure, from the listed objects only,
// so every answer names what is wrong instead of "Unknown" or "no status yet" forever.
import { CONTROLLER_NAME } from '../../operator/translate/types.ts';

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}
export interface ParentRef {
  group?: string;
  kind?: string;
  namespace?: string;
  name?: string;
}
export interface Obj {
  metadata: { name: string; namespace?: string; generation?: number };
  spec?: { controllerName?: string; gatewayClassName?: string; parentRefs?: ParentRef[] };
  status?: {
    conditions?: Condition[];
    addresses?: { value: string }[];
    listeners?: { name: string; attachedRoutes?: number }[];
    parents?: { controllerName?: string; parentRef?: ParentRef; conditions?: Condition[] }[];
  };
}

/** One object's verdict: the short column text, and the problem if there is one. */
export interface Verdict {
  readonly text: string;
  readonly problem: boolean;
}

export const cond = (conditions: readonly Condition[] | undefined, type: string) =>
  conditions?.find((c) => c.type === type);

const explain = (c: Condition) => [c.reason, c.message].filter(Boolean).join(': ');

/** Why a Gateway's class does not make it Portico's, or undefined when it does. */
function classProblem(g: Obj, classes: readonly Obj[]): string | undefined {
  const name = g.spec?.gatewayClassName ?? '';
  const c = classes.find((x) => x.metadata.name === name);
  if (!c) return `GatewayClass ${name} does not exist`;
  if (c.spec?.controllerName !== CONTROLLER_NAME)
    return `GatewayClass ${name} is not Portico's (controller ${c.spec?.controllerName ?? 'none'})`;
  return undefined;
}

export function gatewayVerdict(g: Obj, classes: readonly Obj[]): Verdict {
  const notOurs = classProblem(g, classes);
  if (notOurs) return { text: `Unknown: ${notOurs}`, problem: true };
  const p = cond(g.status?.conditions, 'Programmed');
  if (!p || (p.reason === 'Pending' && p.status === 'Unknown'))
    return { text: 'Unknown: no status from Portico yet', problem: true };
  if (p.status === 'True') return { text: 'True', problem: false };
  return { text: `${p.status}: ${explain(p)}`, problem: true };
}

const ourParents = (r: Obj) => (r.status?.parents ?? []).filter((p) => p.controllerName === CONTROLLER_NAME);

/** A route without Portico's status: say which parent is missing or not Portico's. */
function unclaimedRoute(r: Obj, gateways: readonly Obj[], classes: readonly Obj[]): string {
  const why: string[] = [];
  for (const ref of r.spec?.parentRefs ?? []) {
    if ((ref.group ?? 'gateway.networking.k8s.io') !== 'gateway.networking.k8s.io') continue;
    if ((ref.kind ?? 'Gateway') !== 'Gateway') continue;
    const ns = ref.namespace ?? r.metadata.namespace ?? 'default';
    const g = gateways.find(
      (x) => x.metadata.name === ref.name && (x.metadata.namespace ?? 'default') === ns,
    );
    if (!g) why.push(`Gateway ${ns}/${ref.name} not found`);
    else {
      const notOurs = classProblem(g, classes);
      if (notOurs) why.push(`Gateway ${ns}/${ref.name}: ${notOurs}`);
    }
  }
  if ((r.spec?.parentRefs ?? []).length === 0) why.push('no parentRefs');
  return why.length > 0 ? why.join('; ') : 'no status from Portico yet';
}

export function routeVerdict(r: Obj, gateways: readonly Obj[], classes: readonly Obj[]): Verdict {
  const ours = ourParents(r);
  if (ours.length === 0) return { text: unclaimedRoute(r, gateways, classes), problem: true };
  const why = ours
    .map((p) => {
      const a = cond(p.conditions, 'Accepted');
      const rr = cond(p.conditions, 'ResolvedRefs');
      if (a?.status !== 'True')
        return `${p.parentRef?.name}: Accepted=${a?.status ?? 'Unknown'} ${a?.reason ?? ''}`;
      if (rr?.status === 'False') return `${p.parentRef?.name}: ResolvedRefs=False ${rr.reason ?? ''}`;
      return '';
    })
    .filter(Boolean)
    .map((s) => s.trim());
  return why.length === 0 ? { text: 'OK', problem: false } : { text: why.join('; '), problem: true };
}

/** The PARENTS column: the Gateways Portico reports on. */
export const routeParents = (r: Obj) =>
  ourParents(r)
    .map((p) => p.parentRef?.name)
    .join(',');
