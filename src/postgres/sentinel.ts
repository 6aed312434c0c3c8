// The per-tenant sentinel: a row in tenantshift.heartbeat on the source, published with a row filter
// in the tenant's publication. A beat written after the fence and seen on the target proves that
// everything committed before it was applied (the apply worker commits in source commit order).
import pg from 'pg';
import { CLAIM_DDL } from './claim.js';
import { hasSqlState } from './errors.js';

export const SENTINEL_SCHEMA = 'tenantshift';
export const SENTINEL_TABLE = 'heartbeat';
const qualified = `${pg.escapeIdentifier(SENTINEL_SCHEMA)}.${pg.escapeIdentifier(SENTINEL_TABLE)}`;

export const SENTINEL_DDL = `CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(SENTINEL_SCHEMA)};
CREATE TABLE IF NOT EXISTS ${qualified} (
  tenant text PRIMARY KEY,
  beat bigint NOT NULL DEFAULT 0,
  at timestamptz NOT NULL DEFAULT now()
);
${CLAIM_DDL}`;

/** The publication entry: only this tenant's row travels (the filter column is the primary key). */
export function sentinelPublicationEntry(tenant: string): string {
  return `${qualified} WHERE (tenant = ${pg.escapeLiteral(tenant)})`;
}

export async function ensureSentinel(client: pg.Client, tenant?: string): Promise<void> {
  // Tenants reconciled at once race on CREATE ... IF NOT EXISTS (a unique violation in the catalog):
  // the loser finds the object there on its next try.
  for (let attempt = 1; ; attempt++) {
    try {
      await client.query(SENTINEL_DDL);
      break;
    } catch (err) {
      if (attempt >= 3 || !hasSqlState(err, 'uniqueViolation', 'duplicateSchema', 'duplicateTable')) throw err;
    }
  }
  if (tenant !== undefined) {
    await client.query(`INSERT INTO ${qualified} (tenant) VALUES ($1) ON CONFLICT (tenant) DO NOTHING`, [tenant]);
  }
}

/** Writes a new beat on the source and returns it. */
export async function beat(source: pg.Client, tenant: string): Promise<number> {
  const res = await source.query<{ beat: string }>(
    `UPDATE ${qualified} SET beat = beat + 1, at = now() WHERE tenant = $1 RETURNING beat::text`,
    [tenant],
  );
  if (res.rowCount === 0) throw new Error(`no sentinel row for tenant ${tenant} on the source`);
  return Number(res.rows[0]?.beat);
}

export async function seenBeat(target: pg.Client, tenant: string): Promise<number> {
  const res = await target.query<{ beat: string }>(`SELECT beat::text FROM ${qualified} WHERE tenant = $1`, [tenant]);
  return Number(res.rows[0]?.beat ?? -1);
}

/**
 * Waits until the target has applied `value`, then makes the applied changes durable: subscriptions
 * commit with synchronous_commit=off, and one synchronous local commit flushes the WAL before it.
 */
export async function waitForBeat(target: pg.Client, tenant: string, value: number, deadline: number): Promise<boolean> {
  for (;;) {
    if ((await seenBeat(target, tenant)) >= value) break;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 2));
  }
  await target.query('BEGIN');
  await target.query('SET LOCAL synchronous_commit = on');
  // An xid makes the commit write a record; waiting for its flush makes everything before it durable.
  await target.query('SELECT txid_current()');
  await target.query('COMMIT');
  return true;
}
