// The SQL of a comparison, built by pure functions: the canonical text of a row, key-range
// predicates, range digests, split points and row fetches. Identifiers are escaped; every value is
// a parameter (left untyped, so each server resolves it against its own column's type).
import pg from 'pg';
import type { KeyTuple } from './types.js';

const id = pg.escapeIdentifier;

export interface KeyColumn {
  name: string;
  /** Text-like: ordered with COLLATE "C" on both sides, whatever the column's own collation. */
  collatable: boolean;
}

/** What the SQL of one table needs: the same on both sides. */
export interface TableShape {
  schema: string;
  table: string;
  /** The columns compared (those on both sides), in the source's column order. */
  columns: string[];
  /** Empty: the table is compared as a whole (a multiset of rows). */
  key: KeyColumn[];
  /** The servers' encodings differ: hash the UTF-8 bytes so the same text hashes alike. */
  utf8: boolean;
}

/** A half-open key range [lower, upper); an absent bound is open. */
export interface KeyRange {
  lower?: KeyTuple;
  upper?: KeyTuple;
}

export interface Query {
  text: string;
  values: unknown[];
}

/**
 * Session settings that make text forms independent of each server's configuration: the same
 * instant prints alike (UTC), dates and intervals in one style, floats shortest-exact. The session
 * is read-only: validation never writes.
 */
export const SESSION_SETTINGS_SQL = [
  "SET TimeZone = 'UTC'",
  "SET DateStyle = 'ISO, YMD'",
  "SET IntervalStyle = 'postgres'",
  'SET extra_float_digits = 3',
  "SET bytea_output = 'hex'",
  "SET lc_monetary = 'C'",
  'SET default_transaction_read_only = on',
  // JIT compiles for estimated cost; a range digest is short and would mostly pay compile time.
  'SET jit = off',
].join('; ');

export function qualified(shape: Pick<TableShape, 'schema' | 'table'>): string {
  return `${id(shape.schema)}.${id(shape.table)}`;
}

/** Key columns as ordered on both sides: text-like ones in byte order, so collations cannot differ. */
export function keyExpressions(shape: Pick<TableShape, 'key'>): string[] {
  return shape.key.map((k) => (k.collatable ? `(${id(k.name)} COLLATE "C")` : id(k.name)));
}

export function keyOrder(shape: Pick<TableShape, 'key'>): string {
  return keyExpressions(shape).join(', ');
}

/** The key's text form, one element per key column. */
export function keyText(shape: Pick<TableShape, 'key'>): string {
  return `ARRAY[${shape.key.map((k) => `${id(k.name)}::text`).join(', ')}]::text[]`;
}

function md5(expr: string, utf8: boolean): string {
  return utf8 ? `md5(convert_to(${expr}, 'UTF8'))` : `md5(${expr})`;
}

/**
 * The canonical text of a row: a record of each column's text form. The record's quoting keeps
 * NULL (nothing) apart from '' (""), and the text forms keep 50.5 apart from 50.50.
 */
export function rowText(shape: Pick<TableShape, 'columns'>): string {
  return `ROW(${shape.columns.map((c) => `${id(c)}::text`).join(', ')})::text`;
}

/** One hash per column, NULL for NULL: names the columns of a row that differs. */
export function columnHashes(shape: Pick<TableShape, 'columns' | 'utf8'>): string {
  return `ARRAY[${shape.columns.map((c) => md5(`${id(c)}::text`, shape.utf8)).join(', ')}]::text[]`;
}

function compareKey(shape: Pick<TableShape, 'key'>, op: '>=' | '<', bound: KeyTuple, values: unknown[]): string {
  if (bound.length !== shape.key.length) throw new Error(`a key bound has ${bound.length} values for ${shape.key.length} key columns`);
  const params = bound.map((v) => {
    values.push(v);
    return `$${values.length}`;
  });
  const exprs = keyExpressions(shape);
  // A row comparison orders lexicographically by the key columns; btree indexes serve it.
  return exprs.length === 1 ? `${exprs[0]} ${op} ${params[0]}` : `ROW(${exprs.join(', ')}) ${op} ROW(${params.join(', ')})`;
}

/** The WHERE condition of a range; appends its bounds to `values`. */
export function rangePredicate(shape: Pick<TableShape, 'key'>, range: KeyRange, values: unknown[]): string {
  const parts: string[] = [];
  if (range.lower) parts.push(compareKey(shape, '>=', range.lower, values));
  if (range.upper) parts.push(compareKey(shape, '<', range.upper, values));
  return parts.length === 0 ? 'true' : parts.join(' AND ');
}

/**
 * The publisher's WAL insert position, read in the digest's own projection, after the scan: at or
 * past every commit the scan saw. Only asked of a publisher (a standby could not answer it).
 */
function lsnColumn(withLsn: boolean): string {
  return withLsn ? 'pg_current_wal_insert_lsn()::text' : 'NULL::text';
}

/** Row count and digest of a range: md5 over the rows' md5s in key order. */
export function rangeDigestSql(shape: TableShape, range: KeyRange, withLsn = false): Query {
  const values: unknown[] = [];
  const where = rangePredicate(shape, range, values);
  return {
    text: `SELECT count(*)::bigint AS n, md5(string_agg(${md5(rowText(shape), shape.utf8)}, '' ORDER BY ${keyOrder(shape)})) AS digest,
            ${lsnColumn(withLsn)} AS lsn
       FROM ${qualified(shape)} WHERE ${where}`,
    values,
  };
}

/** A keyless table's digest: its rows' md5s sorted, so it is the same for the same multiset of rows. */
export function tableDigestSql(shape: TableShape, withLsn = false): Query {
  return {
    // OFFSET 0 keeps the subquery apart, so each row's md5 is computed once, not once per reference.
    text: `SELECT count(*)::bigint AS n, md5(string_agg(h, '' ORDER BY h COLLATE "C")) AS digest,
            ${lsnColumn(withLsn)} AS lsn
       FROM (SELECT ${md5(rowText(shape), shape.utf8)} AS h FROM ${qualified(shape)} OFFSET 0) rows_`,
    values: [],
  };
}

/**
 * Keys that cut a range into pieces of `step` rows: the keys at positions step+1, 2*step+1, ... in
 * key order (the first piece holds the range's first `step` rows).
 */
export function splitPointsSql(shape: TableShape, range: KeyRange, step: number): Query {
  const values: unknown[] = [];
  const where = rangePredicate(shape, range, values);
  values.push(step);
  const stepParam = `$${values.length}`;
  return {
    text: `SELECT key FROM (
         SELECT ${keyText(shape)} AS key, row_number() OVER (ORDER BY ${keyOrder(shape)}) AS rn
           FROM ${qualified(shape)} WHERE ${where}) keys_
      WHERE rn > 1 AND (rn - 1) % ${stepParam} = 0 ORDER BY rn`,
    values,
  };
}

/** Every row of a (small) range: its key and one hash per column. */
export function rangeRowsSql(shape: TableShape, range: KeyRange): Query {
  const values: unknown[] = [];
  const where = rangePredicate(shape, range, values);
  return { text: `SELECT ${keyText(shape)} AS key, ${columnHashes(shape)} AS cols FROM ${qualified(shape)} WHERE ${where}`, values };
}

/**
 * The rows with these keys. Equality uses each column's own collation so the primary key's index
 * serves it; callers keep only rows whose key text is one they asked for.
 */
export function rowsByKeysSql(shape: TableShape, keys: KeyTuple[]): Query {
  if (keys.length === 0) throw new Error('rowsByKeysSql needs at least one key');
  const values: unknown[] = [];
  const tuples = keys.map((key) => {
    if (key.length !== shape.key.length) throw new Error(`a key has ${key.length} values for ${shape.key.length} key columns`);
    const params = key.map((v) => {
      values.push(v);
      return `$${values.length}`;
    });
    return shape.key.length === 1 ? params[0] : `(${params.join(', ')})`;
  });
  const lhs = shape.key.length === 1 ? id((shape.key[0] as KeyColumn).name) : `(${shape.key.map((k) => id(k.name)).join(', ')})`;
  return {
    text: `SELECT ${keyText(shape)} AS key, ${columnHashes(shape)} AS cols FROM ${qualified(shape)} WHERE ${lhs} IN (${tuples.join(', ')})`,
    values,
  };
}

export const INSERT_LSN_SQL = 'SELECT pg_current_wal_insert_lsn()::text AS lsn';
export const SLOT_FLUSH_SQL = 'SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1';
