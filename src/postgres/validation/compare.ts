// Comparing one table: first-level key ranges chosen on the source, each range's digest on both
// sides, and the search of a mismatching range — re-checked once when live, then split into
// smaller ranges until it is small enough to compare row by row.
import type { WorkPool } from './limits.js';
import { diffRows, nextStep, rangesFromBoundaries, sameDigest, splitSide, splitStep, type Digest } from './ranges.js';
import { readDigest, readDigests, readRangeRows, readSplitPoints, type Worker } from './reads.js';
import { settleKeys, settleWholeTable, type SettleContext } from './settle.js';
import { rangeDigestSql, tableDigestSql, type KeyRange, type Query } from './sql.js';
import type { TableRun } from './tablerun.js';

export interface CompareContext extends SettleContext {
  pool: WorkPool<Worker>;
  rangeRows: number;
  leafRows: number;
  fanout: number;
}

/** A split range is at least 2x smaller each level; past this depth it is compared row by row. */
const MAX_DEPTH = 48;

/** The same digest query for both sides; the publisher's also reads its WAL position. */
function perSide(run: TableRun, build: (withLsn: boolean) => Query): { source: Query; target: Query } {
  return { source: build(run.live?.publisher === 'source'), target: build(run.live?.publisher === 'target') };
}

/** Queues the comparison of one table. */
export function compareTable(ctx: CompareContext, run: TableRun): void {
  ctx.pool.push((w) => (run.shape.key.length === 0 ? compareWholeTable(ctx, w, run) : startRanges(ctx, w, run)));
}

async function startRanges(ctx: CompareContext, w: Worker, run: TableRun): Promise<void> {
  // Boundaries come from the source alone: both sides then hash exactly the same key ranges.
  const boundaries = await readSplitPoints(ctx, w.source, run.shape, {}, ctx.rangeRows, 0);
  const ranges = rangesFromBoundaries(boundaries);
  ctx.limiter.charge(boundaries.length * ctx.rangeRows);
  run.ranges = ranges.length;
  for (const range of ranges) ctx.pool.push((next) => compareRange(ctx, next, run, range, 0));
}

async function compareRange(ctx: CompareContext, w: Worker, run: TableRun, range: KeyRange, depth: number): Promise<void> {
  let { source, target } = await readDigests(
    ctx,
    w,
    perSide(run, (lsn) => rangeDigestSql(run.shape, range, lsn)),
  );
  if (depth === 0) {
    run.rows.source += source.n;
    run.rows.target += target.n;
  }
  const options = { live: run.live !== undefined, rechecked: depth > 0, leafRows: ctx.leafRows };
  let step = nextStep(source, target, options);
  if (step === 'recheck') {
    const again = await recheckRange(ctx, w, run, range, { source, target });
    if (again === 'consistent') return;
    ({ source, target } = again);
    step = nextStep(source, target, { ...options, rechecked: true });
  }
  if (step === 'done') return;
  if (depth === 0) run.mismatchedRanges += 1;
  if (run.full) {
    run.addRange(range, { source: source.n, target: target.n });
    return;
  }
  if (step === 'rows' || depth >= MAX_DEPTH) {
    await compareRows(ctx, w, run, range);
    return;
  }
  const side = splitSide(source, target);
  const rows = Math.max(source.n, target.n);
  const points = await readSplitPoints(ctx, w[side], run.shape, range, splitStep(rows, ctx.fanout), rows);
  // No split point: the range shrank since it was hashed; its rows are few enough now.
  if (points.length === 0) {
    await compareRows(ctx, w, run, range);
    return;
  }
  // Depth-first: a range's pieces go ahead of other first-level ranges, so the exact rows (and the
  // difference cap, when a table differs wholesale) are reached before the queue grows wide.
  for (const piece of rangesFromBoundaries(points, range).reverse())
    ctx.pool.push((next) => compareRange(ctx, next, run, piece, depth + 1), 'first');
}

/**
 * A first-level mismatch under live replication: wait until the subscriber has passed the
 * publisher's position at the first read, then read the subscriber again (and the publisher, if
 * the range moved meanwhile). Only a range that still differs is searched further.
 */
async function recheckRange(
  ctx: CompareContext,
  w: Worker,
  run: TableRun,
  range: KeyRange,
  first: { source: Digest; target: Digest },
): Promise<{ source: Digest; target: Digest } | 'consistent'> {
  const live = run.live;
  if (!live) return first;
  const other = live.publisher === 'source' ? 'target' : 'source';
  const published = first[live.publisher];
  // When the wait runs out the range is searched anyway; its keys then end up unsettled.
  await ctx.catchUp.waitFor(w[live.publisher], live.slotName, published.lsn as string);
  const subscribed = await readDigest(ctx, w[other], rangeDigestSql(run.shape, range));
  if (sameDigest(subscribed, published)) return 'consistent';
  const republished = await readDigest(ctx, w[live.publisher], rangeDigestSql(run.shape, range));
  if (sameDigest(subscribed, republished)) return 'consistent';
  return live.publisher === 'source' ? { source: republished, target: subscribed } : { source: subscribed, target: republished };
}

async function compareRows(ctx: CompareContext, w: Worker, run: TableRun, range: KeyRange): Promise<void> {
  const [source, target] = await Promise.all([
    readRangeRows(ctx, w.source, run.shape, range),
    readRangeRows(ctx, w.target, run.shape, range),
  ]);
  const differences = diffRows(source, target, run.shape.columns);
  if (differences.length === 0) return;
  if (run.live) {
    await settleKeys(
      ctx,
      w,
      run,
      run.live,
      differences.map((d) => d.key),
    );
    return;
  }
  for (const d of differences) run.addRow(d);
}

async function compareWholeTable(ctx: CompareContext, w: Worker, run: TableRun): Promise<void> {
  let { source, target } = await readDigests(
    ctx,
    w,
    perSide(run, (lsn) => tableDigestSql(run.shape, lsn)),
  );
  run.ranges = 1;
  run.rows = { source: source.n, target: target.n };
  if (sameDigest(source, target)) return;
  if (run.live) {
    const settled = await settleWholeTable(ctx, w, run, run.live);
    if (settled === 'consistent') return;
    if (settled === 'unsettled') {
      run.addUnsettled(undefined, ctx.listLimit);
      return;
    }
    ({ source, target } = settled);
  }
  run.mismatchedRanges = 1;
  run.add({ schema: run.shape.schema, table: run.shape.table, kind: 'rows-differ', range: { sourceRows: source.n, targetRows: target.n } });
}
