// Live replication during a comparison: which slot feeds each table (given, or found in the
// catalogs), and waiting — bounded — until the subscriber has confirmed a publisher position.
import type pg from 'pg';
import { sleep } from '../../clock.js';
import { SLOT_FLUSH_SQL } from './sql.js';
import { ValidationError, type LiveReplication } from './types.js';

/** The replication feeding one table, as the engine needs it. */
export interface LiveCheck {
  slotName: string;
  publisher: 'source' | 'target';
}

/** A pg_lsn ("16/B374D848") as a number that compares correctly. */
export function parseLsn(lsn: string): bigint {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn);
  if (!m) throw new Error(`not a WAL position: "${lsn}"`);
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}

export function tableId(t: { schema: string; table: string }): string {
  return JSON.stringify([t.schema, t.table]);
}

/**
 * Finds, for each table, an enabled subscription on one side whose slot exists on the other side
 * (forward: subscriber target, publisher source; reverse: the other way round). pg_subscription_rel
 * names the tables each subscription carries, so every table waits only for its own slot.
 */
export async function detectLiveReplication(
  clients: { source: pg.Client; target: pg.Client },
  schemas: string[],
): Promise<Map<string, LiveCheck>> {
  const found = new Map<string, LiveCheck>();
  for (const publisher of ['source', 'target'] as const) {
    const subscriber = publisher === 'source' ? clients.target : clients.source;
    const carried = await subscriber.query<{ schema: string; table: string; slot: string }>(
      `SELECT n.nspname AS schema, c.relname AS table, s.subslotname AS slot
         FROM pg_subscription_rel sr JOIN pg_subscription s ON s.oid = sr.srsubid
         JOIN pg_class c ON c.oid = sr.srrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE s.subenabled AND s.subslotname IS NOT NULL AND n.nspname = ANY($1::text[])
          AND s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [schemas],
    );
    if (carried.rowCount === 0) continue;
    const slots = await clients[publisher].query<{ slot_name: string }>(
      `SELECT slot_name FROM pg_replication_slots
        WHERE slot_type = 'logical' AND database = current_database() AND slot_name = ANY($1::text[])`,
      [[...new Set(carried.rows.map((r) => r.slot))]],
    );
    const present = new Set(slots.rows.map((r) => r.slot_name));
    for (const row of carried.rows) {
      const key = tableId(row);
      if (present.has(row.slot) && !found.has(key)) found.set(key, { slotName: row.slot, publisher });
    }
  }
  return found;
}

/** The same slot for every table (the reconciler knows its own). */
export function fixedLiveCheck(live: LiveReplication): LiveCheck {
  return { slotName: live.slotName, publisher: live.publisher ?? 'source' };
}

/**
 * Waits until a slot's confirmed_flush_lsn reaches a position. The subscriber confirms a flush only
 * once everything before it is applied and committed, so a read on the subscriber afterwards sees
 * at least the publisher's state at that position. The highest position seen per slot is kept, so
 * waits for older positions cost no query.
 */
export class CatchUp {
  private readonly confirmed = new Map<string, bigint>();
  /** A position a slot failed to reach in time: later waits at or past it give up at once. */
  private readonly stalled = new Map<string, bigint>();
  waits = 0;

  constructor(private readonly opts: { timeoutMs: number; pollMs?: number; signal?: AbortSignal }) {}

  /** True once caught up; false when the bounded wait ran out. */
  async waitFor(publisher: pg.Client, slot: string, lsn: string): Promise<boolean> {
    const wanted = parseLsn(lsn);
    if ((this.confirmed.get(slot) ?? -1n) >= wanted) return true;
    const stalledAt = this.stalled.get(slot);
    if (stalledAt !== undefined && wanted >= stalledAt) return false;
    this.waits += 1;
    const deadline = Date.now() + this.opts.timeoutMs;
    for (;;) {
      this.opts.signal?.throwIfAborted();
      const res = await publisher.query<{ lsn: string | null }>(SLOT_FLUSH_SQL, [slot]);
      const row = res.rows[0];
      if (!row) throw new ValidationError(`replication slot ${slot} does not exist on the publisher: the live re-check cannot wait for it`);
      const at = row.lsn === null ? -1n : parseLsn(row.lsn);
      if (at > (this.confirmed.get(slot) ?? -1n)) this.confirmed.set(slot, at);
      if (at >= wanted) return true;
      if (Date.now() >= deadline) {
        this.stalled.set(slot, wanted);
        return false;
      }
      await sleep(this.opts.pollMs ?? 100, this.opts.signal);
    }
  }
}
