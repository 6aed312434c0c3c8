// bench/initial-copy: our initial copy vs pg_dump -Fd -j N | pg_restore -j N of the same schemas (needs SOURCE_URL, TARGET_URL).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { connectionFromUrl } from '../../src/cli/validate.js';
import { withClient, type ConnectionInfo } from '../../src/postgres/connection.js';
import { admin, allSchemas, dropDatabase, estate, generate, mismatches, rowCounts, setting } from './data.js';
import { commands, dumpRestore } from './dump.js';
import { cleanup, context, initialCopy, object } from './ours.js';

const env = process.env;
const ROWS = Number(env.BENCH_ROWS ?? 1_600_000);
const TENANTS = Number(env.BENCH_TENANTS ?? 4);
const JOBS = Number(env.BENCH_JOBS ?? 4);
const PER_TENANT = (env.BENCH_OBJECTS ?? 'tenant') !== 'one';
const POLL_MS = Number(env.BENCH_POLL_MS ?? 250);
const TIMEOUT_MS = Number(env.BENCH_TIMEOUT_S ?? 900) * 1000;

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const s2 = (n: number): string => n.toFixed(2);

function table(lines: string[][]): string {
  const widths = lines[0]?.map((_, i) => Math.max(...lines.map((l) => (l[i] ?? '').length))) ?? [];
  return lines
    .map((l) => l.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('   '))
    .join('\n');
}

async function main(): Promise<number> {
  const { SOURCE_URL, TARGET_URL } = env;
  if (!SOURCE_URL || !TARGET_URL) {
    console.error('bench/initial-copy: set SOURCE_URL and TARGET_URL (eval "$(tenantshift dev env --state-dir DIR)")');
    return 2;
  }
  const srcServer = connectionFromUrl(SOURCE_URL, 'SOURCE_URL');
  const tgtServer = connectionFromUrl(TARGET_URL, 'TARGET_URL');
  const base = `bench_ic_${randomBytes(3).toString('hex')}`;
  const db = { ours: `${base}_ours`, dump: `${base}_dump` };
  const on = (server: ConnectionInfo, dbname: string): ConnectionInfo => ({ ...server, dbname });
  const e = estate(TENANTS, base.replace('bench_', ''));
  const schemas = allSchemas(e);
  const ctx = context(on(srcServer, db.ours), on(tgtServer, db.ours));
  const namespace = base.replace(/_/g, '-');
  const objects = PER_TENANT
    ? e.tenants.map((t) => object(namespace, `ic-${t}`, e.schemas[t] ?? []))
    : [object(namespace, 'ic-all', schemas)];
  const created: Array<[ConnectionInfo, string, 'source' | 'target']> = [];
  const create = async (server: ConnectionInfo, dbname: string, role: 'source' | 'target', template?: string): Promise<void> => {
    await admin(server, `CREATE DATABASE ${pg.escapeIdentifier(dbname)}${template ? ` TEMPLATE ${pg.escapeIdentifier(template)}` : ''}`);
    created.push([server, dbname, role]);
  };
  let oursStarted = false;
  try {
    // One generated source database, cloned for the other method: both read identical, vacuumed data.
    await create(srcServer, db.ours, 'source');
    console.log(`Generating ${fmt(ROWS)} rows in ${TENANTS} tenants x 2 schemas on the source`);
    await withClient(on(srcServer, db.ours), async (c) => {
      await generate(c, e, Math.floor(ROWS / TENANTS));
      await c.query('VACUUM ANALYZE');
    });
    await create(srcServer, db.dump, 'source', db.ours);
    await create(tgtServer, db.ours, 'target');
    await create(tgtServer, db.dump, 'target');
    const sourceCounts = await rowCounts(on(srcServer, db.ours), schemas);
    const rows = [...sourceCounts.values()].reduce((a, b) => a + b, 0);
    const mb = await withClient(
      on(srcServer, db.ours),
      async (c) => Number((await c.query<{ b: string }>('SELECT pg_database_size(current_database()) AS b')).rows[0]?.b) / 1e6,
    );
    const syncWorkers = await setting(tgtServer, 'max_sync_workers_per_subscription');
    const applyWorkers = await setting(tgtServer, 'max_logical_replication_workers');
    const version = await setting(srcServer, 'server_version');
    const checkpoint = (): Promise<unknown> => Promise.all([admin(srcServer, 'CHECKPOINT'), admin(tgtServer, 'CHECKPOINT')]);

    console.log(`Baseline: ${commands(schemas, JOBS, db.dump, db.dump).join(' && ')}`);
    await checkpoint();
    const dump = await dumpRestore(on(srcServer, db.dump), on(tgtServer, db.dump), schemas, JOBS);
    console.log(`Ours: ${objects.length} SchemaReplication object(s), reconciled every ${POLL_MS} ms until Ready with post-data applied`);
    await checkpoint();
    oursStarted = true;
    const ours = await initialCopy(objects, ctx, POLL_MS, TIMEOUT_MS);

    const bad = [
      ...mismatches(await rowCounts(on(srcServer, db.dump), schemas), await rowCounts(on(tgtServer, db.dump), schemas)).map(
        (m) => `pg_dump|pg_restore: ${m}`,
      ),
      ...mismatches(sourceCounts, await rowCounts(on(tgtServer, db.ours), schemas)).map((m) => `tenantshift: ${m}`),
    ];
    console.log(
      `\nInitial copy: ${fmt(rows)} rows in ${sourceCounts.size} tables of ${schemas.length} schemas (${TENANTS} tenants), ` +
        `${mb.toFixed(0)} MB on the source, PostgreSQL ${version}`,
    );
    console.log(
      `target: max_sync_workers_per_subscription = ${syncWorkers}, max_logical_replication_workers = ${applyWorkers}; baseline -j ` +
        `${JOBS}\n`,
    );
    console.log(
      table([
        ['method', 'seconds', 'rows/s', 'rows match'],
        [
          `pg_dump -Fd -j ${JOBS} + pg_restore -j ${JOBS}`,
          s2(dump.seconds),
          fmt(rows / dump.seconds),
          bad.some((b) => b.startsWith('pg_dump')) ? 'NO' : 'yes',
        ],
        [
          `tenantshift SchemaReplication (${objects.length} object${objects.length > 1 ? 's' : ''})`,
          s2(ours.seconds),
          fmt(rows / ours.seconds),
          bad.some((b) => b.startsWith('tenantshift')) ? 'NO' : 'yes',
        ],
      ]),
    );
    console.log(`\nratio tenantshift / pg_dump+pg_restore: ${(ours.seconds / dump.seconds).toFixed(2)}`);
    console.log(
      `\npg_dump ${s2(dump.dumpSeconds)} s (${(dump.dumpBytes / 1e6).toFixed(0)} MB directory), pg_restore ${s2(dump.restoreSeconds)} s`,
    );
    for (const o of ours.objects) {
      console.log(
        `${o.name}: DDL + subscription by ${s2(o.subscribed)} s, tables ready by ${s2(o.tablesReady)} s, post-data pass ` +
          `${s2(o.postData)} s, Ready at ${s2(o.ready)} s (${o.passes} passes)`,
      );
      for (const err of o.errors) console.log(`  reconcile failed and was retried at ${err}`);
    }
    if (bad.length > 0) {
      console.error(`\nbench/initial-copy: row counts differ:\n  ${bad.join('\n  ')}`);
      return 1;
    }
    return 0;
  } finally {
    if (oursStarted)
      await cleanup(objects, ctx).catch((err: unknown) => console.error(`bench/initial-copy: cleanup: ${(err as Error).message}`));
    // Targets first: a subscription left behind would hold its slot on the source.
    for (const [server, dbname, role] of [...created].sort((a, b) => (a[2] === b[2] ? 0 : a[2] === 'target' ? -1 : 1))) {
      await dropDatabase(server, dbname, role);
    }
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench/initial-copy: ${(err as Error).message}`);
    process.exit(1);
  },
);
