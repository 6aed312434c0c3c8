// The live re-check of suspect keys (and of a keyless table's digest): read the publisher, wait
// until the subscriber has caught up past that read, read the subscriber, read the publisher
// again. Only what persists is reported; what keeps changing is re-checked, then left unsettled.
import type pg from 'pg';
import type { CatchUp, LiveCheck } from './live.js';
import { keyId, rowDifference, sameDigest, sameRow, verdict, type Digest } from './ranges.js';
import { readDigest, readRowsByKeys, type Reader, type Worker } from './reads.js';
import { INSERT_LSN_SQL, tableDigestSql } from './sql.js';
import type { TableRun } from './tablerun.js';
import type { KeyTuple } from './types.js';

export interface SettleContext extends Reader {
  catchUp: CatchUp;
  attempts: number;
  listLimit: number;
}

function sides(w: Worker, live: LiveCheck): { publisher: pg.Client; subscriber: pg.Client } {
  return live.publisher === 'source' ? { publisher: w.source, subscriber: w.target } : { publisher: w.target, subscriber: w.source };
}

/** Orients a (publisher, subscriber) pair of values as (source, target). */
function oriented<T>(live: LiveCheck, publisher: T, subscriber: T): { source: T; target: T } {
  return live.publisher === 'source' ? { source: publisher, target: subscriber } : { source: subscriber, target: publisher };
}

async function insertLsn(client: pg.Client): Promise<string> {
  const res = await client.query<{ lsn: string }>(INSERT_LSN_SQL);
  return res.rows[0]?.lsn as string;
}

/** Confirms or clears keys whose rows differed in one read of a live table. */
export async function settleKeys(ctx: SettleContext, w: Worker, run: TableRun, live: LiveCheck, keys: KeyTuple[]): Promise<void> {
  const { publisher, subscriber } = sides(w, live);
  let pending = keys;
  for (let attempt = 0; attempt < ctx.attempts && pending.length > 0; attempt++) {
    const first = await readRowsByKeys(ctx, publisher, run.shape, pending);
    if (!(await ctx.catchUp.waitFor(publisher, live.slotName, await insertLsn(publisher)))) break;
    const onSubscriber = await readRowsByKeys(ctx, subscriber, run.shape, pending);
    const second = await readRowsByKeys(ctx, publisher, run.shape, pending);
    const changing: KeyTuple[] = [];
    for (const key of pending) {
      const id = keyId(key);
      const v = verdict(first.get(id), onSubscriber.get(id), second.get(id), sameRow);
      if (v === 'changing') changing.push(key);
      if (v !== 'persistent') continue;
      const rows = oriented(live, second.get(id), onSubscriber.get(id));
      const d = rowDifference(key, rows.source, rows.target, run.shape.columns);
      if (d) run.addRow(d);
    }
    pending = changing;
  }
  for (const key of pending) run.addUnsettled(key, ctx.listLimit);
}

/** Confirms or clears a difference between the digests of a live table without a key. */
export async function settleWholeTable(
  ctx: SettleContext,
  w: Worker,
  run: TableRun,
  live: LiveCheck,
): Promise<{ source: Digest; target: Digest } | 'consistent' | 'unsettled'> {
  const { publisher, subscriber } = sides(w, live);
  for (let attempt = 0; attempt < ctx.attempts; attempt++) {
    const first = await readDigest(ctx, publisher, tableDigestSql(run.shape, true));
    if (!(await ctx.catchUp.waitFor(publisher, live.slotName, first.lsn as string))) break;
    const onSubscriber = await readDigest(ctx, subscriber, tableDigestSql(run.shape));
    const second = await readDigest(ctx, publisher, tableDigestSql(run.shape));
    const v = verdict(first, onSubscriber, second, sameDigest);
    if (v === 'consistent') return 'consistent';
    if (v === 'persistent') return oriented(live, second, onSubscriber);
  }
  return 'unsettled';
}
