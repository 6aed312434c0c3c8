// validateSchemas(): opens the connections, pairs the tables of both sides, compares every table
// on a bounded pool of connections, and returns the report. The steps are named below.
import type pg from 'pg';
import { connect, sessionOptions, type ConnectionInfo } from '../connection.js';
import { compareTable, type CompareContext } from './compare.js';
import { LoadLimiter, WorkPool } from './limits.js';
import { CatchUp, detectLiveReplication, fixedLiveCheck, tableId, type LiveCheck } from './live.js';
import type { Worker } from './reads.js';
import { qualified, SESSION_SETTINGS_SQL } from './sql.js';
import { TableRun } from './tablerun.js';
import { pairTables, readCatalog, type TablePairing } from './tables.js';
import { DEFAULTS, ValidationError, type Difference, type TableReport, type ValidateOptions, type ValidationReport } from './types.js';

const MAX_PARALLELISM = 16;

export async function validateSchemas(opts: ValidateOptions): Promise<ValidationReport> {
  const startedAt = new Date();
  const schemas = [...new Set(opts.schemas)];
  if (schemas.length === 0) throw new ValidationError('name at least one schema to compare');
  const parallelism = Math.min(MAX_PARALLELISM, Math.max(1, Math.floor(opts.parallelism ?? DEFAULTS.parallelism)));
  const workers: Worker[] = [];
  try {
    workers.push(await openWorker(opts.source, opts.target));
    const pairing = await pairSides(workers[0] as Worker, schemas);
    const live = await liveChecks(workers[0] as Worker, schemas, opts.liveReplication);
    while (workers.length < parallelism) workers.push(await openWorker(opts.source, opts.target));
    const ctx = compareContext(opts, workers);
    const runs = pairing.shapes.map(
      (shape) =>
        new TableRun(shape, live(tableId(shape)), {
          maxDifferences: opts.maxDifferencesPerTable ?? DEFAULTS.maxDifferencesPerTable,
          ...(opts.onDifference ? { onDifference: opts.onDifference } : {}),
        }),
    );
    recordTableDifferences(pairing, runs, opts.onDifference);
    for (const run of runs) compareTable(ctx, run);
    await ctx.pool.drain();
    const oneSided = await countOneSidedTables(workers[0] as Worker, pairing);
    return buildReport({ schemas, startedAt, runs, oneSided, pairing, listLimit: ctx.listLimit, catchUp: ctx.catchUp.waits });
  } finally {
    await Promise.all(workers.flatMap((w) => [w.source.end(), w.target.end()]).map((p) => p.catch(() => undefined)));
  }
}

async function openSide(info: ConnectionInfo, side: string): Promise<pg.Client> {
  let client: pg.Client;
  try {
    client = await connect(info, { application_name: 'tenantshift-validate', options: sessionOptions('validation') });
  } catch (err) {
    throw new ValidationError(
      `cannot connect to the ${side} ${info.user}@${info.host}:${info.port}/${info.dbname}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  // An idle connection that the server drops would otherwise crash the process; its next query fails instead.
  client.on('error', () => undefined);
  try {
    await client.query(SESSION_SETTINGS_SQL);
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
  return client;
}

async function openWorker(source: ConnectionInfo, target: ConnectionInfo): Promise<Worker> {
  const s = await openSide(source, 'source');
  try {
    return { source: s, target: await openSide(target, 'target') };
  } catch (err) {
    await s.end().catch(() => undefined);
    throw err;
  }
}

async function pairSides(w: Worker, schemas: string[]): Promise<TablePairing> {
  const [source, target] = await Promise.all([readCatalog(w.source, schemas), readCatalog(w.target, schemas)]);
  if (source.missingSchemas.length > 0) {
    throw new ValidationError(`schema ${source.missingSchemas.join(', ')} does not exist on the source`);
  }
  return pairTables(source, target);
}

async function liveChecks(
  w: Worker,
  schemas: string[],
  live: ValidateOptions['liveReplication'],
): Promise<(table: string) => LiveCheck | undefined> {
  if (!live) return () => undefined;
  if (live !== 'auto') {
    const fixed = fixedLiveCheck(live);
    return () => fixed;
  }
  const found = await detectLiveReplication(w, schemas);
  return (table) => found.get(table);
}

function compareContext(opts: ValidateOptions, workers: Worker[]): CompareContext {
  const limiter = opts.rateLimit instanceof LoadLimiter ? opts.rateLimit : new LoadLimiter(opts.rateLimit ?? {});
  return {
    pool: new WorkPool(workers, opts.signal),
    limiter,
    catchUp: new CatchUp({
      timeoutMs: opts.catchUpTimeoutMs ?? DEFAULTS.catchUpTimeoutMs,
      ...(opts.signal ? { signal: opts.signal } : {}),
    }),
    attempts: Math.max(1, opts.settleAttempts ?? DEFAULTS.settleAttempts),
    listLimit: opts.listLimit ?? DEFAULTS.listLimit,
    rangeRows: Math.max(2, opts.rangeRows ?? DEFAULTS.rangeRows),
    leafRows: Math.max(1, opts.leafRows ?? DEFAULTS.leafRows),
    fanout: Math.max(2, opts.fanout ?? DEFAULTS.fanout),
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
}

/** Column differences belong to the table's run; tables on one side only are reported on their own. */
function recordTableDifferences(pairing: TablePairing, runs: TableRun[], onDifference?: (d: Difference) => void): void {
  const byTable = new Map(runs.map((r) => [tableId(r.shape), r]));
  for (const d of pairing.differences) {
    const run = byTable.get(tableId(d));
    if (run) run.add(d);
    else onDifference?.(d);
  }
}

interface OneSided {
  difference: Difference;
  rows: number;
}

async function countOneSidedTables(w: Worker, pairing: TablePairing): Promise<OneSided[]> {
  const out: OneSided[] = [];
  for (const d of pairing.differences) {
    if (d.kind !== 'table-missing' && d.kind !== 'table-extra') continue;
    const client = d.kind === 'table-missing' ? w.source : w.target;
    const res = await client.query<{ n: string }>(`SELECT count(*)::bigint AS n FROM ${qualified(d)}`);
    out.push({ difference: d, rows: Number(res.rows[0]?.n ?? 0) });
  }
  return out;
}

function buildReport(p: {
  schemas: string[];
  startedAt: Date;
  runs: TableRun[];
  oneSided: OneSided[];
  pairing: TablePairing;
  listLimit: number;
  catchUp: number;
}): ValidationReport {
  const tables: TableReport[] = p.runs.map((r) => r.report(p.listLimit));
  for (const { difference: d, rows } of p.oneSided) {
    tables.push({
      schema: d.schema,
      table: d.table,
      keyColumns: [],
      rows: d.kind === 'table-missing' ? { source: rows, target: 0 } : { source: 0, target: rows },
      ranges: 0,
      mismatchedRanges: 0,
      differences: 1,
      listed: [d],
      unsettled: 0,
      unsettledKeys: [],
      truncated: false,
    });
  }
  tables.sort((a, b) => (a.schema === b.schema ? compareText(a.table, b.table) : compareText(a.schema, b.schema)));
  const differences = [...p.oneSided.map((o) => o.difference), ...p.runs.flatMap((r) => r.differences)];
  const sum = (f: (t: TableReport) => number): number => tables.reduce((acc, t) => acc + f(t), 0);
  const totals = {
    tables: tables.length,
    rows: { source: sum((t) => t.rows.source), target: sum((t) => t.rows.target) },
    ranges: sum((t) => t.ranges),
    mismatchedRanges: sum((t) => t.mismatchedRanges),
    differences: sum((t) => t.differences),
    unsettled: sum((t) => t.unsettled),
  };
  const slots = [...new Set(p.runs.flatMap((r) => (r.live ? [r.live.slotName] : [])))].sort(compareText);
  return {
    schemas: p.schemas,
    startedAt: p.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    result: totals.differences > 0 ? 'different' : totals.unsettled > 0 ? 'inconclusive' : 'identical',
    totals,
    tables,
    differences,
    live: { slots, rechecks: p.catchUp },
  };
}

/** Byte order, like COLLATE "C": the report reads the same whatever the locale. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
