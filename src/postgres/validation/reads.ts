// The reads a comparison makes on one side, each through the shared load limiter: range digests,
// split points, a range's rows and rows by key.
import type pg from 'pg';
import type { LoadLimiter } from './limits.js';
import { keyId, type Digest, type RowHashes } from './ranges.js';
import { rangeRowsSql, rowsByKeysSql, splitPointsSql, type KeyRange, type Query, type TableShape } from './sql.js';
import type { KeyTuple } from './types.js';

/** One connection on each side, set up for comparison (see SESSION_SETTINGS_SQL). */
export interface Worker {
  source: pg.Client;
  target: pg.Client;
}

export interface Reader {
  limiter: LoadLimiter;
  signal?: AbortSignal;
}

const KEYS_PER_QUERY = 500;

export async function readDigest(reader: Reader, client: pg.Client, query: Query): Promise<Digest> {
  await reader.limiter.acquire(reader.signal);
  const res = await client.query<{ n: string; digest: string | null; lsn: string }>(query);
  const row = res.rows[0];
  const n = Number(row?.n ?? 0);
  reader.limiter.charge(n);
  return { n, digest: row?.digest ?? null, ...(row?.lsn ? { lsn: row.lsn } : {}) };
}

/** Both sides' digests, read at the same time on the two servers. */
export async function readDigests(
  reader: Reader,
  w: Worker,
  query: { source: Query; target: Query },
): Promise<{ source: Digest; target: Digest }> {
  const [source, target] = await Promise.all([readDigest(reader, w.source, query.source), readDigest(reader, w.target, query.target)]);
  return { source, target };
}

/** Keys cutting `range` into pieces of `step` rows; `scanned` is what the read costs in rows. */
export async function readSplitPoints(
  reader: Reader,
  client: pg.Client,
  shape: TableShape,
  range: KeyRange,
  step: number,
  scanned: number,
): Promise<KeyTuple[]> {
  await reader.limiter.acquire(reader.signal);
  const res = await client.query<{ key: KeyTuple }>(splitPointsSql(shape, range, step));
  reader.limiter.charge(scanned);
  return res.rows.map((r) => r.key);
}

export async function readRangeRows(reader: Reader, client: pg.Client, shape: TableShape, range: KeyRange): Promise<RowHashes[]> {
  await reader.limiter.acquire(reader.signal);
  const res = await client.query<RowHashes>(rangeRowsSql(shape, range));
  reader.limiter.charge(res.rows.length);
  return res.rows;
}

/** The rows with exactly these keys (absent keys have no entry), keyed by keyId. */
export async function readRowsByKeys(
  reader: Reader,
  client: pg.Client,
  shape: TableShape,
  keys: KeyTuple[],
): Promise<Map<string, RowHashes>> {
  const wanted = new Set(keys.map(keyId));
  const found = new Map<string, RowHashes>();
  for (let i = 0; i < keys.length; i += KEYS_PER_QUERY) {
    await reader.limiter.acquire(reader.signal);
    const res = await client.query<RowHashes>(rowsByKeysSql(shape, keys.slice(i, i + KEYS_PER_QUERY)));
    reader.limiter.charge(res.rows.length);
    for (const row of res.rows) {
      // Equality under a non-deterministic collation can match other spellings: keep exact keys only.
      if (wanted.has(keyId(row.key))) found.set(keyId(row.key), row);
    }
  }
  return found;
}
