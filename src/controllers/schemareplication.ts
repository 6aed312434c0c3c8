// Kubernetes wiring of SchemaReplication: finalizer before anything exists outside the cluster,
// Secrets and referencing TenantCutovers read for the domain reconciler, its status written back.
import type { CoreV1Api } from '@kubernetes/client-node';
import type { LandingZone, SchemaReplication, TenantCutover } from '../api/index.js';
import type { EventRecorder } from '../observability/events.js';
import { hasFinalizer, isBeingDeleted, type Finalizers } from '../runtime/finalizers.js';
import { firstCutoverOf } from './tenantcutover.js';
import type { Informer } from '../runtime/informer.js';
import type { ReconcileContext, ReconcileResult, Reconciler } from '../runtime/reconciler.js';
import type { StatusWriter } from '../runtime/statusWriter.js';
import { cleanupSchemaReplication } from '../reconcilers/schemareplication/cleanup.js';
import {
  reconcileSchemaReplication,
  type Outcome,
  type ReconcileContext as DomainContext,
  type ReplicationMetrics,
} from '../reconcilers/schemareplication/index.js';
import { resolveEndpoints } from '../reconcilers/shared/endpoints.js';
import { reportAndRethrow } from './failure.js';
import { SCHEMA_REPLICATIONS, TENANT_CUTOVERS } from './kinds.js';
import { readSecretData } from './secrets.js';
import { validationDue, type ValidationRunner } from './validation.js';
import { orAbsent } from '../errors.js';

export const REPLICATION_FINALIZER = 'tenantshift.io/replication-cleanup';

export interface SchemaReplicationControllerDeps {
  core: CoreV1Api;
  status: StatusWriter;
  finalizers: Finalizers;
  events: EventRecorder;
  metrics: ReplicationMetrics;
  cutovers: Informer<TenantCutover>;
  landingZones: Informer<LandingZone>;
  validations: ValidationRunner;
  replications: Informer<SchemaReplication>;
  /** Concurrent initial copies per source server (TENANTSHIFT_MAX_INITIAL_COPIES_PER_SOURCE, default 4). */
  maxInitialCopiesPerSource: number;
}

export class SchemaReplicationReconciler implements Reconciler<SchemaReplication> {
  constructor(private readonly deps: SchemaReplicationControllerDeps) {}

  async reconcile(ctx: ReconcileContext<SchemaReplication>): Promise<ReconcileResult> {
    let obj = ctx.object;
    const domain = this.domainContext(obj);
    let outcome: Outcome;
    if (isBeingDeleted(obj)) {
      if (!hasFinalizer(obj, REPLICATION_FINALIZER)) return {};
      try {
        outcome = await cleanupSchemaReplication(obj, domain);
      } catch (err) {
        return reportAndRethrow(this.deps, SCHEMA_REPLICATIONS, obj, err, ctx.log);
      }
      if (outcome.finalizerDone) {
        await this.deps.finalizers.remove(SCHEMA_REPLICATIONS, obj, REPLICATION_FINALIZER);
        ctx.log.info('Cleaned up and released the finalizer');
        return {};
      }
    } else {
      // The finalizer lands before the first slot or publication can exist.
      obj = await this.deps.finalizers.add(SCHEMA_REPLICATIONS, obj, REPLICATION_FINALIZER);
      try {
        outcome = await reconcileSchemaReplication(obj, domain);
      } catch (err) {
        return reportAndRethrow(this.deps, SCHEMA_REPLICATIONS, obj, err, ctx.log);
      }
    }
    const validation = this.deps.validations.current(ctx.key) ?? outcome.status.validation;
    const status = { ...outcome.status, ...(validation ? { validation } : {}) };
    const { written } = await this.deps.status.update({
      resource: SCHEMA_REPLICATIONS,
      object: obj,
      status: status as Record<string, unknown>,
    });
    if (written)
      ctx.log.info('Status updated', {
        phase: outcome.status.phase,
        tablesReady: outcome.status.tables?.ready,
        lagBytes: outcome.status.lag?.bytes,
      });
    await this.startValidationIfDue(obj, outcome, domain, ctx.key);
    return { requeueAfterMs: outcome.requeueAfterMs };
  }

  /** Validation compares live data: only a Ready object is worth comparing (copies in progress differ). */
  private async startValidationIfDue(obj: SchemaReplication, outcome: Outcome, domain: DomainContext, key: string): Promise<void> {
    const ready = outcome.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    const due = validationDue(
      {
        ...obj,
        status: {
          ...(obj.status ?? {}),
          ...(this.deps.validations.current(key) ? { validation: this.deps.validations.current(key) } : {}),
        },
      },
      Date.now(),
    );
    if (!ready || !due.due || this.deps.validations.isRunning(key)) return;
    try {
      const endpoints = await resolveEndpoints(obj, domain.kube);
      // The target serves (targetServingSince is set exactly then): the validation runs over the reverse replication.
      this.deps.validations.start(obj, due.token, endpoints, outcome.status.targetServingSince !== undefined);
    } catch {
      // The next reconcile reports why the endpoints cannot be resolved.
    }
  }

  private domainContext(obj: SchemaReplication): DomainContext {
    const record =
      (type: 'Normal' | 'Warning') =>
      (reason: string, note: string): void => {
        void this.deps.events.record(obj, { type, reason, action: 'Reconcile', note });
      };
    return {
      kube: {
        readSecretData: async (namespace, name) => readSecretData(this.deps.core, namespace, name),
        landingZoneSecretName: async (namespace, name) => {
          const lz = this.deps.landingZones.get(`${namespace}/${name}`);
          if (!lz) return { notReadyMessage: `LandingZone ${name} (spec.target.landingZoneRef) does not exist in namespace ${namespace}` };
          const ready = lz.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
          if (!ready)
            return {
              notReadyMessage: `LandingZone ${name} is not Ready yet; replication starts once its database and connection Secret exist`,
            };
          return { secretName: lz.spec.connectionSecretName };
        },
        referencingCutover: async (namespace, name) =>
          this.deps.cutovers.list(namespace).find((c) => c.spec.replicationRef.name === name && !c.metadata?.deletionTimestamp)?.metadata
            ?.name,
        cutoverInCharge: async (namespace, name) => {
          // Only the oldest referencing TenantCutover moves the tenant (a later one is refused: CutoverConflict).
          const cached = firstCutoverOf(this.deps.cutovers.list(namespace), name);
          if (!cached) return undefined;
          // The cache can lag a move by its whole freeze: a hand-off is decided on the API's copy.
          const c = await orAbsent(this.deps.status.get<TenantCutover>(TENANT_CUTOVERS, cached));
          if (!c) return undefined;
          return { name: c.metadata?.name as string, activeSide: c.status?.activeSide ?? 'source', moving: Boolean(c.status?.step) };
        },
      },
      events: { normal: record('Normal'), warning: record('Warning') },
      metrics: this.deps.metrics,
      replicationsOfSource: (sourceDatabase) => this.deps.replications.list().filter((r) => r.status?.sourceDatabase === sourceDatabase),
      initialCopies: {
        limit: this.deps.maxInitialCopiesPerSource,
        running: (server) =>
          this.deps.replications
            .list()
            .filter(
              (r) =>
                r.metadata?.uid !== obj.metadata.uid &&
                r.status?.sourceServer === server &&
                (r.status?.phase === 'Syncing' || r.status?.phase === 'CopyingSchema'),
            ).length,
      },
      now: () => new Date(),
    };
  }
}
