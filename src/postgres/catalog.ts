// Reads what a tenant's schemas hold from the catalogs: tables with their replica identity,
// sequences, and the objects logical replication cannot carry. Pure readers: no side effects.
import { createHash } from 'node:crypto';
import type pg from 'pg';

export interface TableInfo {
  schema: string;
  name: string;
  oid: number;
  /** r ordinary, p partitioned parent */
  kind: 'r' | 'p';
  unlogged: boolean;
  hasPrimaryKey: boolean;
  /** d default (the primary key), n nothing, f full, i an index */
  replicaIdentity: 'd' | 'n' | 'f' | 'i';
  /** A partition's parent: partitions are published through their root. */
  partitionOf?: string;
  estimatedRows: number;
  bytes: number;
}

export interface SchemaInventory {
  missingSchemas: string[];
  tables: TableInfo[];
  sequences: Array<{ schema: string; name: string }>;
  /** A fingerprint of every table's columns and types: changes when DDL changes the schemas. */
  fingerprint: string;
  columns: Array<{ schema: string; table: string; column: string; type: string }>;
}

export async function inventory(client: pg.Client, schemas: string[]): Promise<SchemaInventory> {
  const present = await client.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE nspname = ANY($1::text[])', [schemas]);
  const found = new Set(present.rows.map((r) => r.nspname));
  const tables = await client.query<{
    schema: string;
    name: string;
    oid: number;
    relkind: 'r' | 'p';
    relpersistence: string;
    has_pk: boolean;
    relreplident: 'd' | 'n' | 'f' | 'i';
    parent: string | null;
    reltuples: number;
    bytes: string;
  }>(
    `SELECT n.nspname AS schema, c.relname AS name, c.oid::int AS oid, c.relkind, c.relpersistence,
            EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) AS has_pk,
            c.relreplident,
            (SELECT quote_ident(pn.nspname) || '.' || quote_ident(pc.relname)
               FROM pg_inherits inh JOIN pg_class pc ON pc.oid = inh.inhparent
               JOIN pg_namespace pn ON pn.oid = pc.relnamespace
              WHERE inh.inhrelid = c.oid AND c.relispartition) AS parent,
            greatest(c.reltuples, 0)::float8 AS reltuples,
            pg_total_relation_size(c.oid)::text AS bytes
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'p')
      ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C"`,
    [schemas],
  );
  const sequences = await client.query<{ schema: string; name: string }>(
    `SELECT schemaname AS schema, sequencename AS name FROM pg_sequences
      WHERE schemaname = ANY($1::text[]) ORDER BY schemaname COLLATE "C", sequencename COLLATE "C"`,
    [schemas],
  );
  const columns = await client.query<{ schema: string; table: string; column: string; type: string }>(
    `SELECT n.nspname AS schema, c.relname AS table, a.attname AS column,
            format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C", a.attnum`,
    [schemas],
  );
  return {
    missingSchemas: schemas.filter((s) => !found.has(s)),
    tables: tables.rows.map((t) => ({
      schema: t.schema,
      name: t.name,
      oid: t.oid,
      kind: t.relkind,
      unlogged: t.relpersistence === 'u',
      hasPrimaryKey: t.has_pk,
      replicaIdentity: t.relreplident,
      ...(t.parent ? { partitionOf: t.parent } : {}),
      estimatedRows: Number(t.reltuples),
      bytes: Number(t.bytes),
    })),
    sequences: sequences.rows,
    columns: columns.rows,
    fingerprint: fingerprintOf(columns.rows),
  };
}

export function fingerprintOf(columns: SchemaInventory['columns']): string {
  const h = createHash('sha256');
  for (const c of columns) h.update(`${c.schema}\u0000${c.table}\u0000${c.column}\u0000${c.type}\n`);
  return h.digest('hex').slice(0, 16);
}

/** The tables that are published: roots and ordinary tables, not partitions (published via root). */
export function publishedTables(inv: SchemaInventory): TableInfo[] {
  return inv.tables.filter((t) => !t.partitionOf);
}

export function qualifiedName(schema: string, name: string, escape: (s: string) => string): string {
  return `${escape(schema)}.${escape(name)}`;
}

/** A readable "schema.table" for messages (quoted only where needed, like PostgreSQL prints it). */
export function displayName(t: { schema: string; name: string }): string {
  const q = (s: string): string => (/^[a-z_][a-z0-9_$]*$/.test(s) ? s : `"${s.replace(/"/g, '""')}"`);
  return `${q(t.schema)}.${q(t.name)}`;
}

/** Describes how the columns of two inventories differ, for a drift condition's message. */
export function describeDrift(source: SchemaInventory, target: SchemaInventory, limit = 5): string[] {
  type Col = SchemaInventory['columns'][number];
  const tableKey = (t: { schema: string; name: string }): string => JSON.stringify([t.schema, t.name]);
  const colKey = (c: Col): string => JSON.stringify([c.schema, c.table, c.column]);
  const colName = (c: Col): string => `${displayName({ schema: c.schema, name: c.table })}.${c.column}`;
  const srcTables = new Map(source.tables.map((t) => [tableKey(t), t]));
  const tgtTables = new Map(target.tables.map((t) => [tableKey(t), t]));
  const tgtCols = new Map(target.columns.map((c) => [colKey(c), c]));
  const srcCols = new Map(source.columns.map((c) => [colKey(c), c]));
  const diffs: string[] = [];
  for (const [k, t] of srcTables) if (!tgtTables.has(k)) diffs.push(`table ${displayName(t)} is new on the source`);
  for (const [k, t] of tgtTables) if (!srcTables.has(k)) diffs.push(`table ${displayName(t)} exists only on the target`);
  for (const c of source.columns) {
    if (!tgtTables.has(tableKey({ schema: c.schema, name: c.table }))) continue;
    const other = tgtCols.get(colKey(c));
    if (!other) diffs.push(`column ${colName(c)} (${c.type}) is new on the source`);
    else if (other.type !== c.type) diffs.push(`column ${colName(c)} is ${c.type} on the source but ${other.type} on the target`);
  }
  for (const c of target.columns) {
    if (srcTables.has(tableKey({ schema: c.schema, name: c.table })) && !srcCols.has(colKey(c))) {
      diffs.push(`column ${colName(c)} exists only on the target`);
    }
  }
  return diffs.length > limit ? [...diffs.slice(0, limit), `and ${diffs.length - limit} more`] : diffs;
}
