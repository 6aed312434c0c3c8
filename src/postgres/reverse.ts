// Replication paths a move prepares before its freeze and only positions and enables inside it: the
// reverse path (target -> source) before a switch, the forward path again before a rollback.
// A publication and slot on the publisher, a disabled subscription on the subscriber whose origin is
// moved to the publisher's position at the switch, so only later writes flow.
import pg from 'pg';
import type { TableInfo } from './catalog.js';
import {
  addToPublication,
  createPublicationSql,
  createSubscription,
  dropPublication,
  dropSlots,
  dropSubscription,
  ensureSlot,
  publicationTables,
  readSubscription,
  refreshSubscription,
  setSubscriptionEnabled,
  type Subscriber,
} from './replication.js';

export interface ReplicationPath {
  publication: string;
  slot: string;
  subscription: string;
}

/**
 * Idempotent. Creating the slot costs hundreds of ms under load, which is why it is outside the
 * freeze; `extra` are further publication entries (the sentinel with its row filter).
 * A path prepared for an earlier move is brought up to the tenant's tables now: a table created
 * since (on both sides) joins the publication, and the subscription, disabled until its origin is
 * positioned at the switch, is made again without copying (PostgreSQL refreshes only an enabled
 * one), its slot kept. A table on one side only is left to the precondition that names it.
 */
export async function preparePath(opts: {
  publisher: pg.Client;
  subscriber: Subscriber;
  path: ReplicationPath;
  tables: TableInfo[];
  publisherConninfo: string;
  extra?: string[];
}): Promise<void> {
  const { publisher, subscriber, path } = opts;
  const pub = await publisher.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [path.publication]);
  if (pub.rowCount === 0) await publisher.query(createPublicationSql(path.publication, opts.tables, opts.extra ?? []));
  else await addToPublication(publisher, path.publication, await onBothSides(publisher, subscriber.client, opts.tables));
  await ensureSlot(publisher, path.slot);
  const sub = await readSubscription(subscriber.client, path.subscription);
  const spec = { subscription: path.subscription, conninfo: opts.publisherConninfo, publication: path.publication, slot: path.slot };
  if (!sub) {
    await createSubscription(subscriber, { ...spec, enabled: false, prepared: true });
    return;
  }
  const subscribed = new Set(sub.tables.map((t) => JSON.stringify([t.schema, t.name])));
  const published = await publicationTables(publisher, path.publication);
  if (published.every((t) => subscribed.has(JSON.stringify([t.schema, t.name])))) return;
  if (sub.enabled) {
    await refreshSubscription(subscriber.client, path.subscription, false);
    return;
  }
  await dropSubscription(subscriber.client, path.subscription);
  await createSubscription(subscriber, { ...spec, enabled: false, prepared: true });
}

/** The tables that exist on both servers now (by name: oids differ). */
async function onBothSides(a: pg.Client, b: pg.Client, tables: TableInfo[]): Promise<TableInfo[]> {
  const there = async (c: pg.Client): Promise<Set<string>> => {
    const res = await c.query<{ s: string; n: string }>(
      `SELECT s, n FROM unnest($1::text[], $2::text[]) AS t(s, n) WHERE to_regclass(format('%I.%I', s, n)) IS NOT NULL`,
      [tables.map((t) => t.schema), tables.map((t) => t.name)],
    );
    return new Set(res.rows.map((r) => JSON.stringify([r.s, r.n])));
  };
  const [onA, onB] = await Promise.all([there(a), there(b)]);
  return tables.filter((t) => {
    const k = JSON.stringify([t.schema, t.name]);
    return onA.has(k) && onB.has(k);
  });
}

export async function pathState(
  subscriber: pg.Client,
  path: ReplicationPath,
): Promise<{ exists: boolean; enabled: boolean; oid?: number }> {
  const res = await subscriber.query<{ oid: number; subenabled: boolean }>(
    'SELECT oid::int AS oid, subenabled FROM pg_subscription WHERE subname = $1',
    [path.subscription],
  );
  const row = res.rows[0];
  return row ? { exists: true, enabled: row.subenabled, oid: row.oid } : { exists: false, enabled: false };
}

/**
 * Inside the freeze: the subscription's origin moves to the publisher's current position, so what the
 * publisher applied from the other direction (before it) is skipped and only later writes flow.
 */
export async function positionPath(subscriber: pg.Client, publisher: pg.Client, path: ReplicationPath): Promise<string> {
  const lsn = (await publisher.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]?.lsn as string;
  const state = await pathState(subscriber, path);
  if (!state.exists || state.oid === undefined) throw new Error(`subscription ${path.subscription} of the way back is missing`);
  await subscriber.query(`SELECT pg_replication_origin_advance($1, $2::pg_lsn)`, [`pg_${state.oid}`, lsn]);
  return lsn;
}

export async function enablePath(subscriber: pg.Client, path: ReplicationPath): Promise<void> {
  await setSubscriptionEnabled(subscriber, path.subscription, true);
}

/** Removes a path: the subscription (disabled, slot detached), then, given the publisher, its slot and publication. */
export async function dropPath(subscriber: pg.Client, publisher: pg.Client | undefined, path: ReplicationPath): Promise<void> {
  await dropSubscription(subscriber, path.subscription);
  if (publisher) {
    await dropSlots(publisher, path.slot);
    await dropPublication(publisher, path.publication);
  }
}
