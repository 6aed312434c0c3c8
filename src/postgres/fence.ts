// Fencing a tenant's writes on the side it leaves. During the freeze: EXCLUSIVE locks held by one
// session whose own timeout is the move's deadline (writes bypassing PgBouncer wait, reads go on);
// while they are held, the tenant's write privileges are revoked in the same transaction, which is
// committed before the new route is recorded (`seal`). From the point of no return on, the old side
// takes no write whatever happens to the operator; an abort gives the saved grants back.
import pg from 'pg';
import type { TableInfo } from './catalog.js';
import { connect, type ConnectionInfo } from './connection.js';
import { assertClaim, ensureClaimRow, inClaimedTransaction, NO_MOVE, type MoveClaim } from './claim.js';
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
/** The same list as SQL literals, for `privilege_type IN (...)`. */
const WRITE_PRIVILEGE_LITERALS = WRITE_PRIVILEGES.split(', ')
  .map((p) => `'${p}'`)
  .join(', ');
/** An aclexplode() row's grantee by name, PUBLIC for 0. */
const GRANTEE = `CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END`;

/**
 * `rel (oid, name)`: the tables named by $1 (schemas) and $2 (names) on this server, and every
 * partition under them at any level; `name` as format('%I.%I').
 */
const RELATIONS_CTE = `roots AS (
       SELECT c.oid FROM unnest($1::text[], $2::text[]) AS t(s, n)
         JOIN pg_namespace ns ON ns.nspname = t.s JOIN pg_class c ON c.relnamespace = ns.oid AND c.relname = t.n),
     rel AS (
       SELECT c.oid, format('%I.%I', n.nspname, c.relname) AS name
         FROM (SELECT oid FROM roots UNION SELECT p.relid::oid FROM roots r, LATERAL pg_partition_tree(r.oid) p) x
         JOIN pg_class c ON c.oid = x.oid JOIN pg_namespace n ON n.oid = c.relnamespace)`;

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
    `WITH ${RELATIONS_CTE} SELECT oid::int AS oid, name FROM rel ORDER BY name`,
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
  // One round trip (it runs inside the freeze): the relations, their owners and grantees, and who this role is.
  const res = await source.query<{ names: string[] | null; owners: string[] | null; grantees: string[] | null; me: string; su: boolean }>(
    `WITH ${RELATIONS_CTE}
     SELECT (SELECT array_agg(name ORDER BY name) FROM rel) AS names,
            (SELECT array_agg(DISTINCT pg_get_userbyid(c.relowner)::text) FROM rel JOIN pg_class c ON c.oid = rel.oid) AS owners,
            (SELECT array_agg(DISTINCT (${GRANTEE})::text) FROM rel JOIN pg_class c ON c.oid = rel.oid, aclexplode(c.relacl) a) AS grantees,
            current_user::text AS me, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS su`,
    [tables.map((t) => t.schema), tables.map((t) => t.name)],
  );
  const { names, owners, grantees, me, su } = res.rows[0] as NonNullable<(typeof res.rows)[0]>;
  const roles = new Set([...(owners ?? []), ...(grantees ?? [])]);
  roles.delete(me);
  if (roles.size === 0 || !names) return;
  const list = names.join(', ');
  const who = [...roles].map((r) => (r === 'PUBLIC' ? 'PUBLIC' : id(r))).join(', ');
  // This role may write through its membership in an owning role (an application that owns its
  // tables; on RDS the master user made a member of it): it gets its own grant first, or the revoke
  // would take the apply worker's writes too and stop replication into this side.
  const ownedByOthers = (owners ?? []).some((o) => o !== me);
  const keepOwn = !su && ownedByOthers ? `GRANT ${WRITE_PRIVILEGES} ON ${list} TO CURRENT_USER; ` : '';
  await source.query(`${keepOwn}REVOKE ${WRITE_PRIVILEGES} ON ${list} FROM ${who}`);
}

/**
 * Whether any role but the session's own (and superusers, whom no ACL binds) may write to one of the
 * tables or their partitions here: an owner's implicit privileges count (a NULL ACL is acldefault),
 * and so do column grants (a table-level REVOKE takes those too).
 */
export async function writableByOthers(client: pg.Client, tables: TableInfo[]): Promise<boolean> {
  if (tables.length === 0) return false;
  const { oids } = await relationsOn(client, tables);
  const res = await client.query<{ writable: boolean }>(
    `WITH me AS (SELECT oid FROM pg_roles WHERE rolname = current_user)
     SELECT EXISTS (
       SELECT 1 FROM pg_class c, aclexplode(COALESCE(c.relacl, acldefault('r', c.relowner))) a
        WHERE c.oid = ANY($1::oid[]) AND a.privilege_type IN (${WRITE_PRIVILEGE_LITERALS}) AND a.grantee <> (SELECT oid FROM me)
       UNION ALL
       SELECT 1 FROM pg_attribute att, aclexplode(att.attacl) a
        WHERE att.attrelid = ANY($1::oid[]) AND att.attnum > 0 AND NOT att.attisdropped
          AND a.privilege_type IN ('INSERT', 'UPDATE') AND a.grantee <> (SELECT oid FROM me)) AS writable`,
    [oids],
  );
  return res.rows[0]?.writable ?? false;
}

/**
 * Outside any move: the side that does not serve takes none of the tenant's writes (a schema copy
 * brings the source's grants to the target; an earlier version's abort could leave them). Guarded by
 * the tenant's claim on this server: only while `lastMove` (the move the caller's record knows, none
 * for a tenant never moved) still owns it, so a caller deciding on a record a newer move has
 * overtaken changes nothing. Returns whether it revoked anything.
 */
export async function fenceIdleSide(
  client: pg.Client,
  tables: TableInfo[],
  guard: { tenant: string; lastMove?: string },
): Promise<boolean> {
  const claim: MoveClaim = { tenant: guard.tenant, moveId: guard.lastMove ?? NO_MOVE };
  // A row to lock even for a tenant never moved: a move starting now waits for this transaction.
  await ensureClaimRow(client, claim);
  return inClaimedTransaction(client, claim, async () => {
    if (!(await writableByOthers(client, tables))) return false;
    await revokeWrites(client, tables);
    return true;
  });
}

/**
 * Grants back the write privileges the saved ACLs held (a rollback, or an abort after the revoke), in
 * one transaction; with a claim only while that move still owns the tenant here (MoveSuperseded).
 * Two round trips whatever the tenant's size (it runs inside the freeze): one query works out the
 * GRANTs from the catalog, one per grantee and set of privileges over all its tables (a GRANT per
 * table and privilege rewrote each ACL three times: 313 ms for 1,000 tables; bench/scale), and one
 * runs them. A saved grant (tenantshift.saved_grants, or the status of an earlier version) is not
 * trusted as SQL: its table name is only looked up (`to_regclass`), and every name in a statement
 * is quoted by the server; a table dropped since has nothing to give back.
 */
export async function restoreGrants(source: pg.Client, saved: SavedGrant[], claim?: MoveClaim): Promise<void> {
  const columns = saved.flatMap((g) => (g.columns ?? []).map((c) => ({ table: g.table, ...c })));
  await inClaimedTransaction(source, claim, async () => {
    const res = await source.query<{ sql: string }>(RESTORE_SQL, [
      saved.map((g) => g.table),
      saved.map((g) => g.acl),
      columns.map((c) => c.table),
      columns.map((c) => c.column),
      columns.map((c) => c.acl),
    ]);
    if (res.rows.length > 0) await source.query(res.rows.map((r) => r.sql).join(';\n'));
  });
}

// A null ACL is the owner's default privileges (acldefault), as PostgreSQL reads it.
const RESTORE_SQL = `
WITH tables AS (
  SELECT c.oid, format('%I.%I', n.nspname, c.relname) AS rel, COALESCE(s.acl::aclitem[], acldefault('r', c.relowner)) AS acl
    FROM unnest($1::text[], $2::text[]) AS s(t, acl)
    JOIN pg_class c ON c.oid = to_regclass(s.t) JOIN pg_namespace n ON n.oid = c.relnamespace
), columns AS (
  SELECT format('%I.%I', n.nspname, c.relname) AS rel, s.col, s.acl::aclitem[] AS acl
    FROM unnest($3::text[], $4::text[], $5::text[]) AS s(t, col, acl)
    JOIN pg_class c ON c.oid = to_regclass(s.t) JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = s.col AND NOT a.attisdropped)
), items AS (
  SELECT t.rel, NULL::text AS col, a.* FROM tables t, aclexplode(t.acl) a
   WHERE a.privilege_type IN (${WRITE_PRIVILEGE_LITERALS})
  UNION ALL
  SELECT c.rel, c.col, a.* FROM columns c, aclexplode(c.acl) a WHERE a.privilege_type IN ('INSERT', 'UPDATE')
), per_table AS (
  -- PostgreSQL rewrites a table's ACL once per GRANT statement: every privilege a grantee gets on it
  -- (table-level, and column-level as 'UPDATE (col)') in one.
  SELECT rel, grantee, is_grantable,
         string_agg(CASE WHEN col IS NULL THEN privilege_type ELSE format('%s (%I)', privilege_type, col) END, ', '
                    ORDER BY col NULLS FIRST, privilege_type) AS privileges
    FROM items GROUP BY rel, grantee, is_grantable
)
SELECT format('GRANT %s ON %s TO %s%s', privileges, string_agg(rel, ', ' ORDER BY rel),
              CASE WHEN grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(grantee)) END,
              CASE WHEN is_grantable THEN ' WITH GRANT OPTION' ELSE '' END) AS sql
  FROM per_table GROUP BY privileges, grantee, is_grantable`;

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

/** How the server names the tables (`format('%I.%I')`, as saved grants are named), in their order. */
export async function qualifiedNames(client: pg.Client, tables: Array<Pick<TableInfo, 'schema' | 'name'>>): Promise<string[]> {
  const res = await client.query<{ q: string }>(
    `SELECT format('%I.%I', s, n) AS q FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(s, n, i) ORDER BY i`,
    [tables.map((t) => t.schema), tables.map((t) => t.name)],
  );
  return res.rows.map((r) => r.q);
}

/**
 * Tables the operator made on `onto` for ones the application has on `from`, the side serving:
 * `onto` gets now the read privileges `from` grants (to the roles `onto` has), and the write ones come
 * back as the grants to give when the tenant is served on `onto` (until then it stays fenced there).
 * PostgreSQL works out that ACL itself, in a transaction rolled back, so it names `onto`'s own roles.
 */
export async function carryGrants(from: pg.Client, onto: pg.Client, tables: TableInfo[]): Promise<SavedGrant[]> {
  if (tables.length === 0) return [];
  // The owner's privileges too (a NULL ACL is the owner's defaults), where the same role owns the
  // table on `onto`: an application that owns its tables must write there after the switch, though
  // the side it moves to was closed, owners included. Another role owning it there gets nothing.
  const items = await from.query<AclItem & { t: string; col: string | null; owner: string | null }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS t, NULL::text AS col, ${GRANTEE} AS grantee, a.privilege_type, a.is_grantable,
            CASE WHEN a.grantee = c.relowner THEN pg_get_userbyid(c.relowner) END AS owner
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(COALESCE(c.relacl, acldefault('r', c.relowner))) a
      WHERE c.oid = ANY($1::oid[])
     UNION ALL
     SELECT format('%I.%I', n.nspname, c.relname), att.attname::text, ${GRANTEE}, a.privilege_type, a.is_grantable, NULL
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute att ON att.attrelid = c.oid AND att.attnum > 0 AND NOT att.attisdropped, aclexplode(att.attacl) a
      WHERE c.oid = ANY($1::oid[]) AND a.grantee <> c.relowner`,
    [(await relationsOn(from, tables)).oids],
  );
  const roles = new Set((await onto.query<{ r: string }>('SELECT rolname AS r FROM pg_roles')).rows.map((r) => r.r));
  const names = [...new Set(items.rows.map((i) => i.t))];
  const here = await onto.query<{ t: string; owner: string }>(
    'SELECT t, pg_get_userbyid(c.relowner) AS owner FROM unnest($1::text[]) AS t JOIN pg_class c ON c.oid = to_regclass(t)',
    [names],
  );
  const ownerThere = new Map(here.rows.map((r) => [r.t, r.owner]));
  const known = items.rows.filter(
    (i) => ownerThere.has(i.t) && (i.grantee === 'PUBLIC' || roles.has(i.grantee)) && (i.owner === null || i.owner === ownerThere.get(i.t)),
  );
  const grants = (items: typeof known): string => items.map((i) => grantSql(i, i.t, i.col ?? undefined)).join(';\n');
  await onto.query('BEGIN');
  let saved: SavedGrant[];
  try {
    if (known.length > 0) await onto.query(grants(known));
    saved = await readGrants(onto, tables);
  } finally {
    await onto.query('ROLLBACK');
  }
  const reads = known.filter((i) => !WRITE_PRIVILEGES.split(', ').includes(i.privilege_type));
  if (reads.length > 0) await onto.query(grants(reads)); // one simple query: one transaction
  return saved;
}
