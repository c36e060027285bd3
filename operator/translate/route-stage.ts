// The routes stage kept across passes: route models in id order, their attachments, per Gateway
// and per listener. A pass that changes a few route objects updates it from those alone instead of
// walking, sorting and re-attaching all 10,000 routes. When the references (Services, grants) or the
// Gateway models change, each route is checked and only those whose model or attachment changed are
// spliced; when many do, the stage is rebuilt whole: the same result either way.
import type { Attachment } from './attach.ts';
import type { GatewayModel, ListenerModel, RouteKind } from './gateways.ts';
import { sameElements, translationCounts } from './memo.ts';
import { keptAcrossPasses } from './pass-memos.ts';
import { changes } from './list-changes.ts';
import { arr, byString, objectKey } from './read.ts';
import type { RouteModel } from './routes.ts';
import type { RouteStatusResult, Snapshot } from './types.ts';

export interface AttachResult {
  readonly status: RouteStatusResult | undefined;
  readonly attachments: readonly Attachment[];
}

interface Entry {
  readonly route: RouteModel;
  readonly result: AttachResult;
}

export interface RouteStage {
  /** Routes in id order (the first of a duplicated id), with their attachment results. */
  readonly entries: readonly Entry[];
  /** Per Gateway model, its attachments in route order: the same array while none of them changed. */
  readonly byGateway: ReadonlyMap<GatewayModel, readonly Attachment[]>;
  /** Per listener, how many routes attach to it (two parentRefs reaching one listener count once). */
  readonly attached: ReadonlyMap<ListenerModel, number>;
}

/** How a pass builds one route model and attaches one route (both memoized by the caller). */
export interface RouteStageDeps {
  readonly model: (kind: RouteKind, raw: unknown) => RouteModel;
  readonly attach: (route: RouteModel) => AttachResult;
  /** Gives `after` the model of `before` when they differ only in status (see memo.ts carryRoute). */
  readonly carry?: (kind: RouteKind, before: unknown, after: unknown) => boolean;
}

const KINDS: readonly [RouteKind, keyof Snapshot][] = [
  ['HTTPRoute', 'httpRoutes'],
  ['GRPCRoute', 'grpcRoutes'],
  ['TLSRoute', 'tlsRoutes'],
  ['TCPRoute', 'tcpRoutes'],
  ['UDPRoute', 'udpRoutes'],
];

/** Beyond this many changed route objects, one rebuild is cheaper than splicing each. */
const MAX_CHANGES = 256;

export const NO_ATTACHMENTS: readonly Attachment[] = [];

interface State extends RouteStage {
  readonly inputs: readonly (readonly unknown[])[];
  /** What the attachments were last checked against (the Gateway models, the Namespaces). */
  readonly parents: readonly object[];
  /** The references token (Services' ports, grants) the route models were last checked under. */
  readonly refs?: object;
  /** False when the inputs held a duplicated id or object: such passes always rebuild. */
  readonly incremental: boolean;
}

let last: State | undefined;
keptAcrossPasses(() => (last = undefined));

/**
 * The stage for this pass. When `refs` (Services' ports, grants) differs, each route model is
 * checked against what it read (memo.ts cachedRoute); when `parents` (the Gateway models, the
 * Namespaces) differ, each attachment is asked again (memo.ts cachedAttach answers the same object
 * while what it read holds). Only the routes whose model or attachment changed are spliced.
 */
export function routeStage(
  s: Snapshot,
  refs: object,
  parents: readonly object[],
  d: RouteStageDeps,
): RouteStage {
  const inputs = KINDS.map(([, field]) => arr(s[field]));
  const prev = last;
  const next =
    (prev &&
      prev.incremental &&
      update(prev, inputs, parents, d, prev.refs !== refs, !sameElements(prev.parents, parents))) ||
    rebuild(inputs, parents, d);
  last = { ...next, refs };
  return next;
}

function rebuild(
  inputs: readonly (readonly unknown[])[],
  parents: readonly object[],
  d: RouteStageDeps,
): State {
  translationCounts.routeStageRebuilds++;
  const routes: RouteModel[] = [];
  const seen = new Set<string>();
  let incremental = true;
  KINDS.forEach(([kind], k) => {
    for (const raw of inputs[k] ?? []) {
      const r = d.model(kind, raw);
      if (!r.meta.name) continue;
      if (seen.has(r.id)) incremental = false;
      else routes.push(r);
      seen.add(r.id);
    }
  });
  routes.sort((a, b) => byString(a.id, b.id));
  const entries = routes.map((route) => ({ route, result: d.attach(route) }));
  const byGateway = new Map<GatewayModel, Attachment[]>();
  const attached = new Map<ListenerModel, number>();
  for (const e of entries) {
    count(attached, e.result, 1);
    for (const a of e.result.attachments) {
      const list = byGateway.get(a.gateway);
      if (list) list.push(a);
      else byGateway.set(a.gateway, [a]);
    }
  }
  return { inputs: inputs.map((x) => [...x]), parents, incremental, entries, byGateway, attached };
}

function count(attached: Map<ListenerModel, number>, result: AttachResult, sign: 1 | -1): void {
  const listeners = new Set(result.attachments.map((a) => a.listener));
  for (const li of listeners) {
    const n = (attached.get(li) ?? 0) + sign;
    if (n === 0) attached.delete(li);
    else attached.set(li, n);
  }
}

/** Index of the first entry whose id is not below `id`. */
function lowerBound<T>(list: readonly T[], id: string, idOf: (x: T) => string): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (byString(idOf(list[mid] as T), id) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const entryId = (e: Entry): string => e.route.id;
const attachmentId = (a: Attachment): string => a.route.id;

/**
 * The changes without our own status writes come back: a burst's writes land after its last
 * translation, and the next pass would otherwise count thousands of changed routes and rebuild.
 * Stops looking once more than `budget` real changes are found (a rebuild follows anyway).
 */
function withoutEchoes(
  kind: RouteKind,
  c: { gone: unknown[]; come: unknown[] },
  d: RouteStageDeps,
  budget: number,
): { gone: unknown[]; come: unknown[] } {
  if (!d.carry || c.gone.length === 0 || c.come.length === 0) return c;
  const gone = new Map<string, unknown>();
  for (const raw of c.gone) gone.set(objectKey(raw), raw);
  const echoes = new Set<unknown>();
  let real = 0;
  for (const raw of c.come) {
    const before = gone.get(objectKey(raw));
    if (before !== undefined && d.carry(kind, before, raw)) echoes.add(before).add(raw);
    else if (++real > budget) return c;
  }
  if (echoes.size === 0) return c;
  return { gone: c.gone.filter((x) => !echoes.has(x)), come: c.come.filter((x) => !echoes.has(x)) };
}

/** The stage updated from the changed route objects, or undefined when a rebuild is needed. */
function update(
  prev: State,
  inputs: readonly (readonly unknown[])[],
  parents: readonly object[],
  d: RouteStageDeps,
  recheck: boolean,
  reattach: boolean,
): State | undefined {
  const gone: Entry[] = [];
  const come: RouteModel[] = [];
  let budget = MAX_CHANGES;
  for (let k = 0; k < KINDS.length; k++) {
    const before = prev.inputs[k] ?? [];
    const after = inputs[k] ?? [];
    if (before === after) continue;
    const kind = (KINDS[k] as [RouteKind, keyof Snapshot])[0];
    const c = withoutEchoes(kind, changes(before, after), d, budget);
    budget -= c.gone.length + c.come.length;
    if (budget < 0) return undefined;
    for (const raw of c.gone) {
      const r = d.model(kind, raw);
      if (!r.meta.name) continue;
      const at = lowerBound(prev.entries, r.id, entryId);
      const e = prev.entries[at];
      // Not the model the stage holds (a memo miss): only a rebuild knows the right answer.
      if (e?.route !== r) return undefined;
      gone.push(e);
    }
    for (const raw of c.come) {
      const r = d.model(kind, raw);
      if (r.meta.name) come.push(r);
    }
  }
  if (recheck || reattach) {
    // The references or the Gateways changed: a route whose model or attachment no longer holds is
    // spliced like a changed one.
    const leaving = new Set(gone);
    for (const e of prev.entries) {
      if (leaving.has(e)) continue;
      const r = recheck ? d.model(e.route.kind, e.route.raw) : e.route;
      if (r === e.route && (!reattach || d.attach(r) === e.result)) continue;
      budget -= 2;
      if (budget < 0) return undefined;
      gone.push(e);
      come.push(r);
    }
  }
  if (gone.length === 0 && come.length === 0) return { ...prev, inputs: inputs.map((x) => [...x]), parents };

  const entries = [...prev.entries];
  for (const e of gone) entries.splice(lowerBound(entries, e.route.id, entryId), 1);
  const added: Entry[] = [];
  for (const route of come) {
    const at = lowerBound(entries, route.id, entryId);
    if (entries[at]?.route.id === route.id) return undefined; // a duplicated id: first one wins
    const e = { route, result: d.attach(route) };
    entries.splice(at, 0, e);
    added.push(e);
  }

  const attached = new Map(prev.attached);
  for (const e of gone) count(attached, e.result, -1);
  for (const e of added) count(attached, e.result, 1);

  const byGateway = new Map(prev.byGateway);
  const removed = new Set(gone.map((e) => e.route));
  const touched = new Set<GatewayModel>();
  for (const e of [...gone, ...added]) for (const a of e.result.attachments) touched.add(a.gateway);
  for (const gw of touched) {
    const list = (prev.byGateway.get(gw) ?? []).filter((a) => !removed.has(a.route));
    for (const e of added) {
      const mine = e.result.attachments.filter((a) => a.gateway === gw);
      if (mine.length > 0) list.splice(lowerBound(list, e.route.id, attachmentId), 0, ...mine);
    }
    if (list.length > 0) byGateway.set(gw, list);
    else byGateway.delete(gw);
  }
  return { inputs: inputs.map((x) => [...x]), parents, incremental: true, entries, byGateway, attached };
}

/** Every attachment, in route order. */
export function allAttachments(stage: RouteStage): Attachment[] {
  return stage.entries.flatMap((e) => e.result.attachments);
}

/** The routes' status results, in route order. */
export function routeStatuses(stage: RouteStage): RouteStatusResult[] {
  const out: RouteStatusResult[] = [];
  for (const e of stage.entries) if (e.result.status) out.push(e.result.status);
  return out;
}
