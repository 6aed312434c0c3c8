// Pure decisions of the SchemaReplication reconciler: which tables to publish, which schemas still
// need their DDL, what the subscription needs, and the status that sums it all up.
import { describeDrift, displayName, publishedTables, type SchemaInventory, type TableInfo } from '../../postgres/catalog.js';
import type { Finding } from '../../postgres/preflight.js';
import type { SubscriptionState, SlotState } from '../../postgres/replication.js';

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

export type Phase = 'Pending' | 'CopyingSchema' | 'Syncing' | 'Streaming' | 'Suspended' | 'TargetServing' | 'Deleting' | 'Blocked';

export interface Summary {
  phase: Phase;
  ready: boolean;
  reason: string;
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
        'the replication slot vanished from the source (e.g. after a failover); changes may be missing on the target: a resync is needed (delete and re-create this SchemaReplication with deletionPolicy Delete)',
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
      message: `lag ${input.lag.bytes} bytes / ${input.lag.seconds} s is above the threshold (${input.threshold.bytes} bytes / ${input.threshold.seconds} s)`,
    };
  }
  return { phase: 'Streaming', ready: true, reason: 'Succeeded', message: `all ${input.published} tables streaming` };
}
