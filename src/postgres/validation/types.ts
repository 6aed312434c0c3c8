// The vocabulary of a validation run: its options, the differences it can find and the report it
// returns. Shared by the engine, the CLI and (through src/postgres/validate.ts) the reconcilers.
import type { ConnectionInfo } from '../connection.js';
import type { LoadLimiter } from './limits.js';

/** The text form of each key column of one row, in key order. */
export type KeyTuple = string[];

export const DIFFERENCE_KINDS = [
  'missing', // the row is on the source only
  'extra', // the row is on the target only
  'different', // same key, the text of some column differs
  'table-missing', // the table is on the source only
  'table-extra', // the table is on the target only
  'columns-differ', // the tables' column sets differ (rows are still compared on the common columns)
  'rows-differ', // a table without a key: its multiset of rows differs
  'range-differs', // more differences than the per-table cap: the rest, named by key range
] as const;
export type DifferenceKind = (typeof DIFFERENCE_KINDS)[number];

export interface Difference {
  schema: string;
  table: string;
  kind: DifferenceKind;
  /** Key column names, with `key`: the row's key (row-level kinds only). */
  keyColumns?: string[];
  key?: KeyTuple;
  /** `different`: the columns whose text differs; `columns-differ`: the columns on one side only. */
  columns?: string[];
  /** `columns-differ`: which side lacks `columns`. */
  missingOn?: 'source' | 'target';
  /** `rows-differ` and `range-differs`: what each side holds there (bounds absent = open). */
  range?: { from?: KeyTuple; to?: KeyTuple; sourceRows: number; targetRows: number };
}

/** Where replication runs while the comparison does, so that lag is not mistaken for drift. */
export interface LiveReplication {
  /** The logical slot on the publisher that feeds the subscriber. */
  slotName: string;
  /** The side that receives writes: `source` for forward replication, `target` for the reverse path. */
  publisher?: 'source' | 'target';
}

export interface ValidateOptions {
  source: ConnectionInfo;
  target: ConnectionInfo;
  /** Exact schema names; every table with rows in them is compared. */
  schemas: string[];
  /** Connections per side, which is also how many ranges are compared at once. Default 2. */
  parallelism?: number;
  /** A limit on the load put on the servers, or a limiter shared with other runs against the same source. */
  rateLimit?: { rowsPerSecond?: number; rangesPerSecond?: number } | LoadLimiter;
  /**
   * Replication running between the sides: `auto` finds each table's subscription on either side and its
   * slot on the other; absent (or `false`) compares as a static snapshot would.
   */
  liveReplication?: LiveReplication | 'auto' | false;
  /** How long a re-check waits for the subscriber to pass the publisher's position. Default 30 s. */
  catchUpTimeoutMs?: number;
  /** Re-checks of a key that keeps changing before it is reported unsettled. Default 5. */
  settleAttempts?: number;
  /** Rows per first-level range. Default 10,000. */
  rangeRows?: number;
  /** A mismatching range this small is compared row by row instead of split. Default 256. */
  leafRows?: number;
  /** Sub-ranges a mismatching range is split into. Default 4. */
  fanout?: number;
  /** Differences kept per table; beyond it the rest are summarized by range. Default 1,000. */
  maxDifferencesPerTable?: number;
  /** Differences and unsettled keys listed per table in the report's bounded summary. Default 20. */
  listLimit?: number;
  /** Called once per difference as it is confirmed (a full list for files and ConfigMaps). */
  onDifference?: (difference: Difference) => void;
  signal?: AbortSignal;
}

export interface TableReport {
  schema: string;
  table: string;
  /** Empty for a table compared as a whole (no primary key or replica identity index). */
  keyColumns: string[];
  rows: { source: number; target: number };
  /** First-level key ranges. */
  ranges: number;
  /** First-level ranges that still differed after the live re-check and were split. */
  mismatchedRanges: number;
  /** Differences found (all of them, listed or not). */
  differences: number;
  /** The first `listLimit` differences. */
  listed: Difference[];
  /** Keys that kept changing through every re-check: neither confirmed nor cleared. */
  unsettled: number;
  unsettledKeys: KeyTuple[];
  /** The per-table cap was reached: some differences are summarized as `range-differs`. */
  truncated: boolean;
}

export type ValidationResult = 'identical' | 'different' | 'inconclusive';

export interface ValidationReport {
  schemas: string[];
  startedAt: string;
  finishedAt: string;
  /** identical: no difference and nothing unsettled; different: at least one confirmed difference. */
  result: ValidationResult;
  totals: {
    tables: number;
    rows: { source: number; target: number };
    ranges: number;
    mismatchedRanges: number;
    differences: number;
    unsettled: number;
  };
  tables: TableReport[];
  /** Every confirmed difference (at most maxDifferencesPerTable per table, then range summaries). */
  differences: Difference[];
  /** Slots waited on for live re-checks, and how many re-checks waited for catch-up. */
  live: { slots: string[]; rechecks: number };
}

export const DEFAULTS = {
  parallelism: 2,
  catchUpTimeoutMs: 30_000,
  settleAttempts: 5,
  rangeRows: 10_000,
  leafRows: 256,
  fanout: 4,
  maxDifferencesPerTable: 1_000,
  listLimit: 20,
} as const;

/** The comparison could not be made (a schema absent from the source, a server unreachable, a slot gone). */
export class ValidationError extends Error {
  override name = 'ValidationError';
}
