// Copies a tenant's schema DDL from source to target in the order logical replication wants:
// pre-data plus primary keys and replica-identity indexes before the data, everything else
// (secondary indexes, foreign keys, triggers) after the initial copy. Each part is one transaction.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type pg from 'pg';
import { libpqEnv, type ConnectionInfo } from './connection.js';

const run = promisify(execFile);
const PG_BIN = process.env.TENANTSHIFT_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** pg_dump's -n takes a pattern; double quotes make it match exactly one name, whatever it holds. */
export function exactNamePattern(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export interface SchemaDump {
  /** Path of the custom-format schema-only dump; call `dispose` when done. */
  file: string;
  dispose(): Promise<void>;
}

export async function dumpSchemas(source: ConnectionInfo, schemas: string[]): Promise<SchemaDump> {
  const dir = await mkdtemp(join(tmpdir(), 'tenantshift-dump-'));
  const file = join(dir, 'schema.dump');
  let rootCert: string | undefined;
  if (source.sslrootcert) {
    rootCert = join(dir, 'root.crt');
    await writeFile(rootCert, source.sslrootcert, { mode: 0o600 });
  }
  const args = ['--schema-only', '--format=custom', '--strict-names', '--no-publications', '--no-subscriptions', `--file=${file}`];
  for (const s of schemas) args.push(`--schema=${exactNamePattern(s)}`);
  try {
    await run(`${PG_BIN}/pg_dump`, args, { env: { ...process.env, ...libpqEnv(source, rootCert) }, maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`pg_dump of the schemas failed: ${stderrOf(err)}`);
  }
  return { file, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** The SQL of one section of a dump, optionally without the TOC entries of the given object oids. */
export async function sectionSql(
  dump: SchemaDump,
  section: 'pre-data' | 'post-data',
  excludeOids: Set<number> = new Set(),
): Promise<string> {
  const args = [`--section=${section}`, '--file=-'];
  if (excludeOids.size > 0) {
    const { stdout: toc } = await run(`${PG_BIN}/pg_restore`, ['--list', dump.file], { maxBuffer: 64 * 1024 * 1024 });
    const kept = toc
      .split('\n')
      .filter((line) => {
        // "<dumpId>; <tableoid> <oid> <desc> ..." ; comments start with ';'
        const m = /^\s*\d+;\s+\d+\s+(\d+)\s/.exec(line);
        return !m || !excludeOids.has(Number(m[1]));
      })
      .join('\n');
    const listFile = `${dump.file}.${section}.list`;
    await writeFile(listFile, kept);
    args.push(`--use-list=${listFile}`);
  }
  try {
    const { stdout } = await run(`${PG_BIN}/pg_restore`, [...args, dump.file], { maxBuffer: 256 * 1024 * 1024 });
    return withoutPsqlMetaCommands(stdout);
  } catch (err) {
    throw new Error(`pg_restore --section=${section} failed: ${stderrOf(err)}`);
  }
}

/**
 * pg_restore (15.14 and later) wraps its script in psql's \restrict / \unrestrict meta-commands;
 * we run the script over the protocol, where they are syntax errors and carry no meaning.
 */
export function withoutPsqlMetaCommands(sql: string): string {
  return sql
    .split('\n')
    .filter((line) => !/^\\(restrict|unrestrict)\b/.test(line))
    .join('\n');
}

export interface KeyDefinition {
  /** The pg_constraint or pg_index oid on the source: excluded from post-data when created early. */
  oid: number;
  sql: string;
}

/**
 * DDL for what the subscriber needs before rows arrive: primary keys, replica-identity indexes,
 * and REPLICA IDENTITY settings (FULL for the tables the spec opted in).
 */
export async function keyDefinitions(source: pg.Client, schemas: string[], onlyTableOids?: number[]): Promise<KeyDefinition[]> {
  const only = onlyTableOids ?? null;
  const pks = await source.query<{ oid: number; sql: string }>(
    `SELECT con.oid::int AS oid,
            format('ALTER TABLE ONLY %I.%I ADD CONSTRAINT %I %s', n.nspname, c.relname, con.conname,
                   pg_get_constraintdef(con.oid)) AS sql
       FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE con.contype = 'p' AND n.nspname = ANY($1::text[]) AND NOT c.relispartition
        AND ($2::oid[] IS NULL OR c.oid = ANY($2::oid[]))
      ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C"`,
    [schemas, only],
  );
  const riIndexes = await source.query<{ oid: number; sql: string }>(
    `SELECT i.indexrelid::int AS oid,
            pg_get_indexdef(i.indexrelid) || '; ' ||
            format('ALTER TABLE ONLY %I.%I REPLICA IDENTITY USING INDEX %I', n.nspname, c.relname, ic.relname) AS sql
       FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_class ic ON ic.oid = i.indexrelid
      WHERE i.indisreplident AND NOT i.indisprimary AND n.nspname = ANY($1::text[])
        AND ($2::oid[] IS NULL OR c.oid = ANY($2::oid[]))`,
    [schemas, only],
  );
  const full = await source.query<{ sql: string }>(
    `SELECT format('ALTER TABLE ONLY %I.%I REPLICA IDENTITY FULL', n.nspname, c.relname) AS sql
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relreplident = 'f' AND c.relkind IN ('r', 'p') AND n.nspname = ANY($1::text[])
        AND ($2::oid[] IS NULL OR c.oid = ANY($2::oid[]))`,
    [schemas, only],
  );
  return [...pks.rows, ...riIndexes.rows, ...full.rows.map((r) => ({ oid: 0, sql: r.sql }))];
}

/** Runs a script in one transaction on the target: all of it lands or none of it does. */
export async function applyScript(target: pg.Client, sql: string): Promise<void> {
  await target.query('BEGIN');
  try {
    await target.query(sql);
    // pg_dump scripts clear search_path for the session; leave the connection as we found it.
    await target.query('COMMIT');
  } catch (err) {
    await target.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await target.query('RESET ALL').catch(() => undefined);
  }
}

function stderrOf(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  return (e.stderr || e.message || String(err)).trim().split('\n').slice(-5).join(' ');
}
