// The running tally of one table's comparison: rows, ranges, confirmed differences (capped) and
// unsettled keys, turned into its TableReport at the end.
import type { LiveCheck } from './live.js';
import type { RowDifference } from './ranges.js';
import type { KeyRange, TableShape } from './sql.js';
import type { Difference, KeyTuple, TableReport } from './types.js';

export class TableRun {
  rows = { source: 0, target: 0 };
  ranges = 0;
  mismatchedRanges = 0;
  readonly differences: Difference[] = [];
  readonly unsettledKeys: KeyTuple[] = [];
  unsettled = 0;
  truncated = false;
  /** Row-level differences found; the cap applies to these. */
  private rowDifferences = 0;

  constructor(
    readonly shape: TableShape,
    readonly live: LiveCheck | undefined,
    private readonly opts: { maxDifferences: number; onDifference?: (d: Difference) => void },
  ) {}

  get keyColumns(): string[] {
    return this.shape.key.map((k) => k.name);
  }

  /** Once the cap is reached, mismatching ranges are summarized instead of searched further. */
  get full(): boolean {
    return this.rowDifferences >= this.opts.maxDifferences;
  }

  add(d: Difference): void {
    this.differences.push(d);
    this.opts.onDifference?.(d);
  }

  addRow(d: RowDifference): void {
    if (this.full) {
      this.truncated = true;
      return;
    }
    this.rowDifferences += 1;
    this.add({
      schema: this.shape.schema,
      table: this.shape.table,
      kind: d.kind,
      keyColumns: this.keyColumns,
      key: d.key,
      ...(d.columns ? { columns: d.columns } : {}),
    });
  }

  addRange(range: KeyRange, counts: { source: number; target: number }): void {
    this.truncated = true;
    this.add({
      schema: this.shape.schema,
      table: this.shape.table,
      kind: 'range-differs',
      keyColumns: this.keyColumns,
      range: {
        ...(range.lower ? { from: range.lower } : {}),
        ...(range.upper ? { to: range.upper } : {}),
        sourceRows: counts.source,
        targetRows: counts.target,
      },
    });
  }

  addUnsettled(key: KeyTuple | undefined, listLimit: number): void {
    this.unsettled += 1;
    if (key && this.unsettledKeys.length < listLimit) this.unsettledKeys.push(key);
  }

  report(listLimit: number): TableReport {
    const all = this.differences;
    return {
      schema: this.shape.schema,
      table: this.shape.table,
      keyColumns: this.keyColumns,
      rows: { ...this.rows },
      ranges: this.ranges,
      mismatchedRanges: this.mismatchedRanges,
      differences: all.length,
      listed: all.slice(0, listLimit),
      unsettled: this.unsettled,
      unsettledKeys: [...this.unsettledKeys],
      truncated: this.truncated,
    };
  }
}
