// Replication paths a move prepares before its freeze and only positions and enables inside it: the
// reverse path (target -> source) before a switch, the forward path again before a rollback.
// A publication and slot on the publisher, a disabled subscription on the subscriber whose origin is
// moved to the publisher's position at the switch, so only later writes flow.
import pg from 'pg';
import type { TableInfo } from './catalog.js';
import {
  createPublicationSql,
  createSubscription,
  dropPublication,
  dropSlots,
  dropSubscription,
  ensureSlot,
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
  await ensureSlot(publisher, path.slot);
  const sub = await subscriber.client.query('SELECT 1 FROM pg_subscription WHERE subname = $1', [path.subscription]);
  if (sub.rowCount === 0) {
    const spec = { subscription: path.subscription, conninfo: opts.publisherConninfo, publication: path.publication, slot: path.slot };
    await createSubscription(subscriber, { ...spec, enabled: false, prepared: true });
  }
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
