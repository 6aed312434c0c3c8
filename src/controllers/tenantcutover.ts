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
  metrics: CutoverMetrics;
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
    let obj = ctx.object;
    if (isBeingDeleted(obj)) {
      if (!hasFinalizer(obj, CUTOVER_FINALIZER)) return {};
      if (obj.status?.step) return { requeueAfterMs: 1000 }; // never in the middle of a move
      const side = obj.status?.activeSide ?? 'source';
      await this.deps.events.record(obj, {
        type: 'Normal',
        reason: 'RouteLeftInPlace',
        action: 'Delete',
        note:
          `TenantCutover deleted: traffic for ${obj.spec.routing.pgbouncer.database} stays on the ${side}; the route agents keep ` +
          `serving the last route`,
      });
      ctx.log.info('Deleted; the route stays where it is', { activeSide: side });
      await this.deps.finalizers.remove(TENANT_CUTOVERS, obj, CUTOVER_FINALIZER);
      return {};
    }
    obj = await this.deps.finalizers.add(TENANT_CUTOVERS, obj, CUTOVER_FINALIZER);
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
      outcome = await this.reconcileDomain(obj, () => current, write, ctx.signal);
    } catch (err) {
      // The status as last persisted (a move writes its steps as it goes), with Ready=False on top.
      return reportAndRethrow(this.deps, TENANT_CUTOVERS, current, err, ctx.log);
    }
    await write(outcome.status);
    const known = new Set((obj.status?.history ?? []).map((h) => h.moveId));
    const newAborts = (outcome.status.history ?? []).filter((h) => h.result === 'Aborted' && !known.has(h.moveId)).length;
    this.deps.metrics.seen(ctx.namespace, ctx.name);
    if (newAborts > 0) this.deps.metrics.aborted(ctx.namespace, ctx.name, newAborts);
    return { requeueAfterMs: outcome.requeueAfterMs };
  }

  private reconcileDomain(
    obj: TenantCutover,
    current: () => TenantCutover,
    write: (status: TenantCutoverStatus) => Promise<void>,
    signal: AbortSignal | undefined,
  ) {
    return reconcileTenantCutover(obj, {
      kube: {
        getReplication: async (namespace, name) => this.deps.replications.get(`${namespace}/${name}`),
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
    });
  }
}
