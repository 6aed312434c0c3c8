// Preflight of a tenant's replication: what the source and target must offer before anything is
// created. `observe*` read the servers; `evaluatePreflight` is pure and names every problem.
import type pg from 'pg';
import { displayName, type SchemaInventory } from './catalog.js';
import { hasSqlState } from './errors.js';
import type { ServerIdentity } from './replication.js';
import type { Reason } from '../api/index.js';
import { LOCK_TABLE_COLUMNS, lockTableOf, lockTableRoom, type LockTable } from './locktable.js';

export interface SourceFacts {
  walLevel: string;
  freeSlots: number;
  freeWalSenders: number;
  slotExists: boolean;
  canReplicate: boolean;
  isSuperuser: boolean;
  /** Tables the role may not SELECT or does not own (publication needs ownership). */
  unreadable: string[];
  notOwned: string[];
  /** The oldest open transaction with an xid, which a new slot has to wait for. */
  oldestXactAgeSeconds: number | null;
  largeObjectColumns: string[];
  locks?: LockTable;
}

export interface TargetFacts {
  canSubscribe: boolean;
  freeWorkers: number;
  subscriptionExists: boolean;
  /**
   * The setting that would write CREATE SUBSCRIPTION (its connection string, password included) to
   * the target's log, when the operator's session may not lower it (it is no superuser and has no
   * privileged login); e.g. `log_statement=ddl`. Undefined when nothing would.
   */
  statementLogging?: string;
  locks?: LockTable;
}

export interface Finding {
  /** CamelCase reason for the condition. */
  reason: Reason;
  message: string;
  blocking: boolean;
}

export async function observeSource(source: pg.Client, inv: SchemaInventory, slot: string): Promise<SourceFacts> {
  const s = await source
    .query<{
      wal_level: string;
      free_slots: number;
      free_senders: number;
      slot_exists: boolean;
      can_replicate: boolean;
      su: boolean;
      xact_age: number | null;
      lock_per: number;
      lock_sessions: number;
    }>(
      `SELECT current_setting('wal_level') AS wal_level,
            current_setting('max_replication_slots')::int - (SELECT count(*) FROM pg_replication_slots)::int AS free_slots,
            current_setting('max_wal_senders')::int - (SELECT count(*) FROM pg_stat_replication)::int AS free_senders,
            EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1) AS slot_exists,
            (r.rolreplication OR r.rolsuper OR pg_has_role(current_user, 'rds_replication', 'MEMBER')) AS can_replicate,
            r.rolsuper AS su,
            (SELECT extract(epoch FROM now() - min(xact_start))::float8 FROM pg_stat_activity
              WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()) AS xact_age,
            ${LOCK_TABLE_COLUMNS}
       FROM pg_roles r WHERE r.rolname = current_user`,
      [slot],
    )
    .catch(async (err: unknown) => {
      // pg_has_role fails when rds_replication does not exist (a plain PostgreSQL source).
      if (!hasSqlState(err, 'undefinedObject')) throw err;
      return source.query(
        `SELECT current_setting('wal_level') AS wal_level,
              current_setting('max_replication_slots')::int - (SELECT count(*) FROM pg_replication_slots)::int AS free_slots,
              current_setting('max_wal_senders')::int - (SELECT count(*) FROM pg_stat_replication)::int AS free_senders,
              EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1) AS slot_exists,
              (r.rolreplication OR r.rolsuper) AS can_replicate, r.rolsuper AS su,
              (SELECT extract(epoch FROM now() - min(xact_start))::float8 FROM pg_stat_activity
                WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()) AS xact_age,
              ${LOCK_TABLE_COLUMNS}
         FROM pg_roles r WHERE r.rolname = current_user`,
        [slot],
      );
    });
  const row = s.rows[0];
  const oids = inv.tables.map((t) => t.oid);
  const privs = await source.query<{ schema: string; name: string; can_select: boolean; owns: boolean }>(
    `SELECT n.nspname AS schema, c.relname AS name, has_table_privilege(c.oid, 'SELECT') AS can_select,
            pg_has_role(c.relowner, 'USAGE') AS owns
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = ANY($1::oid[])`,
    [oids],
  );
  const lo = await source.query<{ schema: string; name: string; column: string }>(
    `SELECT n.nspname AS schema, c.relname AS name, a.attname AS column
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
        AND (a.atttypid = 'oid'::regtype
             OR EXISTS (SELECT 1 FROM pg_type t WHERE t.oid = a.atttypid AND t.typtype = 'd' AND t.typbasetype = 'oid'::regtype))`,
    [oids],
  );
  return {
    walLevel: row.wal_level,
    freeSlots: row.free_slots,
    freeWalSenders: row.free_senders,
    slotExists: row.slot_exists,
    canReplicate: row.can_replicate,
    isSuperuser: row.su,
    unreadable: privs.rows.filter((p) => !p.can_select).map(displayName),
    notOwned: privs.rows.filter((p) => !p.owns).map(displayName),
    oldestXactAgeSeconds: row.xact_age,
    largeObjectColumns: lo.rows.map((r) => `${displayName(r)}.${r.column}`),
    locks: lockTableOf(row),
  };
}

/**
 * `privileged`: the Secret names a privileged login for CREATE SUBSCRIPTION (vanilla PostgreSQL).
 * Membership in rds_superuser counts only on RDS itself (which has the rds.extensions setting).
 */
export async function observeTarget(target: pg.Client, subscription: string, privileged = false): Promise<TargetFacts> {
  const res = await target.query<{
    can_subscribe: boolean;
    free_workers: number;
    sub_exists: boolean;
    logging: string | null;
    lock_per: number;
    lock_sessions: number;
  }>(
    `SELECT CASE WHEN r.rolsuper OR $2 THEN NULL
                 WHEN current_setting('log_statement') IN ('ddl', 'all') THEN 'log_statement=' || current_setting('log_statement')
                 WHEN current_setting('log_min_duration_statement')::int >= 0
                   THEN 'log_min_duration_statement=' || current_setting('log_min_duration_statement') END AS logging,
            (r.rolsuper OR $2 OR (current_setting('rds.extensions', true) IS NOT NULL AND EXISTS (SELECT 1 FROM pg_roles s
                                  WHERE s.rolname = 'rds_superuser' AND pg_has_role(current_user, s.oid, 'MEMBER')))) AS can_subscribe,
            current_setting('max_logical_replication_workers')::int
              - (SELECT count(*) FROM pg_stat_subscription WHERE pid IS NOT NULL)::int AS free_workers,
            EXISTS (SELECT 1 FROM pg_subscription WHERE subname = $1) AS sub_exists,
            ${LOCK_TABLE_COLUMNS}
       FROM pg_roles r WHERE r.rolname = current_user`,
    [subscription, privileged],
  );
  const row = res.rows[0];
  return {
    canSubscribe: row.can_subscribe,
    freeWorkers: row.free_workers,
    subscriptionExists: row.sub_exists,
    ...(row.logging ? { statementLogging: row.logging } : {}),
    locks: lockTableOf(row),
  };
}

/** Slots a new subscription takes on the source: its own plus the table-sync slots that run at once. */
export const SLOTS_PER_SUBSCRIPTION = 1 + 2;

export interface PreflightInput {
  source: SourceFacts;
  target: TargetFacts;
  inventory: SchemaInventory;
  /** Tables (display names) the spec opted in to REPLICA IDENTITY FULL. */
  replicaIdentityFull: string[];
  /** How old an open transaction may be before it is reported as blocking slot creation. */
  maxXactAgeSeconds?: number;
  /** Which server and database each side is (unknown in unit tests of other checks). */
  servers?: { source: ServerIdentity; target: ServerIdentity };
}

type Check = (input: PreflightInput) => Finding | undefined;

const block = (reason: Reason, message: string): Finding => ({ reason, message, blocking: true });
const warn = (reason: Reason, message: string): Finding => ({ reason, message, blocking: false });

const schemasExist: Check = ({ inventory }) =>
  inventory.missingSchemas.length > 0
    ? block(
        'SchemaNotFound',
        `schema(s) ${inventory.missingSchemas.map((s) => JSON.stringify(s)).join(', ')} of spec.schemas do not exist on the source`,
      )
    : undefined;

const distinctDatabases: Check = ({ servers }) =>
  servers && servers.source.systemIdentifier === servers.target.systemIdentifier && servers.source.database === servers.target.database
    ? block(
        'SameDatabase',
        `the source and target Secrets name the same database (${JSON.stringify(servers.source.database)} on the server with ` +
          `system identifier ${servers.source.systemIdentifier}): nothing would move; point spec.target at the new database`,
      )
    : undefined;

const walLevelLogical: Check = ({ source }) =>
  source.walLevel !== 'logical'
    ? block(
        'WalLevelNotLogical',
        `the source runs with wal_level=${source.walLevel}; set wal_level=logical (RDS: rds.logical_replication=1) and restart it`,
      )
    : undefined;

const sourceCanReplicate: Check = ({ source }) =>
  !source.canReplicate
    ? block('SourceRoleCannotReplicate', 'the source role has neither REPLICATION nor membership in rds_replication; grant one of them')
    : undefined;

const freeSlots: Check = ({ source }) =>
  !source.slotExists && source.freeSlots < SLOTS_PER_SUBSCRIPTION
    ? block(
        'NoFreeReplicationSlot',
        `the source has ${source.freeSlots} free replication slot(s), ${SLOTS_PER_SUBSCRIPTION} are needed (raise max_replication_slots)`,
      )
    : undefined;

const freeWalSenders: Check = ({ source }) =>
  !source.slotExists && source.freeWalSenders < SLOTS_PER_SUBSCRIPTION
    ? block(
        'NoFreeWalSender',
        `the source has ${source.freeWalSenders} free WAL sender(s), ${SLOTS_PER_SUBSCRIPTION} are needed (raise max_wal_senders)`,
      )
    : undefined;

const tablesReadable: Check = ({ source }) =>
  source.unreadable.length > 0
    ? block('SourceTablesNotReadable', `the source role cannot SELECT ${listNames(source.unreadable)}`)
    : undefined;

const tablesOwned: Check = ({ source }) =>
  source.notOwned.length > 0 && !source.isSuperuser
    ? block(
        'SourceTablesNotOwned',
        `a publication needs ownership of every table; the source role does not own ${listNames(source.notOwned)}`,
      )
    : undefined;

const noLongTransaction: Check = ({ source, maxXactAgeSeconds }) => {
  const maxAge = maxXactAgeSeconds ?? 300;
  const tooOld = !source.slotExists && source.oldestXactAgeSeconds !== null && source.oldestXactAgeSeconds > maxAge;
  if (!tooOld || source.oldestXactAgeSeconds === null) return undefined;
  return block(
    'LongTransactionOnSource',
    `a transaction has been open on the source for ${Math.round(source.oldestXactAgeSeconds)} s; creating the slot waits for it to end`,
  );
};

const tablesHaveIdentity: Check = ({ inventory, replicaIdentityFull }) => {
  const optedIn = new Set(replicaIdentityFull);
  const noIdentity = inventory.tables
    .filter((t) => !t.partitionOf && !t.hasPrimaryKey && (t.replicaIdentity === 'd' || t.replicaIdentity === 'n'))
    .map(displayName)
    .filter((n) => !optedIn.has(n));
  if (noIdentity.length === 0) return undefined;
  return block(
    'TableWithoutPrimaryKey',
    `table(s) ${listNames(noIdentity)} have no primary key or replica identity; ` +
      'publishing them would make UPDATE and DELETE fail on the source. Add a primary key or list them in spec.replicaIdentityFull',
  );
};

const tablesLogged: Check = ({ inventory }) => {
  const unlogged = inventory.tables.filter((t) => t.unlogged).map(displayName);
  if (unlogged.length === 0) return undefined;
  return block(
    'UnloggedTable',
    `unlogged table(s) ${listNames(unlogged)} cannot be replicated; make them logged (ALTER TABLE ... SET LOGGED)`,
  );
};

// pg_largeobject is database-wide: it cannot be scoped to a tenant, and logical replication does not
// carry it. A move would leave the objects behind, so the tenant does not replicate at all.
const noLargeObjects: Check = ({ source }) =>
  source.largeObjectColumns.length > 0
    ? block(
        'LargeObjectsNotReplicated',
        `column(s) ${listNames(source.largeObjectColumns)} reference large objects (type oid or a domain over it, such as lo): ` +
          'pg_largeobject is database-wide and logical replication does not carry it, so the tenant cannot move with them; ' +
          'store the contents in bytea columns (lo_get) or move those tables out of spec.schemas',
      )
    : undefined;

const targetCanSubscribe: Check = ({ target }) =>
  !target.canSubscribe
    ? block(
        'TargetRoleCannotSubscribe',
        'the target role cannot CREATE SUBSCRIPTION: on RDS it must be a member of rds_superuser; on vanilla PostgreSQL 15 a ' +
          'superuser, or give the target Secret privileged-user and privileged-password for that step',
      )
    : undefined;

const freeWorker: Check = ({ target }) =>
  !target.subscriptionExists && target.freeWorkers < 1
    ? block('NoFreeLogicalReplicationWorker', 'the target has no free logical replication worker (raise max_logical_replication_workers)')
    : undefined;

const subscriberLogsStatements: Check = ({ target }) =>
  target.statementLogging
    ? warn(
        'SubscriberLogsStatements',
        `the target logs statements (${target.statementLogging}) and the target role may not lower that for its session: ` +
          "CREATE SUBSCRIPTION's connection string, the source password included, would be written to the target's log; set " +
          'log_statement to none or mod (and log_min_duration_statement to -1) in its parameter group before the subscription ' +
          'is created, or rotate the source password afterwards',
      )
    : undefined;

const reverseNeedsSuperuser: Check = ({ source }) =>
  !source.isSuperuser
    ? warn(
        'ReverseReplicationNeedsSuperuser',
        'rollback through reverse replication needs a source role that can CREATE SUBSCRIPTION (superuser on PostgreSQL 15); ' +
          'a cutover of this tenant will be refused',
      )
    : undefined;

/** Every check, in the order its finding is reported (the first blocking one names the condition). */
const CHECKS: Check[] = [
  distinctDatabases,
  schemasExist,
  walLevelLogical,
  sourceCanReplicate,
  freeSlots,
  freeWalSenders,
  tablesReadable,
  tablesOwned,
  noLongTransaction,
  tablesHaveIdentity,
  tablesLogged,
  noLargeObjects,
  targetCanSubscribe,
  freeWorker,
  subscriberLogsStatements,
  lockTableRoom,
  reverseNeedsSuperuser,
];

export function evaluatePreflight(input: PreflightInput): Finding[] {
  return CHECKS.map((check) => check(input)).filter((f): f is Finding => f !== undefined);
}

function listNames(names: string[], limit = 10): string {
  return names.length > limit ? `${names.slice(0, limit).join(', ')} and ${names.length - limit} more` : names.join(', ');
}
