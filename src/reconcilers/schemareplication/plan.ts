// Pure decisions of the SchemaReplication reconciler: which tables to publish, which schemas still
// need their DDL, what the subscription needs, and the status that sums it all up.
import { describeDrift, displayName, publishedTables, type SchemaInventory, type TableInfo } from '../../postgres/catalog.js';
import type { Finding } from '../../postgres/preflight.js';
import type { SubscriptionState, SlotState } from '../../postgres/replication.js';
import { ConditionTypes, REPLICATION_PHASES, type ConditionInput, type Reason, type SchemaReplicationSpec } from '../../api/index.js';

/** Tables to publish: on the source, not partitions, and already created on the target. */
export function tablesToPublish(source: SchemaInventory, target: SchemaInventory): TableInfo[] {
  const onTarget = new Set(target.tables.map((t) => JSON.stringify([t.schema, t.name])));
  return publishedTables(source).filter((t) => onTarget.has(JSON.stringify([t.schema, t.name])));
}

/** Spec schemas that exist on the source but not yet on the target. */
export function schemasToCopy(schemas: string[], source: SchemaInventory, target: SchemaInventory): string[] {
  const missingOnSource = new Set(source.missingSchemas);
  const missingOnTarget = new Set(target.missingSchemas);
  return schemas.filter((s) => !missingOnSource.has(s) && missingOnTarget.has(s));
}

/** Opted-in tables without a key whose source replica identity is not FULL yet. */
export function tablesNeedingFullIdentity(source: SchemaInventory, optedIn: string[]): TableInfo[] {
  const names = new Set(optedIn);
  return source.tables.filter(
    (t) => !t.partitionOf && !t.hasPrimaryKey && t.replicaIdentity !== 'f' && t.replicaIdentity !== 'i' && names.has(displayName(t)),
  );
}

export type SubscriptionAction =
  { kind: 'create'; enabled: boolean } | { kind: 'enable' } | { kind: 'disable' } | { kind: 'refresh' } | { kind: 'none' };

/** What the subscription needs, given the published tables and `suspend`. */
export function subscriptionAction(
  sub: SubscriptionState | undefined,
  published: Array<Pick<TableInfo, 'schema' | 'name'>>,
  suspend: boolean,
): SubscriptionAction {
  if (!sub) return published.length > 0 ? { kind: 'create', enabled: !suspend } : { kind: 'none' };
  if (suspend && sub.enabled) return { kind: 'disable' };
  if (!suspend && !sub.enabled) return { kind: 'enable' };
  // REFRESH PUBLICATION is refused on a disabled subscription: a suspended object waits for resume.
  if (sub.enabled) {
    const have = new Set(sub.tables.map((t) => JSON.stringify([t.schema, t.name])));
    const want = published.map((t) => JSON.stringify([t.schema, t.name]));
    if (want.length !== have.size || want.some((k) => !have.has(k))) return { kind: 'refresh' };
  }
  return { kind: 'none' };
}

/** Schemas whose tables are all ready and whose post-data (indexes, FKs, triggers) is still due. */
export function schemasReadyForPostData(
  schemas: string[],
  sub: SubscriptionState | undefined,
  published: TableInfo[],
  done: string[],
): string[] {
  if (!sub) return [];
  const ready = new Set(sub.tables.filter((t) => t.state === 'r').map((t) => JSON.stringify([t.schema, t.name])));
  const doneSet = new Set(done);
  return schemas.filter((s) => {
    if (doneSet.has(s)) return false;
    const tables = published.filter((t) => t.schema === s);
    return tables.length === 0 || tables.every((t) => ready.has(JSON.stringify([t.schema, t.name])));
  });
}

export interface Drift {
  differences: string[];
  /** True when every difference can be applied to the target without losing anything. */
  additive: boolean;
  newTables: TableInfo[];
  newColumns: Array<{ schema: string; table: string; column: string; type: string }>;
}

export function detectDrift(source: SchemaInventory, target: SchemaInventory, copiedSchemas: string[]): Drift {
  const inCopied = <T extends { schema: string }>(x: T): boolean => copiedSchemas.includes(x.schema);
  const src: SchemaInventory = { ...source, tables: source.tables.filter(inCopied), columns: source.columns.filter(inCopied) };
  const tgt: SchemaInventory = { ...target, tables: target.tables.filter(inCopied), columns: target.columns.filter(inCopied) };
  const differences = describeDrift(src, tgt, 10);
  const key = (s: string, t: string): string => JSON.stringify([s, t]);
  const tgtTables = new Set(tgt.tables.map((t) => key(t.schema, t.name)));
  const tgtCols = new Map(tgt.columns.map((c) => [JSON.stringify([c.schema, c.table, c.column]), c.type]));
  const srcCols = new Set(src.columns.map((c) => JSON.stringify([c.schema, c.table, c.column])));
  const newTables = src.tables.filter((t) => !tgtTables.has(key(t.schema, t.name)));
  const newColumns = src.columns.filter(
    (c) => tgtTables.has(key(c.schema, c.table)) && !tgtCols.has(JSON.stringify([c.schema, c.table, c.column])),
  );
  const changedTypes = src.columns.some((c) => {
    const t = tgtCols.get(JSON.stringify([c.schema, c.table, c.column]));
    return t !== undefined && t !== c.type;
  });
  const onlyOnTarget =
    tgt.tables.some((t) => !src.tables.some((s) => s.schema === t.schema && s.name === t.name)) ||
    tgt.columns.some(
      (c) =>
        src.tables.some((s) => s.schema === c.schema && s.name === c.table) && !srcCols.has(JSON.stringify([c.schema, c.table, c.column])),
    );
  return { differences, additive: !changedTypes && !onlyOnTarget, newTables, newColumns };
}

export interface LagThreshold {
  bytes: number;
  seconds: number;
}

export type Phase = (typeof REPLICATION_PHASES)[number];

export interface Summary {
  phase: Phase;
  ready: boolean;
  reason: Reason;
  message: string;
}

/** The one-line answer to "where is it?", and whether it is Ready. */
export function summarize(input: {
  blocking: Finding[];
  suspend: boolean;
  sub?: SubscriptionState;
  slot: SlotState;
  published: number;
  drift: Drift;
  lag: { bytes: number; seconds: number };
  threshold: LagThreshold;
  slotLost: boolean;
}): Summary {
  const first = input.blocking[0];
  if (input.slotLost) {
    return {
      phase: 'Blocked',
      ready: false,
      reason: 'SlotLost',
      message:
        'the replication slot vanished from the source (e.g. after a failover); changes may be missing on the target: ' +
        'a resync is needed (delete and re-create this SchemaReplication with deletionPolicy Delete)',
    };
  }
  if (first) return { phase: 'Blocked', ready: false, reason: first.reason, message: first.message };
  if (input.suspend)
    return {
      phase: 'Suspended',
      ready: false,
      reason: 'Suspended',
      message: 'spec.suspend is true: the subscription is disabled; changes accumulate in the slot on the source',
    };
  if (!input.sub)
    return { phase: 'CopyingSchema', ready: false, reason: 'Reconciling', message: 'copying the schemas and creating the subscription' };
  if (input.sub.applyErrors > 0 && !input.slot.active) {
    return {
      phase: 'Syncing',
      ready: false,
      reason: 'SubscriptionFailing',
      message: `the subscription's apply worker has failed ${input.sub.applyErrors} time(s); see the target's log`,
    };
  }
  const notReady = input.sub.tables.filter((t) => t.state !== 'r').length;
  if (notReady > 0 || input.sub.tables.length < input.published) {
    return {
      phase: 'Syncing',
      ready: false,
      reason: 'InitialCopyInProgress',
      message: `${input.sub.tables.length - notReady} of ${input.published} tables ready`,
    };
  }
  if (input.drift.differences.length > 0) {
    return {
      phase: 'Streaming',
      ready: false,
      reason: 'DriftDetected',
      message: `the source schema changed: ${input.drift.differences.join('; ')}`,
    };
  }
  if (input.lag.bytes > input.threshold.bytes || input.lag.seconds > input.threshold.seconds) {
    return {
      phase: 'Streaming',
      ready: false,
      reason: 'LagAboveThreshold',
      message:
        `lag ${input.lag.bytes} bytes / ${input.lag.seconds} s is above the threshold ` +
        `(${input.threshold.bytes} bytes / ${input.threshold.seconds} s)`,
    };
  }
  return { phase: 'Streaming', ready: true, reason: 'Succeeded', message: `all ${input.published} tables streaming` };
}

/** How soon a pass looks again. */
export const RECHECK_BLOCKED_MS = 30_000;
export const WHILE_SYNCING_MS = 3_000;
export const WHILE_STREAMING_MS = 15_000;
export const DEFAULT_SLOT_RETENTION_BUDGET_BYTES = 10 * 1024 ** 3;

/** After a switch (or during a move) the forward path belongs to the TenantCutover. */
export function cutoverHandoff(
  cutover: { name: string; activeSide: string; moving: boolean } | undefined,
): { serving: boolean; summary: Summary } | undefined {
  if (!cutover || (!cutover.moving && cutover.activeSide !== 'target')) return undefined;
  const serving = cutover.activeSide === 'target' && !cutover.moving;
  const summary: Summary = serving
    ? {
        phase: 'TargetServing',
        ready: true,
        reason: 'TargetServing',
        message: `TenantCutover ${cutover.name} switched the tenant: the target serves and the forward path is retired`,
      }
    : { phase: 'TargetServing', ready: false, reason: 'CutoverInProgress', message: `TenantCutover ${cutover.name} is moving the tenant` };
  return { serving, summary };
}

/** Preflight findings split into the warnings for status and, when any blocks, the Blocked summary. */
export function preflightVerdict(findings: Finding[]): { warnings: string[]; blocked?: Summary } {
  const warnings = findings.filter((f) => !f.blocking).map((f) => f.message);
  const blocking = findings.filter((f) => f.blocking);
  if (blocking.length === 0) return { warnings };
  const blocked: Summary = {
    phase: 'Blocked',
    ready: false,
    reason: blocking[0]?.reason ?? 'Reconciling',
    message: blocking.map((f) => f.message).join('; '),
  };
  return { warnings, blocked };
}

/** Spec schemas that exist on both sides (the ones whose drift counts). */
export function schemasOnBothSides(schemas: string[], source: SchemaInventory, target: SchemaInventory): string[] {
  return schemas.filter((x) => !source.missingSchemas.includes(x) && !target.missingSchemas.includes(x));
}

/** What to do about drift: apply it (additive and allowed), warn once, or nothing. */
export function driftResponse(drift: Drift, applyAdditiveDDL: boolean, alreadyReported: boolean): 'apply' | 'warn' | 'none' {
  if (drift.differences.length === 0) return 'none';
  if (drift.additive && applyAdditiveDDL) return 'apply';
  return alreadyReported ? 'none' : 'warn';
}

/** A new initial copy waits while `limit` of them already run against the source server. */
export function copySlotWait(
  action: SubscriptionAction,
  sourceServer: string,
  initialCopies: { running(sourceServer: string): number; limit: number } | undefined,
): Summary | undefined {
  if (action.kind !== 'create' || !initialCopies || initialCopies.running(sourceServer) < initialCopies.limit) return undefined;
  return {
    phase: 'Pending',
    ready: false,
    reason: 'WaitingForCopySlot',
    message: `${initialCopies.limit} initial copies already run against ${sourceServer}; this one starts when one finishes`,
  };
}

/** Progress speaks of the tenant's tables: the sentinel schema's are left out. */
export function withoutSchema(sub: SubscriptionState | undefined, schema: string): SubscriptionState | undefined {
  return sub ? { ...sub, tables: sub.tables.filter((t) => t.schema !== schema) } : undefined;
}

export function lagOf(slot: SlotState): { bytes: number; seconds: number } {
  return { bytes: slot.lagBytes, seconds: Math.round(slot.lagSeconds ?? 0) };
}

export function lagThreshold(spec: Pick<SchemaReplicationSpec, 'lagThreshold'>): LagThreshold {
  return { bytes: spec.lagThreshold?.bytes ?? 64 * 1024 * 1024, seconds: spec.lagThreshold?.seconds ?? 30 };
}

/** A slot we had and that is now gone means lost changes: never paper over it by re-creating one. */
export function isSlotLost(sub: SubscriptionState | undefined, slot: SlotState, knownSubscriptionOid: number | undefined): boolean {
  return !!sub && !slot.exists && (knownSubscriptionOid ?? 0) === sub.oid;
}

export function slotRetentionCondition(retainedBytes: number, budget: number): Omit<ConditionInput, 'observedGeneration'> {
  return {
    type: ConditionTypes.SlotRetention,
    status: retainedBytes > budget ? 'False' : 'True',
    reason: retainedBytes > budget ? 'SlotRetentionOverBudget' : 'Succeeded',
    message: `the slot retains ${retainedBytes} bytes of WAL on the source (budget ${budget})`,
  };
}

export function schemaDriftCondition(drift: Drift): Omit<ConditionInput, 'observedGeneration'> {
  const drifted = drift.differences.length > 0;
  return {
    type: ConditionTypes.SchemaDrift,
    status: drifted ? 'True' : 'False',
    reason: drifted ? 'DriftDetected' : 'Succeeded',
    message: drifted ? drift.differences.join('; ') : 'the target matches the source schema',
  };
}

export function requeueAfter(phase: Phase): number {
  return phase === 'Syncing' || phase === 'CopyingSchema' ? WHILE_SYNCING_MS : WHILE_STREAMING_MS;
}
