// SchemaReplication: keeps a tenant's schemas continuously copied from source to target.
// reconcile() reads as its steps: resolve, observe, preflight, identity, schemas, drift,
// publication, subscription, post-data, status. Deletion is in cleanup.ts.
import type pg from 'pg';
import { ConditionTypes, setCondition, type Condition, type SchemaReplication, type SchemaReplicationStatus } from '../../api/index.js';
import { replicationNames } from '../../postgres/names.js';
import { evaluatePreflight } from '../../postgres/preflight.js';
import { ensureSentinel, SENTINEL_SCHEMA, SENTINEL_TABLE, sentinelPublicationEntry } from '../../postgres/sentinel.js';
import { alignPublication, copiedBytes, readSlot, readSubscription, tableProgress } from '../../postgres/replication.js';
import { isCondition } from '../../errors.js';
import { openSession } from '../../postgres/errors.js';
import { resolveEndpoints, type KubeReader } from '../shared/endpoints.js';
import { observe, type Observed } from './observe.js';
import {
  detectDrift,
  schemasReadyForPostData,
  schemasToCopy,
  subscriptionAction,
  summarize,
  tablesNeedingFullIdentity,
  tablesToPublish,
  type Summary,
} from './plan.js';
import { applyAdditiveDrift, applySubscriptionAction, copyPostData, copySchemaDefinitions, ensureReplicaIdentityFull } from './steps.js';

export interface ReplicationEvents {
  normal(reason: string, message: string): void;
  warning(reason: string, message: string): void;
}

export interface ReplicationMetrics {
  record(
    obj: { namespace: string; name: string },
    m: {
      lagBytes: number;
      lagSeconds: number;
      retainedBytes: number;
      retentionBudgetBytes: number;
      tablesReady: number;
      tablesTotal: number;
      ready: boolean;
    },
  ): void;
  forget(obj: { namespace: string; name: string }): void;
}

export interface ReconcileContext {
  kube: KubeReader & {
    /** The TenantCutover that references this object, if any (deletion waits for it). */
    referencingCutover(namespace: string, name: string): Promise<string | undefined>;
    /** A referencing TenantCutover that is moving the tenant or has switched it to the target. */
    cutoverInCharge(namespace: string, name: string): Promise<{ name: string; activeSide: string; moving: boolean } | undefined>;
  };
  events: ReplicationEvents;
  metrics: ReplicationMetrics;
  /** Initial copies running against a source server (other objects); new ones wait while at the limit. */
  initialCopies?: { running(sourceServer: string): number; limit: number };
  now(): Date;
}

export interface Outcome {
  status: SchemaReplicationStatus;
  requeueAfterMs: number;
  /** Set by cleanup once nothing is left outside the cluster. */
  finalizerDone?: boolean;
}

export const DEFAULT_SLOT_RETENTION_BUDGET_BYTES = 10 * 1024 ** 3;
const SUBSCRIPTION_EVENTS = {
  create: { reason: 'SubscriptionCreated', message: 'Created the subscription on the target; the initial copy starts' },
  enable: { reason: 'Resumed', message: 'Enabled the subscription: replication resumes' },
  disable: { reason: 'Suspended', message: 'Disabled the subscription: spec.suspend is true' },
  refresh: { reason: 'SubscriptionRefreshed', message: 'Refreshed the subscription: added or removed tables' },
} as const;
const RECHECK_BLOCKED_MS = 30_000;
const WHILE_SYNCING_MS = 3_000;
const WHILE_STREAMING_MS = 15_000;

export async function reconcileSchemaReplication(obj: SchemaReplication, ctx: ReconcileContext): Promise<Outcome> {
  const names = replicationNames(obj.metadata.namespace as string, obj.metadata.name as string);
  const base: SchemaReplicationStatus = {
    ...(obj.status ?? {}),
    publicationName: names.publication,
    slotName: names.slot,
    subscriptionName: names.subscription,
  };
  // After a switch (or during a move) the forward path belongs to the TenantCutover: hands off.
  const cutover = await ctx.kube.cutoverInCharge(obj.metadata.namespace as string, obj.metadata.name as string);
  if (cutover && (cutover.moving || cutover.activeSide === 'target')) {
    ctx.metrics.forget(key(obj));
    const serving = cutover.activeSide === 'target' && !cutover.moving;
    const summary: Summary = serving
      ? {
          phase: 'TargetServing',
          ready: true,
          reason: 'TargetServing',
          message: `TenantCutover ${cutover.name} switched the tenant: the target serves and the forward path is retired`,
        }
      : {
          phase: 'TargetServing',
          ready: false,
          reason: 'CutoverInProgress',
          message: `TenantCutover ${cutover.name} is moving the tenant`,
        };
    const conditions = setCondition(
      base.conditions,
      {
        type: ConditionTypes.TargetServing,
        status: serving ? 'True' : 'False',
        reason: summary.reason,
        message: summary.message,
        observedGeneration: obj.metadata.generation ?? 0,
      },
      ctx.now(),
    );
    const since = serving ? (base.targetServingSince ?? ctx.now().toISOString()) : undefined;
    return finish(obj, { ...base, conditions, ...(since ? { targetServingSince: since } : {}) }, ctx, summary, WHILE_STREAMING_MS);
  }
  let endpoints;
  try {
    endpoints = await resolveEndpoints(obj, ctx.kube);
  } catch (err) {
    if (isCondition(err))
      return blocked(obj, base, ctx, { phase: 'Blocked', ready: false, reason: err.reason, message: err.message }, err.retryAfterMs);
    throw err;
  }
  let source: pg.Client | undefined;
  let target: pg.Client | undefined;
  try {
    source = await openSession(endpoints.source, 'source');
    target = await openSession(endpoints.target, 'target');
    return await converge(obj, ctx, { source, target, sourceInfo: endpoints.source, names, base });
  } catch (err) {
    if (isCondition(err))
      return blocked(obj, base, ctx, { phase: 'Blocked', ready: false, reason: err.reason, message: err.message }, err.retryAfterMs);
    throw err;
  } finally {
    await source?.end().catch(() => undefined);
    await target?.end().catch(() => undefined);
  }
}

interface Session {
  source: pg.Client;
  target: pg.Client;
  sourceInfo: Parameters<typeof copySchemaDefinitions>[0]['sourceInfo'];
  names: ReturnType<typeof replicationNames>;
  base: SchemaReplicationStatus;
}

async function converge(obj: SchemaReplication, ctx: ReconcileContext, s: Session): Promise<Outcome> {
  const spec = obj.spec;
  const schemas = spec.schemas;
  let obs = await observe(s.source, s.target, schemas, s.names);

  // Preflight: problems of the world are re-checked on every pass and clear when fixed.
  const findings = evaluatePreflight({
    source: obs.sourceFacts,
    target: obs.targetFacts,
    inventory: obs.sourceInventory,
    replicaIdentityFull: spec.replicaIdentityFull ?? [],
  });
  const blocking = findings.filter((f) => f.blocking);
  // Streaming forward again (never switched, or rolled back): the target no longer serves.
  const previous: SchemaReplicationStatus = { ...s.base };
  delete previous.targetServingSince;
  let status: SchemaReplicationStatus = { ...previous, warnings: findings.filter((f) => !f.blocking).map((f) => f.message) };
  if (blocking.length > 0) {
    const summary: Summary = {
      phase: 'Blocked',
      ready: false,
      reason: blocking[0]?.reason as string,
      message: blocking.map((f) => f.message).join('; '),
    };
    return blocked(obj, status, ctx, summary, RECHECK_BLOCKED_MS);
  }

  // Replica identity FULL for the tables the spec opted in (on the source, before publishing).
  const needFull = tablesNeedingFullIdentity(obs.sourceInventory, spec.replicaIdentityFull ?? []);
  if (needFull.length > 0) {
    await ensureReplicaIdentityFull(s.source, needFull);
    obs = await observe(s.source, s.target, schemas, s.names);
  }

  // Schema DDL (and roles) for schemas the target lacks: one transaction per pass.
  const toCopy = schemasToCopy(schemas, obs.sourceInventory, obs.targetInventory);
  if (toCopy.length > 0) {
    const roles = await copySchemaDefinitions({
      source: s.source,
      target: s.target,
      sourceInfo: s.sourceInfo,
      schemas: toCopy,
      copyRoles: spec.copyRoles ?? true,
      copyRoleVerifiers: spec.copyRoleVerifiers ?? false,
    });
    ctx.events.normal(
      'SchemaCopied',
      `Copied the DDL of ${toCopy.join(', ')} to the target${roles.created.length ? `; created roles ${roles.created.join(', ')}` : ''}`,
    );
    obs = await observe(s.source, s.target, schemas, s.names);
  }

  // Source DDL drift on schemas the target already has.
  const present = schemas.filter((x) => !obs.sourceInventory.missingSchemas.includes(x) && !obs.targetInventory.missingSchemas.includes(x));
  let drift = detectDrift(obs.sourceInventory, obs.targetInventory, present);
  if (drift.differences.length > 0 && drift.additive && spec.applyAdditiveDDL) {
    await applyAdditiveDrift({
      source: s.source,
      target: s.target,
      sourceInfo: s.sourceInfo,
      newTables: drift.newTables,
      newColumns: drift.newColumns,
    });
    ctx.events.normal('DriftApplied', `Applied additive source DDL to the target: ${drift.differences.join('; ')}`);
    obs = await observe(s.source, s.target, schemas, s.names);
    drift = detectDrift(obs.sourceInventory, obs.targetInventory, present);
  } else if (drift.differences.length > 0 && !hasReason(obj, 'DriftDetected')) {
    ctx.events.warning('DriftDetected', `The source schema changed: ${drift.differences.join('; ')}`);
  }

  // Publication (source) and subscription (target).
  const published = tablesToPublish(obs.sourceInventory, obs.targetInventory);
  // The tenant's sentinel row travels with its tables: the cutover's drain proof and a lag probe.
  await ensureSentinel(s.source, spec.tenant);
  await ensureSentinel(s.target);
  const sentinel = { schema: SENTINEL_SCHEMA, name: SENTINEL_TABLE };
  if (published.length > 0) {
    await alignPublication(s.source, s.names.publication, published, {
      entries: [sentinelPublicationEntry(spec.tenant)],
      tables: [sentinel],
    });
  }
  const action = subscriptionAction(obs.subscription, published.length > 0 ? [...published, sentinel] : [], spec.suspend ?? false);
  // A hundred objects applied at once copy in waves: each initial copy is table-sync workers and slots on the source.
  const sourceServer = `${s.sourceInfo.host}:${s.sourceInfo.port}`;
  status.sourceServer = sourceServer;
  if (action.kind === 'create' && ctx.initialCopies && ctx.initialCopies.running(sourceServer) >= ctx.initialCopies.limit) {
    const summary: Summary = {
      phase: 'Pending',
      ready: false,
      reason: 'WaitingForCopySlot',
      message: `${ctx.initialCopies.limit} initial copies already run against ${sourceServer}; this one starts when one finishes`,
    };
    return finish(obj, status, ctx, summary, WHILE_SYNCING_MS * 3);
  }
  if (action.kind !== 'none') {
    await applySubscriptionAction({ target: s.target, action, names: s.names, sourceInfo: s.sourceInfo });
    ctx.events.normal(SUBSCRIPTION_EVENTS[action.kind].reason, `${SUBSCRIPTION_EVENTS[action.kind].message} (${s.names.subscription})`);
  }
  const fullSub = action.kind === 'none' ? obs.subscription : await readSubscription(s.target, s.names.subscription);
  // Progress speaks of the tenant's tables; the sentinel row is ours.
  const sub = fullSub ? { ...fullSub, tables: fullSub.tables.filter((t) => t.schema !== SENTINEL_SCHEMA) } : undefined;

  // Post-data (secondary indexes, foreign keys, triggers) once a schema's tables are all ready.
  const postDataDone = (s.base.postDataSchemas ?? []).filter((x) => schemas.includes(x));
  const due = schemasReadyForPostData(present, sub, published, postDataDone);
  if (due.length > 0) {
    await copyPostData({ source: s.source, target: s.target, sourceInfo: s.sourceInfo, schemas: due, copyRoles: spec.copyRoles ?? true });
    ctx.events.normal('PostDataCopied', `Created indexes, foreign keys and triggers of ${due.join(', ')} on the target`);
  }

  const slot = action.kind === 'none' ? obs.slot : await readSlot(s.source, s.names.slot);
  const progress = tableProgress(sub, published.length);
  const lag = { bytes: slot.lagBytes, seconds: Math.round(slot.lagSeconds ?? 0) };
  const threshold = { bytes: spec.lagThreshold?.bytes ?? 64 * 1024 * 1024, seconds: spec.lagThreshold?.seconds ?? 30 };
  // A slot we had and that is now gone means lost changes: never paper over it by re-creating one.
  const slotLost = !!sub && !slot.exists && (s.base.subscriptionOid ?? 0) === sub.oid;
  const summary = summarize({
    blocking: [],
    suspend: spec.suspend ?? false,
    ...(sub ? { sub } : {}),
    slot,
    published: published.length,
    drift,
    lag,
    threshold,
    slotLost,
  });
  status = {
    ...status,
    postDataSchemas: [...postDataDone, ...due],
    ...(sub ? { subscriptionOid: sub.oid, bytesCopied: await copiedBytes(s.target, sub.oid) } : {}),
    lag,
    tables: { total: progress.total, ready: progress.ready, copying: progress.copying },
    slot: { exists: slot.exists, active: slot.active, retainedBytes: slot.retainedBytes },
    sourceFingerprint: obs.sourceInventory.fingerprint,
  };
  const budget = spec.slotRetentionBudgetBytes ?? DEFAULT_SLOT_RETENTION_BUDGET_BYTES;
  status.conditions = setCondition(
    status.conditions,
    {
      type: ConditionTypes.SlotRetention,
      status: slot.retainedBytes > budget ? 'False' : 'True',
      reason: slot.retainedBytes > budget ? 'SlotRetentionOverBudget' : 'Succeeded',
      message: `the slot retains ${slot.retainedBytes} bytes of WAL on the source (budget ${budget})`,
      observedGeneration: obj.metadata.generation ?? 0,
    },
    ctx.now(),
  );
  status.conditions = setCondition(
    status.conditions,
    {
      type: ConditionTypes.SchemaDrift,
      status: drift.differences.length > 0 ? 'True' : 'False',
      reason: drift.differences.length > 0 ? 'DriftDetected' : 'Succeeded',
      message: drift.differences.length > 0 ? drift.differences.join('; ') : 'the target matches the source schema',
      observedGeneration: obj.metadata.generation ?? 0,
    },
    ctx.now(),
  );
  ctx.metrics.record(key(obj), {
    lagBytes: lag.bytes,
    lagSeconds: lag.seconds,
    retainedBytes: slot.retainedBytes,
    retentionBudgetBytes: budget,
    tablesReady: progress.ready,
    tablesTotal: progress.total,
    ready: summary.ready,
  });
  if (summary.ready && !isReady(obj)) ctx.events.normal('Streaming', `All ${published.length} tables are streaming`);
  return finish(
    obj,
    status,
    ctx,
    summary,
    summary.phase === 'Syncing' || summary.phase === 'CopyingSchema' ? WHILE_SYNCING_MS : WHILE_STREAMING_MS,
  );
}

function blocked(
  obj: SchemaReplication,
  status: SchemaReplicationStatus,
  ctx: ReconcileContext,
  summary: Summary,
  requeueAfterMs: number,
): Outcome {
  if (!hasReason(obj, summary.reason)) ctx.events.warning(summary.reason, summary.message);
  return finish(obj, status, ctx, summary, requeueAfterMs);
}

function finish(
  obj: SchemaReplication,
  status: SchemaReplicationStatus,
  ctx: ReconcileContext,
  summary: Summary,
  requeueAfterMs: number,
): Outcome {
  const conditions: Condition[] = setCondition(
    status.conditions,
    {
      type: ConditionTypes.Ready,
      status: summary.ready ? 'True' : 'False',
      reason: summary.reason,
      message: summary.message,
      observedGeneration: obj.metadata.generation ?? 0,
    },
    ctx.now(),
  );
  return {
    status: { ...status, phase: summary.phase, conditions, observedGeneration: obj.metadata.generation ?? 0 },
    requeueAfterMs,
  };
}

function hasReason(obj: SchemaReplication, reason: string): boolean {
  return (obj.status?.conditions ?? []).some((c) => c.type === ConditionTypes.Ready && c.reason === reason);
}

function isReady(obj: SchemaReplication): boolean {
  return (obj.status?.conditions ?? []).some((c) => c.type === ConditionTypes.Ready && c.status === 'True');
}

function key(obj: SchemaReplication): { namespace: string; name: string } {
  return { namespace: obj.metadata.namespace as string, name: obj.metadata.name as string };
}

export type { Observed };
