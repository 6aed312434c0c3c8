// bench/validate: the validation engine against a naive full-row comparison (every row fetched and
// compared in the client) on the same generated tables in the same run; prints rows/s side by side,
// over loopback and over a link held to BENCH_LINK_MBPS (default 100 Mbit/s) by a relay.
// Needs a running local stack: eval "$(tenantshift dev env --state-dir DIR)" sets SOURCE_URL and TARGET_URL.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { connectionFromUrl } from '../../src/cli/validate.js';
import { withClient, type ConnectionInfo } from '../../src/postgres/connection.js';
import { validateSchemas } from '../../src/postgres/validate.js';
import { BENCH_SCHEMA, benchTables, generate, plantDifferences, type BenchTable } from './data.js';
import { naiveCompare } from './naive.js';
import { startRelay } from './proxy.js';

interface Result {
  link: string;
  method: string;
  seconds: number;
  rows: number;
  bytes: number;
  differences: number;
}

type Method = (source: ConnectionInfo, target: ConnectionInfo) => Promise<{ rows: number; differences: number }>;

async function admin(info: ConnectionInfo, sql: string): Promise<void> {
  await withClient(info, (c) => c.query(sql));
}

/** Runs `method` through counting relays (optionally held to a bandwidth) in front of both servers. */
async function measure(
  link: { name: string; mbps?: number },
  name: string,
  method: Method,
  source: ConnectionInfo,
  target: ConnectionInfo,
): Promise<Result> {
  const relays = await Promise.all([startRelay(source.host, source.port, link.mbps), startRelay(target.host, target.port, link.mbps)]);
  try {
    const via = (info: ConnectionInfo, port: number): ConnectionInfo => ({ ...info, host: '127.0.0.1', port });
    const started = process.hrtime.bigint();
    const { rows, differences } = await method(via(source, relays[0].port), via(target, relays[1].port));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { link: link.name, method: name, seconds, rows, bytes: relays[0].bytesToClient() + relays[1].bytesToClient(), differences };
  } finally {
    await Promise.all(relays.map((r) => r.close()));
  }
}

function table(results: Result[]): string {
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  const lines = [['link', 'method', 'seconds', 'rows/s', 'MB to client', 'differences found']];
  for (const r of results)
    lines.push([r.link, r.method, r.seconds.toFixed(2), fmt(r.rows / r.seconds), (r.bytes / 1e6).toFixed(2), String(r.differences)]);
  const widths = lines[0]?.map((_, i) => Math.max(...lines.map((l) => (l[i] ?? '').length))) ?? [];
  return lines.map((l) => l.map((cell, i) => (i < 2 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('   ')).join('\n');
}

const engine =
  (parallelism: number): Method =>
  async (source, target) => {
    const report = await validateSchemas({ source, target, schemas: [BENCH_SCHEMA], parallelism, liveReplication: false });
    return { rows: report.totals.rows.source, differences: report.totals.differences };
  };

const naive =
  (tables: BenchTable[]): Method =>
  async (source, target) => {
    const r = await naiveCompare(source, target, BENCH_SCHEMA, tables);
    return { rows: r.rows, differences: r.differences.length };
  };

async function main(): Promise<number> {
  const { SOURCE_URL, TARGET_URL } = process.env;
  if (!SOURCE_URL || !TARGET_URL) {
    console.error('bench/validate: set SOURCE_URL and TARGET_URL (eval "$(tenantshift dev env --state-dir DIR)")');
    return 2;
  }
  const rows = Number(process.env.BENCH_ROWS ?? 200_000);
  const wanMbps = Number(process.env.BENCH_LINK_MBPS ?? 100);
  const serverSource = connectionFromUrl(SOURCE_URL, 'SOURCE_URL');
  const serverTarget = connectionFromUrl(TARGET_URL, 'TARGET_URL');
  const dbname = `bench_validate_${randomBytes(3).toString('hex')}`;
  const source = { ...serverSource, dbname };
  const target = { ...serverTarget, dbname };
  await admin(serverSource, `CREATE DATABASE ${pg.escapeIdentifier(dbname)}`);
  await admin(serverTarget, `CREATE DATABASE ${pg.escapeIdentifier(dbname)}`);
  try {
    const tables = benchTables(rows);
    const total = tables.reduce((n, t) => n + t.rows, 0);
    console.log(`Generating ${total.toLocaleString('en-US')} rows in ${tables.length} tables on each server`);
    await Promise.all([withClient(source, (c) => generate(c, rows)), withClient(target, (c) => generate(c, rows))]);
    await withClient(target, (c) => plantDifferences(c, rows));
    const version = await withClient(
      source,
      async (c) => (await c.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? '?',
    );
    const methods: Array<[string, Method]> = [
      ['naive full-row comparison in the client', naive(tables)],
      ['engine, parallelism 1', engine(1)],
      ['engine, parallelism 2', engine(2)],
    ];
    // One untimed pass of each method first, so every timed pass reads from a warm cache.
    for (const [, method] of methods) await method(source, target);
    const results: Result[] = [];
    for (const link of [{ name: 'loopback' }, { name: `${wanMbps} Mbit/s`, mbps: wanMbps }]) {
      for (const [name, method] of methods) results.push(await measure(link, name, method, source, target));
    }
    console.log(
      `\nValidation: ${total.toLocaleString('en-US')} rows per side in ${tables.length} tables, 3 planted differences, PostgreSQL ` +
        `${version}\n`,
    );
    console.log(table(results));
    const wrong = results.filter((r) => r.differences !== 3);
    if (wrong.length > 0) {
      console.error(
        `\nbench/validate: ${wrong.map((r) => `${r.method} (${r.link})`).join(', ')} did not find exactly the 3 planted differences`,
      );
      return 1;
    }
    return 0;
  } finally {
    await admin(serverSource, `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(dbname)} WITH (FORCE)`).catch(() => undefined);
    await admin(serverTarget, `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(dbname)} WITH (FORCE)`).catch(() => undefined);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench/validate: ${(err as Error).message}`);
    process.exit(1);
  },
);
