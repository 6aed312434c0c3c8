// bench/initial-copy baseline: pg_dump -Fd -j N of the schemas, then pg_restore -j N into an empty target database.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { libpqEnv, type ConnectionInfo } from '../../src/postgres/connection.js';

const run = promisify(execFile);
export const PG_BIN = process.env.TENANTSHIFT_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface DumpResult {
  dumpSeconds: number;
  restoreSeconds: number;
  seconds: number;
  dumpBytes: number;
}

async function timed(info: ConnectionInfo, command: string, args: string[]): Promise<number> {
  const started = process.hrtime.bigint();
  try {
    await run(join(PG_BIN, command), args, {
      env: { ...process.env, ...libpqEnv(info), PGAPPNAME: 'bench-initial-copy' },
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${command} failed: ${e.stderr?.trim() || e.message}`);
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** The two commands as a shell would run them (connection settings in PG* variables). */
export function commands(schemas: string[], jobs: number, sourceDb: string, targetDb: string, dir = 'DIR'): string[] {
  return [
    `pg_dump -Fd -j ${jobs} ${schemas.map((s) => `--schema=${s}`).join(' ')} -f ${dir} ${sourceDb}`,
    `pg_restore -j ${jobs} -d ${targetDb} ${dir}`,
  ];
}

export async function dumpRestore(source: ConnectionInfo, target: ConnectionInfo, schemas: string[], jobs: number): Promise<DumpResult> {
  const parent = await mkdtemp(join(tmpdir(), 'bench-initial-copy-'));
  const dir = join(parent, 'dump');
  try {
    const dumpSeconds = await timed(source, 'pg_dump', [
      '-Fd',
      '-j',
      String(jobs),
      ...schemas.map((s) => `--schema=${s}`),
      '-f',
      dir,
      source.dbname,
    ]);
    const { stdout } = await run('du', ['-sb', dir]);
    const restoreSeconds = await timed(target, 'pg_restore', ['-j', String(jobs), '-d', target.dbname, dir]);
    return { dumpSeconds, restoreSeconds, seconds: dumpSeconds + restoreSeconds, dumpBytes: Number(stdout.split('\t')[0]) };
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
}
