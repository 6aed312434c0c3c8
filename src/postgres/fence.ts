// Fencing a tenant's writes on the side it leaves. During the freeze: EXCLUSIVE locks held by one
// session whose own timeout is the move's deadline (writes bypassing PgBouncer wait, reads go on);
// while they are held, the tenant's write privileges are revoked in the same transaction, which is
// committed before the new route is recorded (`seal`). From the point of no return on, the old side
// takes no write whatever happens to the operator; an abort gives the saved grants back.
import pg from 'pg';
import type { TableInfo } from './catalog.js';
import { connect, type ConnectionInfo } from './connection.js';
import { assertClaim, inClaimedTransaction, type MoveClaim } from './claim.js';
import { hasSqlState } from './errors.js';

const id = pg.escapeIdentifier;
const tableName = (t: Pick<TableInfo, 'schema' | 'name'>): string => `${id(t.schema)}.${id(t.name)}`;

export interface FenceSession {
  /** Source WAL position right after the fence took hold: every tenant commit is before it. */
  lsn: string;
  /**
   * Revokes the tenant's writes in the transaction that holds the locks and commits it: writers that
   * waited on the locks then fail their privilege check, and the fence no longer depends on the
   * session (its timeout, the operator's life). Undone by restoreGrants.
   */
  seal(): Promise<void>;
  /** Ends the session (a transaction still open rolls back: the locks go). */
  release(): Promise<void>;
}

/** Opens the fence's session ahead of the freeze: connecting costs milliseconds the freeze has not got. */
export async function openFenceSession(info: ConnectionInfo): Promise<pg.Client> {
  return connect(info, { application_name: 'tenantshift-fence' });
}

/** Takes the fence on a session from openFenceSession; the session's timeouts are the move's budget. */
export async function acquireFence(client: pg.Client, tables: TableInfo[], budgetMs: number, claim?: MoveClaim): Promise<FenceSession> {
  const ms = Math.max(1, Math.floor(budgetMs));
  try {
    // Both timeouts are the move's budget: the server drops the fence even if we never come back.
    await client.query(
      `BEGIN; SET LOCAL lock_timeout = ${ms}; SET LOCAL idle_in_transaction_session_timeout = ${ms}; SET LOCAL statement_timeout = ${ms}`,
    );
    if (tables.length > 0) await client.query(`LOCK TABLE ${tables.map(tableName).join(', ')} IN EXCLUSIVE MODE`);
    const lsn = (await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]?.lsn as string;
    return {
      lsn,
      seal: async () => {
        // A move a newer leader took over must not seal: it may serve from here again.
        if (claim) await assertClaim(client, claim);
        await revokeWrites(client, tables);
        await client.query('COMMIT');
      },
      release: async () => {
        await client.query('ROLLBACK').catch(() => undefined);
        await client.end().catch(() => undefined);
      },
    };
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
}

/**
 * Inside the freeze: tables of the tenant's schemas the fence does not hold (created since the move
 * listed them). Their writes would go on after the point of no return, so the move must not go on.
 */
export async function unfencedTables(client: pg.Client, schemas: string[], fenced: TableInfo[]): Promise<string[]> {
  const res = await client.query<{ name: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'p') AND NOT c.relispartition
        AND (n.nspname, c.relname) NOT IN (SELECT * FROM unnest($2::text[], $3::text[]))
      ORDER BY 1`,
    // By name: the tables were listed on the source, and oids are per server.
    [schemas, fenced.map((t) => t.schema), fenced.map((t) => t.name)],
  );
  return res.rows.map((r) => r.name);
}

/** Proves the fence from another session: taking a write lock on a tenant table must fail at once. */
export async function probeFence(client: pg.Client, table: Pick<TableInfo, 'schema' | 'name'>): Promise<boolean> {
  await client.query('BEGIN');
  try {
    await client.query(`LOCK TABLE ${tableName(table)} IN ROW EXCLUSIVE MODE NOWAIT`);
    return false;
  } catch (err) {
    if (hasSqlState(err, 'lockNotAvailable')) return true; // fenced
    throw err;
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
  }
}

export interface SavedGrant {
  table: string;
  /** pg_class.relacl as text; null means the owner's default privileges. */
  acl: string | null;
  /** Column ACLs (pg_attribute.attacl): a table-level REVOKE takes their write privileges too. */
  columns?: Array<{ column: string; acl: string }>;
}

const WRITE_PRIVILEGES = 'INSERT, UPDATE, DELETE, TRUNCATE';

/**
 * The tables on this server (oids differ between servers, names do not) and every partition under
 * them, at every level, as attached now: PostgreSQL checks a partition's own ACL when it is written
 * directly, so what is revoked, saved and given back must cover the partitions too.
 */
async function relationsOn(
  client: pg.Client,
  tables: Array<Pick<TableInfo, 'schema' | 'name'>>,
): Promise<{ oids: number[]; names: string[] }> {
  const res = await client.query<{ oid: number; name: string }>(
    `WITH roots AS (
       SELECT c.oid FROM unnest($1::text[], $2::text[]) AS t(s, n)
         JOIN pg_namespace ns ON ns.nspname = t.s JOIN pg_class c ON c.relnamespace = ns.oid AND c.relname = t.n)
     SELECT c.oid::int AS oid, format('%I.%I', n.nspname, c.relname) AS name
       FROM (SELECT oid FROM roots UNION SELECT p.relid::oid FROM roots r, LATERAL pg_partition_tree(r.oid) p) x
       JOIN pg_class c ON c.oid = x.oid JOIN pg_namespace n ON n.oid = c.relnamespace
      ORDER BY 2`,
    [tables.map((t) => t.schema), tables.map((t) => t.name)],
  );
  return { oids: res.rows.map((r) => r.oid), names: res.rows.map((r) => r.name) };
}

/** Saves the tables' ACLs on this server; returns them so the caller can record them before revoking. */
export async function readGrants(client: pg.Client, tables: TableInfo[]): Promise<SavedGrant[]> {
  const res = await client.query<{ t: string; acl: string | null; columns: Array<{ column: string; acl: string }> | null }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS t, c.relacl::text AS acl,
            (SELECT json_agg(json_build_object('column', a.attname, 'acl', a.attacl::text) ORDER BY a.attnum)
               FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attacl IS NOT NULL) AS columns
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = ANY($1::oid[])
      ORDER BY 1`,
    [(await relationsOn(client, tables)).oids],
  );
  return res.rows.map((r) => ({ table: r.t, acl: r.acl, ...(r.columns ? { columns: r.columns } : {}) }));
}

/**
 * Revokes write privileges on the tenant's tables from everyone (the owners too: owners keep the
 * right to grant them back) but superusers and the session's own role: on PostgreSQL 15 the apply
 * worker of our subscriptions runs as their owner, this role, and checks its privileges (on RDS it
 * is never a superuser). The application must therefore never log in as the operator's role.
 */
export async function revokeWrites(source: pg.Client, tables: TableInfo[]): Promise<void> {
  if (tables.length === 0) return;
  const { oids, names } = await relationsOn(source, tables);
  const owners = await source.query<{ owner: string }>(
    'SELECT DISTINCT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE oid = ANY($1::oid[])',
    [oids],
  );
  const grantees = await source.query<{ grantee: string }>(
    `SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END AS grantee
       FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = ANY($1::oid[])`,
    [oids],
  );
  const self = (await source.query<{ me: string }>('SELECT current_user AS me')).rows[0]?.me;
  const roles = new Set([...owners.rows.map((r) => r.owner), ...grantees.rows.map((r) => r.grantee)]);
  if (self) roles.delete(self);
  if (roles.size === 0) return;
  const list = names.join(', ');
  const who = [...roles].map((r) => (r === 'PUBLIC' ? 'PUBLIC' : id(r))).join(', ');
  await source.query(`REVOKE ${WRITE_PRIVILEGES} ON ${list} FROM ${who}`);
}

/**
 * Grants back the write privileges the saved ACLs held (a rollback, or an abort after the revoke), in
 * one transaction; with a claim only while that move still owns the tenant here (MoveSuperseded).
 */
export async function restoreGrants(source: pg.Client, saved: SavedGrant[], claim?: MoveClaim): Promise<void> {
  await inClaimedTransaction(source, claim, async () => {
    for (const g of saved) {
      // `table` came from format('%I.%I'): already a quoted identifier.
      const rows =
        g.acl === null
          ? await source.query<AclItem>(
              `SELECT pg_get_userbyid(relowner) AS grantee, p AS privilege_type, false AS is_grantable
               FROM pg_class, unnest(ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) p WHERE oid = $1::regclass`,
              [g.table],
            )
          : await source.query<AclItem>(
              `SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END AS grantee, a.privilege_type, a.is_grantable
               FROM aclexplode($1::aclitem[]) a WHERE a.privilege_type IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')`,
              [g.acl],
            );
      for (const r of rows.rows) await source.query(grantSql(r, g.table));
      for (const col of g.columns ?? []) {
        const cols = await source.query<AclItem>(
          `SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END AS grantee, a.privilege_type, a.is_grantable
             FROM aclexplode($1::aclitem[]) a WHERE a.privilege_type IN ('INSERT', 'UPDATE')`,
          [col.acl],
        );
        for (const r of cols.rows) await source.query(grantSql(r, g.table, col.column));
      }
    }
  });
}

interface AclItem {
  grantee: string;
  privilege_type: string;
  is_grantable: boolean;
}

function grantSql(r: AclItem, table: string, column?: string): string {
  const who = r.grantee === 'PUBLIC' ? 'PUBLIC' : id(r.grantee);
  const on = column === undefined ? '' : ` (${id(column)})`;
  return `GRANT ${r.privilege_type}${on} ON ${table} TO ${who}${r.is_grantable ? ' WITH GRANT OPTION' : ''}`;
}
