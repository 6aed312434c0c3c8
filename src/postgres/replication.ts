// Forward logical replication of one tenant: the publication on the source, the subscription (and
// its slot) on the target, their alignment with the wanted tables, progress, lag and cleanup.
// SQL text is built by pure functions; the async functions run it.
import pg from 'pg';
import { displayName, type TableInfo } from './catalog.js';
import { tableSyncSlotPattern, type SyncSlotsOf } from './names.js';
import { hasSqlState } from './errors.js';
import { withClient, type ConnectionInfo } from './connection.js';

const id = pg.escapeIdentifier;

export function tableList(tables: Array<Pick<TableInfo, 'schema' | 'name'>>): string {
  return tables.map((t) => `${id(t.schema)}.${id(t.name)}`).join(', ');
}

/** `extra` entries are published as given (e.g. the sentinel table with its row filter). */
export function createPublicationSql(publication: string, tables: TableInfo[], extra: string[] = []): string {
  // FOR TABLE needs table ownership only; FOR TABLES IN SCHEMA would need superuser (PG15).
  return (
    `CREATE PUBLICATION ${id(publication)} FOR TABLE ${[tableList(tables), ...extra].filter(Boolean).join(', ')} WITH ` +
    `(publish_via_partition_root = true)`
  );
}

export function setPublicationTablesSql(publication: string, tables: TableInfo[], extra: string[] = []): string {
  return `ALTER PUBLICATION ${id(publication)} SET TABLE ${[tableList(tables), ...extra].filter(Boolean).join(', ')}`;
}

export interface SubscriptionSqlOptions {
  subscription: string;
  conninfo: string;
  publication: string;
  slot: string;
  enabled: boolean;
  /**
   * A path the move prepares (the way back) neither copies nor creates its slot: the publisher's slot
   * exists already and its origin is positioned at the switch. The forward path does both (default).
   */
  prepared?: boolean;
}

/** The slot always exists before its subscription (ensureSlot): create_slot = false, so no step needs it outside a transaction. */
export function createSubscriptionSql(opts: SubscriptionSqlOptions): string {
  const fresh = !opts.prepared;
  return `CREATE SUBSCRIPTION ${id(opts.subscription)} CONNECTION ${pg.escapeLiteral(opts.conninfo)} PUBLICATION ${id(opts.publication)}
    WITH (copy_data = ${fresh}, create_slot = false, slot_name = ${pg.escapeLiteral(opts.slot)},
      streaming = on, enabled = ${opts.enabled})`;
}

/** Creates the logical slot on the publisher unless it exists (idempotent). */
export async function ensureSlot(publisher: pg.Client, slot: string): Promise<void> {
  const found = await publisher.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [slot]);
  if (found.rowCount === 0) await publisher.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
}

/**
 * Makes the source's publication list exactly `tables` plus the `extra` entries (whose tables are
 * named in `extraTables` for the comparison); returns true when it changed anything.
 */
export async function alignPublication(
  source: pg.Client,
  publication: string,
  tables: TableInfo[],
  extra: { entries: string[]; tables: Array<{ schema: string; name: string }> } = { entries: [], tables: [] },
): Promise<boolean> {
  const pub = await source.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [publication]);
  if (pub.rowCount === 0) {
    await source.query(createPublicationSql(publication, tables, extra.entries));
    return true;
  }
  const have = new Set((await publicationTables(source, publication)).map((t) => JSON.stringify([t.schema, t.name])));
  const want = new Set([...tables, ...extra.tables].map((t) => JSON.stringify([t.schema, t.name])));
  if (have.size === want.size && [...want].every((k) => have.has(k))) return false;
  await source.query(setPublicationTablesSql(publication, tables, extra.entries));
  return true;
}

/** What a publication lists, as added: roots (pg_publication_tables would expand a partitioned table's leaves). */
export async function publicationTables(publisher: pg.Client, publication: string): Promise<Array<{ schema: string; name: string }>> {
  const res = await publisher.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name FROM pg_publication_rel pr
       JOIN pg_publication p ON p.oid = pr.prpubid JOIN pg_class c ON c.oid = pr.prrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace WHERE p.pubname = $1`,
    [publication],
  );
  return res.rows;
}

/** Adds to the publication the tables it does not list yet (never removes one); returns those added. */
export async function addToPublication(publisher: pg.Client, publication: string, tables: TableInfo[]): Promise<TableInfo[]> {
  const have = new Set((await publicationTables(publisher, publication)).map((t) => JSON.stringify([t.schema, t.name])));
  const missing = tables.filter((t) => !have.has(JSON.stringify([t.schema, t.name])));
  if (missing.length > 0) await publisher.query(`ALTER PUBLICATION ${id(publication)} ADD TABLE ${tableList(missing)}`);
  return missing;
}

export interface SubscriptionState {
  oid: number;
  enabled: boolean;
  slotName: string | null;
  /** srsubstate per table: i init, d data copy, f finished copy, s synchronized, r ready. */
  tables: Array<{ schema: string; name: string; state: string }>;
  /** The subscription's apply worker's last error, from pg_stat_subscription_stats counts. */
  applyErrors: number;
  syncErrors: number;
}

export async function readSubscription(target: pg.Client, subscription: string): Promise<SubscriptionState | undefined> {
  const sub = await target.query<{ oid: number; subenabled: boolean; subslotname: string | null }>(
    'SELECT oid::int AS oid, subenabled, subslotname FROM pg_subscription WHERE subname = $1 AND subdbid = (SELECT oid FROM pg_database ' +
      'WHERE datname = current_database())',
    [subscription],
  );
  const row = sub.rows[0];
  if (!row) return undefined;
  const rels = await target.query<{ schema: string; name: string; state: string }>(
    `SELECT n.nspname AS schema, c.relname AS name, sr.srsubstate AS state
       FROM pg_subscription_rel sr JOIN pg_class c ON c.oid = sr.srrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE sr.srsubid = $1 ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C"`,
    [row.oid],
  );
  const stats = await target.query<{ apply_error_count: string; sync_error_count: string }>(
    'SELECT apply_error_count::text, sync_error_count::text FROM pg_stat_subscription_stats WHERE subid = $1',
    [row.oid],
  );
  return {
    oid: row.oid,
    enabled: row.subenabled,
    slotName: row.subslotname,
    tables: rels.rows,
    applyErrors: Number(stats.rows[0]?.apply_error_count ?? 0),
    syncErrors: Number(stats.rows[0]?.sync_error_count ?? 0),
  };
}

/**
 * Bytes the initial copy has put on the target: the size of every table that finished copying plus
 * what the running table-sync COPYs have processed (pg_stat_progress_copy).
 */
export async function copiedBytes(target: pg.Client, subscriptionOid: number): Promise<number> {
  const res = await target.query<{ bytes: string }>(
    `SELECT (COALESCE((SELECT sum(pg_total_relation_size(srrelid)) FROM pg_subscription_rel
      WHERE srsubid = $1 AND srsubstate IN ('f', 's', 'r')), 0)
           + COALESCE((SELECT sum(p.bytes_processed) FROM pg_stat_progress_copy p
                        WHERE p.relid IN
                          (SELECT srrelid FROM pg_subscription_rel WHERE srsubid = $1 AND srsubstate IN ('i', 'd'))), 0))::text AS bytes`,
    [subscriptionOid],
  );
  return Number(res.rows[0]?.bytes ?? 0);
}

/** The subscriber's session and the settings it was opened with (which may name a privileged login). */
export interface Subscriber {
  client: pg.Client;
  info: ConnectionInfo;
}

/**
 * Creates a subscription owned by the subscriber's role. RDS lets that role (rds_superuser) run
 * CREATE SUBSCRIPTION itself; vanilla PostgreSQL 15 only a superuser. There the connection Secret
 * names a privileged login (privileged-user, privileged-password), used for this step alone: one
 * transaction makes the role a superuser, creates the subscription as it and takes the attribute back.
 * No other session ever sees the role as a superuser, and it owns the subscription as on RDS: its
 * apply worker runs with the role's privileges, and the role alone alters, enables and drops it.
 */
export async function createSubscription(subscriber: Subscriber, opts: SubscriptionSqlOptions): Promise<void> {
  const sql = createSubscriptionSql(opts);
  const privileged = subscriber.info.privileged;
  if (!privileged) {
    const c = subscriber.client;
    if (!(await isSuperuser(c))) {
      await c.query(sql);
      return;
    }
    await c.query('BEGIN');
    try {
      await quietStatementLogging(c);
      await c.query(sql);
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
    return;
  }
  const role = id(subscriber.info.user);
  await withClient({ ...subscriber.info, user: privileged.user, password: privileged.password }, async (admin) => {
    await admin.query('BEGIN');
    try {
      await quietStatementLogging(admin);
      await admin.query(`ALTER ROLE ${role} SUPERUSER`);
      await admin.query(`SET LOCAL ROLE ${role}`);
      await admin.query(sql);
      await admin.query('RESET ROLE');
      await admin.query(`ALTER ROLE ${role} NOSUPERUSER`);
      await admin.query('COMMIT');
    } catch (err) {
      await admin.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  });
}

/**
 * The statement about to run carries a password (a subscription's connection string): for the rest of
 * this transaction the server neither logs statements nor the statement of an error. These settings
 * are a superuser's to change: a superuser session (the privileged login, a superuser source) lowers
 * them (inside a transaction); any other (RDS's master user) cannot, and preflight warns where its
 * server logs statements.
 */
async function quietStatementLogging(c: pg.Client): Promise<void> {
  await c.query(
    "SET LOCAL log_statement = 'none'; SET LOCAL log_min_error_statement = 'panic'; SET LOCAL log_min_duration_statement = -1; " +
      'SET LOCAL log_min_duration_sample = -1',
  );
}

async function isSuperuser(c: pg.Client): Promise<boolean> {
  const res = await c.query<{ su: boolean }>('SELECT rolsuper AS su FROM pg_catalog.pg_roles WHERE rolname = current_user');
  return res.rows[0]?.su === true;
}

export async function setSubscriptionEnabled(target: pg.Client, subscription: string, enabled: boolean): Promise<void> {
  await target.query(`ALTER SUBSCRIPTION ${id(subscription)} ${enabled ? 'ENABLE' : 'DISABLE'}`);
}

/**
 * Picks up tables added to or removed from the publication; new tables get their initial copy unless
 * `copyData` is false (their rows are on the subscriber already). PostgreSQL refuses it on a disabled subscription.
 */
export async function refreshSubscription(target: pg.Client, subscription: string, copyData = true): Promise<void> {
  await target.query(`ALTER SUBSCRIPTION ${id(subscription)} REFRESH PUBLICATION WITH (copy_data = ${copyData})`);
}

export interface SlotState {
  exists: boolean;
  active: boolean;
  /** Source WAL not yet confirmed by the subscriber. */
  lagBytes: number;
  /** WAL the slot keeps on the source's disk. */
  retainedBytes: number;
  walStatus: string | null;
  /** replay_lag of the slot's WAL sender; null when idle (PostgreSQL then reports no lag). */
  lagSeconds: number | null;
}

export async function readSlot(source: pg.Client, slot: string): Promise<SlotState> {
  const res = await source.query<{ active: boolean; lag: string | null; retained: string | null; wal_status: string | null }>(
    `SELECT active, pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::text AS lag,
            pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::text AS retained, wal_status
       FROM pg_replication_slots WHERE slot_name = $1`,
    [slot],
  );
  const row = res.rows[0];
  if (!row) return { exists: false, active: false, lagBytes: 0, retainedBytes: 0, walStatus: null, lagSeconds: null };
  const sender = await source.query<{ lag: number | null }>(
    `SELECT extract(epoch FROM replay_lag)::float8 AS lag FROM pg_stat_replication WHERE application_name = $1 LIMIT 1`,
    [slot],
  );
  return {
    exists: true,
    active: row.active,
    lagBytes: Math.max(0, Number(row.lag ?? 0)),
    retainedBytes: Math.max(0, Number(row.retained ?? 0)),
    walStatus: row.wal_status,
    lagSeconds: sender.rows[0]?.lag ?? null,
  };
}

/** Drops the subscription on the target without touching the source (its slot is dropped there). */
export async function dropSubscription(target: pg.Client, subscription: string): Promise<void> {
  // pg_subscription is shared by the server's databases: only this database's subscription of that name.
  const exists = await target.query(
    'SELECT 1 FROM pg_subscription WHERE subname = $1 AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())',
    [subscription],
  );
  if (exists.rowCount === 0) return;
  await target.query(`ALTER SUBSCRIPTION ${id(subscription)} DISABLE`);
  await target.query(`ALTER SUBSCRIPTION ${id(subscription)} SET (slot_name = NONE)`);
  await target.query(`DROP SUBSCRIPTION ${id(subscription)}`);
}

/**
 * Drops the tenant's slot and any table-sync slots of its subscription from the source. A slot
 * still held by a WAL sender that has not exited yet is terminated first.
 * Returns the slots that remain (none when all went).
 */
export async function dropSlots(source: pg.Client, slot: string, syncOf?: SyncSlotsOf): Promise<string[]> {
  const all = await source.query<{ slot_name: string; active_pid: number | null }>(
    'SELECT slot_name, active_pid FROM pg_replication_slots',
  );
  const syncPattern = syncOf ? tableSyncSlotPattern(syncOf) : undefined;
  const ours = all.rows.filter((s) => s.slot_name === slot || (syncPattern?.test(s.slot_name) ?? false));
  const remaining: string[] = [];
  for (const s of ours) {
    try {
      if (s.active_pid) await source.query('SELECT pg_terminate_backend($1)', [s.active_pid]);
      await source.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [s.slot_name]);
    } catch (err) {
      // 55006: still active (the sender is exiting); the next pass gets it.
      if (!hasSqlState(err, 'objectInUse')) throw err;
      remaining.push(s.slot_name);
    }
  }
  return remaining;
}

/** Which server and database a session is on: the system identifier survives renames, DNS and proxies. */
export interface ServerIdentity {
  systemIdentifier: string;
  database: string;
}

export async function serverIdentity(client: pg.Client): Promise<ServerIdentity> {
  const res = await client.query<{ id: string; db: string }>(
    'SELECT system_identifier::text AS id, current_database() AS db FROM pg_control_system()',
  );
  return { systemIdentifier: res.rows[0]?.id as string, database: res.rows[0]?.db as string };
}

/** The server's system identifier (part of the names of the table-sync slots it creates as a subscriber). */
export async function systemIdentifier(client: pg.Client): Promise<string> {
  return (await serverIdentity(client)).systemIdentifier;
}

export async function dropPublication(source: pg.Client, publication: string): Promise<void> {
  await source.query(`DROP PUBLICATION IF EXISTS ${id(publication)}`);
}

/** Summarizes table sync states for status: total, ready, copying. */
export function tableProgress(
  state: SubscriptionState | undefined,
  wantedTables: number,
): { total: number; ready: number; copying: number } {
  const tables = state?.tables ?? [];
  return {
    total: wantedTables,
    ready: tables.filter((t) => t.state === 'r').length,
    copying: tables.filter((t) => t.state === 'd' || t.state === 'i' || t.state === 'f' || t.state === 's').length,
  };
}

export function notReadyTables(state: SubscriptionState | undefined, limit = 5): string {
  const waiting = (state?.tables ?? []).filter((t) => t.state !== 'r').map((t) => `${displayName(t)} (${t.state})`);
  return waiting.length > limit ? `${waiting.slice(0, limit).join(', ')} and ${waiting.length - limit} more` : waiting.join(', ');
}

export async function publicationExists(source: pg.Client, publication: string): Promise<boolean> {
  const pub = await source.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [publication]);
  return (pub.rowCount ?? 0) > 0;
}

/** REPLICA IDENTITY FULL on the source for tables without a key the spec opted in. */
export async function setReplicaIdentityFull(source: pg.Client, tables: Array<Pick<TableInfo, 'schema' | 'name'>>): Promise<void> {
  for (const t of tables) {
    await source.query(`ALTER TABLE ${id(t.schema)}.${id(t.name)} REPLICA IDENTITY FULL`);
  }
}

/** Drops the given schemas and everything in them (the target's copy under deletionPolicy Delete). */
export async function dropSchemas(target: pg.Client, schemas: string[]): Promise<void> {
  for (const schema of schemas) await target.query(`DROP SCHEMA IF EXISTS ${id(schema)} CASCADE`);
}

/** A column the source gained, added to the target; the type comes from format_type() on the source. */
export function addColumnSql(c: { schema: string; table: string; column: string; type: string }): string {
  return `ALTER TABLE ${id(c.schema)}.${id(c.table)} ADD COLUMN IF NOT EXISTS ${id(c.column)} ${c.type};`;
}

/** CREATE TABLE IF NOT EXISTS for a source table's columns (no keys), read from the source's catalog. */
export async function createTableSql(source: pg.Client, tableOid: number): Promise<string | undefined> {
  const ddl = await source.query<{ sql: string }>(
    `SELECT format('CREATE TABLE IF NOT EXISTS %I.%I (%s)', n.nspname, c.relname,
                   string_agg(format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod)) ||
                              CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END, ', ' ORDER BY a.attnum)) AS sql
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid
      WHERE c.oid = $1 AND a.attnum > 0 AND NOT a.attisdropped GROUP BY n.nspname, c.relname`,
    [tableOid],
  );
  return ddl.rows[0] ? `${ddl.rows[0].sql};` : undefined;
}
