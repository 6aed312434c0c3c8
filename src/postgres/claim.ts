// Which move owns a tenant on a server: a row in tenantshift.move_claim (never published), written by
// every move and every recovery before it changes anything there. A write that gives privileges
// back (an abort's restore, the seal) checks it in its own transaction under a row lock, so an operator
// that was deposed while it slept cannot undo what a newer leader did: the database, not a lease
// the sleeper can no longer see, is the fencing token.
import pg from 'pg';
import { hasSqlState } from './errors.js';

export const CLAIM_TABLE = 'move_claim';
/** The sentinel's schema (sentinel.ts creates this table with its own). */
const SCHEMA = 'tenantshift';
const qualified = `${pg.escapeIdentifier(SCHEMA)}.${pg.escapeIdentifier(CLAIM_TABLE)}`;

export const CLAIM_DDL = `CREATE TABLE IF NOT EXISTS ${qualified} (
  tenant text PRIMARY KEY,
  move_id text NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
)`;

export interface MoveClaim {
  tenant: string;
  moveId: string;
}

export class MoveSuperseded extends Error {
  override name = 'MoveSuperseded';
}

/** The claim of a tenant no move has touched on this server yet. */
export const NO_MOVE = 'none';

/** The tenant's claim row, created naming `claim` if there is none yet (an existing one is left as it is). */
export async function ensureClaimRow(client: pg.Client, claim: MoveClaim): Promise<void> {
  const insert = (): Promise<unknown> =>
    client.query(`INSERT INTO ${qualified} (tenant, move_id) VALUES ($1, $2) ON CONFLICT (tenant) DO NOTHING`, [
      claim.tenant,
      claim.moveId,
    ]);
  try {
    await insert();
  } catch (err) {
    if (!hasSqlState(err, 'undefinedTable')) throw err;
    await client.query(CLAIM_DDL);
    await insert();
  }
}

/** Takes the tenant over on this server: every older move's guarded writes fail from now on. */
export async function claimMove(client: pg.Client, claim: MoveClaim): Promise<void> {
  try {
    await upsertClaim(client, claim);
  } catch (err) {
    // A tenant replicated since before claims existed: its SchemaReplication's next pass would add it.
    if (!hasSqlState(err, 'undefinedTable')) throw err;
    await client.query(CLAIM_DDL);
    await upsertClaim(client, claim);
  }
}

async function upsertClaim(client: pg.Client, claim: MoveClaim): Promise<void> {
  await client.query(
    `INSERT INTO ${qualified} (tenant, move_id) VALUES ($1, $2)
     ON CONFLICT (tenant) DO UPDATE SET move_id = EXCLUDED.move_id, at = now()`,
    [claim.tenant, claim.moveId],
  );
}

/** Inside a transaction: holds the claim row until commit and fails unless `claim` still owns it. */
export async function assertClaim(client: pg.Client, claim: MoveClaim): Promise<void> {
  const res = await client.query<{ move_id: string }>(`SELECT move_id FROM ${qualified} WHERE tenant = $1 FOR UPDATE`, [claim.tenant]);
  const owner = res.rows[0]?.move_id;
  if (owner !== claim.moveId)
    throw new MoveSuperseded(`move ${claim.moveId} no longer owns tenant ${claim.tenant} (now ${owner ?? 'nobody'}): nothing changed`);
}

/** `work` in one transaction that first checks `claim` (none: unguarded), committed only if all of it succeeds. */
export async function inClaimedTransaction<T>(client: pg.Client, claim: MoveClaim | undefined, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    if (claim) await assertClaim(client, claim);
    const out = await work();
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
