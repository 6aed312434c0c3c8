// Which tables a comparison covers and how: each side's tables, columns and keys from the catalogs,
// and the pure pairing of both sides into table plans and table-level differences.
import type pg from 'pg';
import { inventory, publishedTables } from '../catalog.js';
import { tableId } from './live.js';
import type { KeyColumn, TableShape } from './sql.js';
import type { Difference } from './types.js';

export interface SideCatalog {
  missingSchemas: string[];
  /** Ordinary tables and partitioned roots (a root's rows include its partitions'), in name order. */
  tables: Array<{ schema: string; table: string }>;
  /** Column names per table, in column order. */
  columns: Map<string, string[]>;
  /** The primary key, else the replica identity index; absent: no key. */
  keys: Map<string, KeyColumn[]>;
  encoding: string;
}

export async function readCatalog(client: pg.Client, schemas: string[]): Promise<SideCatalog> {
  const inv = await inventory(client, schemas);
  const columns = new Map<string, string[]>();
  for (const c of inv.columns) {
    const key = tableId({ schema: c.schema, table: c.table });
    columns.set(key, [...(columns.get(key) ?? []), c.column]);
  }
  const keyRows = await client.query<{ schema: string; table: string; column: string; collatable: boolean; primary: boolean }>(
    `SELECT n.nspname AS schema, c.relname AS table, a.attname AS column, a.attcollation <> 0 AS collatable, i.indisprimary AS primary
       FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
      WHERE n.nspname = ANY($1::text[]) AND (i.indisprimary OR i.indisreplident) AND k.ord <= i.indnkeyatts
      ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C", i.indisprimary DESC, i.indexrelid, k.ord`,
    [schemas],
  );
  const keys = new Map<string, KeyColumn[]>();
  const chosen = new Map<string, boolean>();
  for (const r of keyRows.rows) {
    const key = tableId(r);
    // The first index listed per table wins (the primary key sorts first); its columns are in order.
    if (chosen.has(key) && chosen.get(key) !== r.primary) continue;
    chosen.set(key, r.primary);
    keys.set(key, [...(keys.get(key) ?? []), { name: r.column, collatable: r.collatable }]);
  }
  const encoding = (await client.query<{ server_encoding: string }>('SHOW server_encoding')).rows[0]?.server_encoding ?? '';
  return {
    missingSchemas: inv.missingSchemas,
    tables: publishedTables(inv).map((t) => ({ schema: t.schema, table: t.name })),
    columns,
    keys,
    encoding,
  };
}

export interface TablePairing {
  /** Tables present on both sides, with how to compare them. */
  shapes: TableShape[];
  /** Tables on one side only. */
  onlyOnSource: Array<{ schema: string; table: string }>;
  onlyOnTarget: Array<{ schema: string; table: string }>;
  /** Table-level differences (tables or columns on one side only). */
  differences: Difference[];
}

/**
 * Pairs the sides' tables by name. Rows are compared on the columns both sides have, in the
 * source's order, by the source's key — or as a whole when the source has no key or the target
 * lacks one of its columns.
 */
export function pairTables(source: SideCatalog, target: SideCatalog): TablePairing {
  const targetTables = new Set(target.tables.map(tableId));
  const sourceTables = new Set(source.tables.map(tableId));
  const utf8 = source.encoding !== target.encoding;
  const out: TablePairing = { shapes: [], onlyOnSource: [], onlyOnTarget: [], differences: [] };
  for (const t of source.tables) {
    const key = tableId(t);
    if (!targetTables.has(key)) {
      out.onlyOnSource.push(t);
      out.differences.push({ ...t, kind: 'table-missing' });
      continue;
    }
    const srcCols = source.columns.get(key) ?? [];
    const tgtCols = target.columns.get(key) ?? [];
    const tgtSet = new Set(tgtCols);
    const srcSet = new Set(srcCols);
    const missingOnTarget = srcCols.filter((c) => !tgtSet.has(c));
    const missingOnSource = tgtCols.filter((c) => !srcSet.has(c));
    if (missingOnTarget.length > 0) out.differences.push({ ...t, kind: 'columns-differ', columns: missingOnTarget, missingOn: 'target' });
    if (missingOnSource.length > 0) out.differences.push({ ...t, kind: 'columns-differ', columns: missingOnSource, missingOn: 'source' });
    const columns = srcCols.filter((c) => tgtSet.has(c));
    const sourceKey = source.keys.get(key) ?? [];
    const keyUsable = sourceKey.every((k) => tgtSet.has(k.name));
    out.shapes.push({ schema: t.schema, table: t.table, columns, key: keyUsable ? sourceKey : [], utf8 });
  }
  for (const t of target.tables) {
    if (sourceTables.has(tableId(t))) continue;
    out.onlyOnTarget.push(t);
    out.differences.push({ ...t, kind: 'table-extra' });
  }
  return out;
}
