// The ACLs a move saves before its fence revokes a side's writes, kept on that side's own server in
// tenantshift.saved_grants (never published), one row per save. The TenantCutover's status names the
// save that counts (status.savedGrantSets, written by the guarded status write): a row a deposed
// operator saved is never named there, and the next save prunes it. Kept out of the status because
// every status write sends the whole object through the API server's validation and etcd: with the
// two sides' ACLs of 1,000 tables in it one write took 161 ms against 25 ms at 100 tables, the route
// write inside the freeze among them (docs/benchmarks.md).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { hasSqlState } from './errors.js';
import type { SavedGrant } from './fence.js';
import { SENTINEL_SCHEMA } from './sentinel.js';

const qualified = `${pg.escapeIdentifier(SENTINEL_SCHEMA)}.saved_grants`;

const DDL = `CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(SENTINEL_SCHEMA)};
CREATE TABLE IF NOT EXISTS ${qualified} (
  cutover text NOT NULL,
  id text NOT NULL,
  grants jsonb NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (cutover, id)
)`;

/** A save as the status names it: where to find it, and how many tables it holds (0: nothing to give). */
export interface GrantSet {
  id: string;
  tables: number;
}

/** Stores `grants` as a new save of the TenantCutover `cutover` (its uid) on this server. */
export async function saveGrants(client: pg.Client, cutover: string, grants: SavedGrant[]): Promise<GrantSet> {
  const set = { id: `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`, tables: grants.length };
  const insert = (): Promise<unknown> =>
    client.query(`INSERT INTO ${qualified} (cutover, id, grants) VALUES ($1, $2, $3::jsonb)`, [cutover, set.id, JSON.stringify(grants)]);
  try {
    await insert();
  } catch (err) {
    if (!hasSqlState(err, 'undefinedTable')) throw err;
    await createTable(client);
    await insert();
  }
  return set;
}

/** The save `set` names; an error that says where it was looked for when it is not there. */
export async function loadGrants(client: pg.Client, cutover: string, set: GrantSet): Promise<SavedGrant[]> {
  if (set.tables === 0) return [];
  const res = await client
    .query<{ grants: SavedGrant[] }>(`SELECT grants FROM ${qualified} WHERE cutover = $1 AND id = $2`, [cutover, set.id])
    .catch((err: unknown) => {
      if (hasSqlState(err, 'undefinedTable')) return { rows: [] };
      throw err;
    });
  const grants = res.rows[0]?.grants;
  if (!grants)
    throw new Error(
      `the table ACLs saved before the fence (save ${set.id} of ${set.tables} tables) are not in ${qualified} on this server: ` +
        'was the database restored or the row deleted? Grant the tenant its write privileges by hand',
    );
  return grants; // saved as SavedGrant[] (JSON keeps acl: null)
}

/** Deletes every save of `cutover` but `keep` (none: all of them). */
export async function pruneGrants(client: pg.Client, cutover: string, keep?: string): Promise<void> {
  await client
    .query(`DELETE FROM ${qualified} WHERE cutover = $1 AND id IS DISTINCT FROM $2`, [cutover, keep ?? null])
    .catch((err: unknown) => {
      if (!hasSqlState(err, 'undefinedTable')) throw err;
    });
}

async function createTable(client: pg.Client): Promise<void> {
  // Two tenants saving at once race on CREATE ... IF NOT EXISTS (a unique violation in the catalog).
  await client.query(DDL).catch((err: unknown) => {
    if (!hasSqlState(err, 'uniqueViolation', 'duplicateSchema', 'duplicateTable')) throw err;
  });
}
