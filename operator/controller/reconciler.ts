// One reconcile: cache snapshot -> translate (pure) -> xDS push (every replica) and, on the
// leader only, owned objects applied, LB addresses assigned, statuses written.
import type { Logger } from 'pino';
import type { RouteParentStatus } from '../api/index.ts';
import type { IR } from '../ir/types.ts';
import { mergeRouteParents } from '../translate/index.ts';
import { mergeAncestors } from '../translate/policy-ancestors.ts';
import { CONTROLLER_NAME, type Snapshot, type TranslateResult } from '../translate/types.ts';
import type { Applier } from '../kube/apply.ts';
import { MANAGED_BY, MANAGED_BY_LABEL } from '../kube/apply.ts';
import type { ClusterCache, ClusterSnapshot } from '../kube/cache.ts';
import { RESOURCES, type ResourceType } from '../kube/resources.ts';
import { runBounded, type StatusWriter, type WithStatus } from '../kube/status.ts';
import { writeLbStatuses, type LbAllocator } from './lb-status.ts';
import { ownedServiceObjects } from './owned.ts';
import { RouteStatusPlan } from './route-status-plan.ts';

/** Where the data-plane model goes (the xDS server), and what the Envoys have acknowledged. */
export interface XdsSink {
  push(ir: IR): void;
  programmed(): Snapshot['programmed'];
}

export interface ReconcilerDeps {
  cache: ClusterCache;
  translate: (s: Snapshot) => TranslateResult;
  applier: Applier;
  statusWriter: StatusWriter;
  isLeader: () => boolean;
  logger: Logger;
  allocate?: LbAllocator;
  xds?: XdsSink;
  now?: () => string;
}

export interface ReconcileSummary {
  leader: boolean;
  applied: number;
  pruned: number;
  statusWrites: number;
}

/** One translation and the snapshot it came from: the input of the leader's writes. */
export interface Translated {
  snap: ClusterSnapshot;
  result: TranslateResult;
}

export class ReconcileError extends Error {
  constructor(readonly causes: unknown[]) {
    super(`${causes.length} step(s) failed: ${causes.map(String).slice(0, 3).join('; ')}`);
    this.name = 'ReconcileError';
  }
}

const NONE = {};
const ECHO_LIMIT = 50000;

export class Reconciler {
  /** Cached route object -> the desired parents its status was last found or made equal to. */
  private readonly settled = new WeakMap<object, unknown>();
  /**
   * Per route written: the version our write made and the parents it wrote. A burst's writes come
   * back after its passes; when the translation still wants what was written, the echo needs no
   * comparison (at 10,000 routes, a pass after a burst would otherwise compare thousands).
   */
  private readonly echoes = new Map<string, { rv: string; ours: unknown }>();
  /** Which routes each status pass looks at: those that changed since the last one. */
  private readonly routePlan = new RouteStatusPlan();

  constructor(private readonly d: ReconcilerDeps) {}

  async reconcile(): Promise<ReconcileSummary> {
    return this.write(this.translateAndPush());
  }

  /** The data-plane half, on every replica: snapshot, translate, push to the Envoys. */
  translateAndPush(): Translated {
    const t0 = performance.now();
    const snap = this.d.cache.snapshot();
    const now = (this.d.now ?? rfc3339Now)();
    const result = this.d.translate({ ...snap, now, programmed: this.programmed() });
    const t1 = performance.now();
    this.d.xds?.push(result.ir);
    const ms = (a: number, b: number) => Math.round((b - a) * 10) / 10;
    this.d.logger.debug({ translateMs: ms(t0, t1), xdsMs: ms(t1, performance.now()) }, 'translated');
    return { snap, result };
  }

  /** Without an xDS server no Envoy is programmed: Gateways wait (Pending), never Programmed=True. */
  private programmed(): Snapshot['programmed'] {
    return this.d.xds?.programmed() ?? { acked: [], envoys: 0 };
  }

  /**
   * The API half, on the leader only: owned objects, LB addresses, statuses. Kept apart from the
   * push so that slow API writes never hold back the next change on its way to Envoy.
   */
  async write({ snap, result }: Translated): Promise<ReconcileSummary> {
    const { logger } = this.d;
    const t2 = performance.now();
    const summary: ReconcileSummary = { leader: this.d.isLeader(), applied: 0, pruned: 0, statusWrites: 0 };
    if (!summary.leader) return summary;

    const errors: unknown[] = [];
    const writesBefore = this.d.statusWriter.writes;
    const ownedLive = snap.services.filter((s) => s.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY);
    const sync = await this.d.applier.sync(
      RESOURCES.services,
      ownedServiceObjects(result.ownedServices, (bad) =>
        logger.warn(
          { namespace: bad.namespace, name: bad.name, error: bad.error },
          'owned Service not built',
        ),
      ),
      ownedLive as WithStatus[],
    );
    summary.applied = sync.applied.length;
    summary.pruned = sync.pruned.length;
    for (const f of sync.failed) errors.push(new Error(`apply ${f.key}: ${f.error}`));

    if (this.d.allocate) {
      try {
        const alloc = this.d.allocate(snap.ipPools, snap.services);
        errors.push(...(await writeLbStatuses(this.d.statusWriter, alloc, snap.services, snap.ipPools)));
      } catch (err) {
        errors.push(err);
      }
    }

    const t3 = performance.now();
    errors.push(...(await this.writeStatuses(snap, result)));
    summary.statusWrites = this.d.statusWriter.writes - writesBefore;
    const ms = (a: number, b: number) => Math.round((b - a) * 10) / 10;
    logger.debug(
      {
        applyIpamMs: ms(t2, t3),
        statusMs: ms(t3, performance.now()),
        ...summary,
      },
      'reconciled',
    );
    if (errors.length) {
      logger.warn({ errors: errors.map(String).slice(0, 5), count: errors.length }, 'reconcile incomplete');
      throw new ReconcileError(errors);
    }
    return summary;
  }

  private async writeStatuses(snap: ClusterSnapshot, result: TranslateResult): Promise<unknown[]> {
    const errors: unknown[] = [];
    const w = this.d.statusWriter;
    const write = async (type: ResourceType, live: WithStatus | undefined, status: object) => {
      if (!live) return false;
      try {
        await w.write(type, live, status as Record<string, unknown>);
        return true;
      } catch (err) {
        errors.push(err);
        return false;
      }
    };
    const byKey = <T extends WithStatus>(items: readonly unknown[]) =>
      new Map((items as T[]).map((o) => [`${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`, o]));
    // A burst (1,000 new routes) goes out `w.concurrency` writes at a time, not one by one.
    const jobs: (() => Promise<void>)[] = [];
    const classes = byKey(snap.gatewayClasses);
    for (const c of result.gatewayClassStatuses)
      jobs.push(
        async () => void (await write(RESOURCES.gatewayClasses, classes.get(`/${c.name}`), c.status)),
      );
    const gateways = byKey(snap.gateways);
    for (const g of result.gatewayStatuses)
      jobs.push(
        async () =>
          void (await write(RESOURCES.gateways, gateways.get(`${g.namespace}/${g.name}`), g.status)),
      );

    const listenerSets = byKey(snap.listenerSets);
    for (const l of result.listenerSetStatuses ?? [])
      await write(RESOURCES.listenerSets, listenerSets.get(`${l.namespace}/${l.name}`), l.status);
    const policies = byKey<WithStatus & { status?: { ancestors?: unknown } }>(snap.backendTlsPolicies);
    for (const p of result.backendTlsPolicyStatuses ?? []) {
      const live = policies.get(`${p.namespace}/${p.name}`);
      const ancestors = mergeAncestors(live?.status?.ancestors, p.ancestors);
      await write(RESOURCES.backendTlsPolicies, live, { ...live?.status, ancestors });
    }

    const kinds = [
      ['HTTPRoute', snap.httpRoutes, RESOURCES.httpRoutes],
      ['GRPCRoute', snap.grpcRoutes, RESOURCES.grpcRoutes],
      ['TLSRoute', snap.tlsRoutes, RESOURCES.tlsRoutes],
      ['TCPRoute', snap.tcpRoutes, RESOURCES.tcpRoutes],
      ['UDPRoute', snap.udpRoutes, RESOURCES.udpRoutes],
    ] as const;
    const types = new Map<string, ResourceType>(kinds.map(([kind, , type]) => [kind, type]));
    const routes = this.routePlan.next(
      kinds.map(([kind]) => kind),
      kinds.map(([, items]) => items as WithStatus[]),
      result.routeStatuses,
    );
    for (const { key, kind, live, ours } of routes) {
      const type = types.get(kind) as ResourceType;
      const existing = (live.status?.parents ?? []) as RouteParentStatus[];
      // The translator's memo hands back the same parents while a route is unchanged: a route
      // looked at again (its write failed, or another replica wrote it) costs a lookup.
      if (this.settled.get(live) === (ours ?? NONE)) {
        w.skip(type, 'unchanged');
        continue;
      }
      const echo = this.echoes.get(key);
      if (echo && echo.rv === live.metadata?.resourceVersion) {
        this.echoes.delete(key);
        if (echo.ours === (ours ?? NONE)) {
          this.settled.set(live, echo.ours);
          w.skip(type, 'unchanged');
          continue;
        }
      }
      // Routes that no longer name a Portico Gateway lose only Portico's entries.
      if (!ours && !existing.some((p) => p.controllerName === CONTROLLER_NAME)) continue;
      jobs.push(async () => {
        const parents = mergeRouteParents(existing, ours ?? [], CONTROLLER_NAME);
        if (await write(type, live, { ...live.status, parents })) {
          this.settled.set(live, ours ?? NONE);
          const rv = w.versionWritten(type, live);
          if (rv) this.echoes.set(key, { rv, ours: ours ?? NONE });
          // Unclaimed (the route went first): only the oldest go, and they cost a comparison.
          if (this.echoes.size > ECHO_LIMIT) this.echoes.delete(this.echoes.keys().next().value!);
        } else this.routePlan.unsettled(key);
      });
    }
    await runBounded(jobs, w.concurrency);
    return errors;
  }
}

/** metav1.Time: RFC 3339 to the second. */
export function rfc3339Now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}
