// Kubernetes wiring of TenantCutover: the SchemaReplication and Secrets it reads, crash-safe status
// writes in the middle of a move, and what deletion means (traffic stays where it is).
import type { CoreV1Api } from '@kubernetes/client-node';
import type { SchemaReplication, TenantCutover, TenantCutoverStatus } from '../api/index.js';
import type { CutoverMetrics } from '../observability/cutover-metrics.js';
import type { EventRecorder } from '../observability/events.js';
import { hasFinalizer, isBeingDeleted, type Finalizers } from '../runtime/finalizers.js';
import type { Informer } from '../runtime/informer.js';
import type { ReconcileContext, ReconcileResult, Reconciler } from '../runtime/reconciler.js';
import type { StatusWriter } from '../runtime/statusWriter.js';
import type { RoutingPort } from '../routing/client.js';
import type { RoutedRoute } from '../routing/protocol.js';
import { byAge } from '../routing/owners.js';
import { retainedRouteName } from '../routing/retained.js';
import { reconcileTenantCutover } from '../reconcilers/tenantcutover/index.js';
import { reportAndRethrow } from './failure.js';
import { TENANT_CUTOVERS } from './kinds.js';
import { readSecretData } from './secrets.js';

export const CUTOVER_FINALIZER = 'tenantshift.io/cutover';

export interface TenantCutoverControllerDeps {
  core: CoreV1Api;
  status: StatusWriter;
  finalizers: Finalizers;
  events: EventRecorder;
  routing: RoutingPort;
  replications: Informer<SchemaReplication>;
  cutovers: Informer<TenantCutover>;
  metrics: CutoverMetrics;
}

/** The TenantCutover that may move a SchemaReplication: the oldest referencing it (deleted or not). */
export function firstCutoverOf(cutovers: TenantCutover[], replication: string): TenantCutover | undefined {
  return cutovers.filter((c) => c.spec.replicationRef.name === replication).sort(byAge)[0];
}

/** Drops undefined members: a merge patch then removes those fields. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** The fields a move owns: a write that finds them changed by another writer must not land. */
function sameMove(a: TenantCutoverStatus | undefined, b: TenantCutoverStatus | undefined): boolean {
  return a?.moveId === b?.moveId && a?.step === b?.step && a?.route?.revision === b?.route?.revision && a?.activeSide === b?.activeSide;
}

export class TenantCutoverReconciler implements Reconciler<TenantCutover> {
  constructor(private readonly deps: TenantCutoverControllerDeps) {}

  async reconcile(ctx: ReconcileContext<TenantCutover>): Promise<ReconcileResult> {
    const obj = ctx.object;
    if (isBeingDeleted(obj)) {
      if (!hasFinalizer(obj, CUTOVER_FINALIZER)) return {};
      // Never in the middle of a move: an interrupted one is finished or undone first, nothing new starts.
      if (obj.status?.step) return this.run(obj, ctx, true);
      return this.release(obj, ctx);
    }
    return this.run(await this.deps.finalizers.add(TENANT_CUTOVERS, obj, CUTOVER_FINALIZER), ctx, false);
  }

  /** Deletion leaves the tenant where it is; the SchemaReplication takes over what it needs to know. */
  private async release(obj: TenantCutover, ctx: ReconcileContext<TenantCutover>): Promise<ReconcileResult> {
    const side = obj.status?.activeSide ?? 'source';
    const replication = this.deps.replications.get(`${ctx.namespace}/${obj.spec.replicationRef.name}`);
    if (side === 'source' && replication?.status?.targetServingSince) {
      // Moved back just now: the SchemaReplication must see it before this object goes, or, alone with
      // its status, it would go on believing the target serves and never replicate forward again.
      ctx.log.info('Waiting for the SchemaReplication to see the tenant back on the source', { replication: replication.metadata?.name });
      return { requeueAfterMs: 1000 };
    }
    const { pool, database } = obj.spec.routing.pgbouncer;
    const route = obj.status?.route as RoutedRoute | undefined;
    const refused = obj.status?.conditions?.some((c) => c.type === 'RouteOwned' && c.reason === 'RouteConflict');
    // Kept where agents read it across their restarts, until a person or a new TenantCutover here takes it over.
    if (route && !refused) await this.deps.routing.retainRoute(pool, database, route, { namespace: ctx.namespace, name: ctx.name });
    await this.deps.events.record(obj, {
      type: 'Normal',
      reason: 'RouteLeftInPlace',
      action: 'Delete',
      note:
        `TenantCutover deleted: traffic for ${database} stays on the ${side}; the route agents keep serving the last route ` +
        `(kept in ConfigMap ${retainedRouteName(pool, database)} of their namespace, across their restarts)` +
        (side === 'target'
          ? `; SchemaReplication ${obj.spec.replicationRef.name} reports the target serving and keeps the way back until it is deleted`
          : ''),
    });
    ctx.log.info('Deleted; the route stays where it is', { activeSide: side });
    await this.deps.finalizers.remove(TENANT_CUTOVERS, obj, CUTOVER_FINALIZER);
    return {};
  }

  private async run(cached: TenantCutover, ctx: ReconcileContext<TenantCutover>, deleting: boolean): Promise<ReconcileResult> {
    // The informer's copy can lag this process's own writes (a move persists each step as it goes):
    // deciding from a step already passed would "recover" a move that finished, giving the old side
    // its writes back and taking the new side's away. Every decision is made on the API's copy.
    const obj = await this.deps.status.get<TenantCutover>(TENANT_CUTOVERS, cached);
    if (deleting && !obj.status?.step) return this.release(obj, ctx);
    let current: TenantCutover = obj;
    const write = async (status: TenantCutoverStatus): Promise<void> => {
      const ours = current.status;
      const { object } = await this.deps.status.update({
        resource: TENANT_CUTOVERS,
        object: current,
        status: defined(status) as Record<string, unknown>,
        // A move's fields changed by someone else (a newer leader recovering the move) are never overwritten.
        stillOurs: (reread) => sameMove(reread.status, ours),
      });
      current = object;
    };
    let outcome: Awaited<ReturnType<typeof reconcileTenantCutover>>;
    try {
      outcome = await this.reconcileDomain(obj, () => current, write, { signal: ctx.signal, deleting });
    } catch (err) {
      // The status as last persisted (a move writes its steps as it goes), with Ready=False on top.
      return reportAndRethrow(this.deps, TENANT_CUTOVERS, current, err, ctx.log);
    }
    await write(outcome.status);
    const known = new Set((obj.status?.history ?? []).map((h) => h.moveId));
    const newAborts = (outcome.status.history ?? []).filter((h) => h.result === 'Aborted' && !known.has(h.moveId)).length;
    this.deps.metrics.seen(ctx.namespace, ctx.name);
    if (newAborts > 0) this.deps.metrics.aborted(ctx.namespace, ctx.name, newAborts);
    return { requeueAfterMs: deleting ? 500 : outcome.requeueAfterMs };
  }

  private reconcileDomain(
    obj: TenantCutover,
    current: () => TenantCutover,
    write: (status: TenantCutoverStatus) => Promise<void>,
    { signal, deleting }: { signal: AbortSignal | undefined; deleting: boolean },
  ) {
    return reconcileTenantCutover(obj, {
      kube: {
        getReplication: async (namespace, name) => this.deps.replications.get(`${namespace}/${name}`),
        firstCutoverOf: async (namespace, name) => firstCutoverOf(this.deps.cutovers.list(namespace), name)?.metadata?.name,
        readSecretData: async (namespace, name) => readSecretData(this.deps.core, namespace, name),
        landingZoneSecretName: async () => ({ notReadyMessage: 'LandingZone targets are resolved by the SchemaReplication' }),
      },
      routing: this.deps.routing,
      events: {
        normal: (reason, note) => void this.deps.events.record(obj, { type: 'Normal', reason, action: 'Move', note }),
        warning: (reason, note) => void this.deps.events.record(obj, { type: 'Warning', reason, action: 'Move', note }),
      },
      persist: async (patch) => write({ ...(current().status ?? {}), ...patch }),
      recordedRoute: async () => (await this.deps.status.get<TenantCutover>(TENANT_CUTOVERS, obj)).status?.route as RoutedRoute | undefined,
      now: () => Date.now(),
      ...(signal ? { signal } : {}),
      deleting,
    });
  }
}
