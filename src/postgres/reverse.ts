// The reverse path (target -> source) of a switched tenant, prepared before the freeze and only
// positioned and enabled inside it: a publication and slot on the target, and on the source a
// disabled subscription that skips everything the target applied from the forward path.
import pg from 'pg';
import type { TableInfo } from './catalog.js';
import { tableList } from './replication.js';

const id = pg.escapeIdentifier;

export interface ReversePath {
  publication: string;
  slot: string;
  subscription: string;
}

/** Idempotent; creating the slot costs hundreds of ms under load, which is why it is outside the freeze. */
export async function prepareReverse(target: pg.Client, source: pg.Client, path: ReversePath, tables: TableInfo[], targetConninfo: string): Promise<void> {
  const pub = await target.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [path.publication]);
  if (pub.rowCount === 0) await target.query(`CREATE PUBLICATION ${id(path.publication)} FOR TABLE ${tableList(tables)} WITH (publish_via_partition_root = true)`);
  const slot = await target.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [path.slot]);
  if (slot.rowCount === 0) await target.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [path.slot]);
  const sub = await source.query('SELECT 1 FROM pg_subscription WHERE subname = $1', [path.subscription]);
  if (sub.rowCount === 0) {
    await source.query(
      `CREATE SUBSCRIPTION ${id(path.subscription)} CONNECTION ${pg.escapeLiteral(targetConninfo)} PUBLICATION ${id(path.publication)}
         WITH (create_slot = false, slot_name = ${pg.escapeLiteral(path.slot)}, copy_data = false, enabled = false, streaming = on)`,
    );
  }
}

export async function reverseState(source: pg.Client, path: ReversePath): Promise<{ exists: boolean; enabled: boolean; oid?: number }> {
  const res = await source.query<{ oid: number; subenabled: boolean }>('SELECT oid::int AS oid, subenabled FROM pg_subscription WHERE subname = $1', [path.subscription]);
  const row = res.rows[0];
  return row ? { exists: true, enabled: row.subenabled, oid: row.oid } : { exists: false, enabled: false };
}

/**
 * Inside the freeze: the subscription's origin moves to the target's current position, so the
 * forward-applied changes (before it) are skipped and only later target writes flow back.
 */
export async function positionReverse(source: pg.Client, target: pg.Client, path: ReversePath): Promise<string> {
  const lsn = (await target.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]?.lsn as string;
  const state = await reverseState(source, path);
  if (!state.exists || state.oid === undefined) throw new Error(`reverse subscription ${path.subscription} is missing on the source`);
  await source.query(`SELECT pg_replication_origin_advance($1, $2::pg_lsn)`, [`pg_${state.oid}`, lsn]);
  return lsn;
}

export async function enableReverse(source: pg.Client, path: ReversePath): Promise<void> {
  await source.query(`ALTER SUBSCRIPTION ${id(path.subscription)} ENABLE`);
}

/** Removes the reverse path: the subscription (disabled first, slot detached), then publication and slot. */
export async function dropReverse(target: pg.Client | undefined, source: pg.Client, path: ReversePath): Promise<void> {
  const state = await reverseState(source, path);
  if (state.exists) {
    await source.query(`ALTER SUBSCRIPTION ${id(path.subscription)} DISABLE`);
    await source.query(`ALTER SUBSCRIPTION ${id(path.subscription)} SET (slot_name = NONE)`);
    await source.query(`DROP SUBSCRIPTION ${id(path.subscription)}`);
  }
  if (target) {
    await target.query('SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL', [path.slot]);
    await target.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active', [path.slot]);
    await target.query(`DROP PUBLICATION IF EXISTS ${id(path.publication)}`);
  }
}
