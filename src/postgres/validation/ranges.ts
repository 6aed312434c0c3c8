// Pure planning of a comparison: key ranges from boundaries, what to do with a compared range
// (done, re-check, split or compare row by row), row-level diffs and the live re-check's verdict.
import type { KeyRange } from './sql.js';
import type { KeyTuple } from './types.js';

/** A range's row count and digest on one side (digest null when empty), and the WAL position after the read. */
export interface Digest {
  n: number;
  digest: string | null;
  lsn?: string;
}

/** A row as a leaf comparison sees it: its key and one hash per compared column (null for NULL). */
export interface RowHashes {
  key: KeyTuple;
  cols: Array<string | null>;
}

export interface RowDifference {
  kind: 'missing' | 'extra' | 'different';
  key: KeyTuple;
  /** `different`: the compared columns whose text differs. */
  columns?: string[];
}

/** Sorted, distinct boundary keys cut the whole key space into boundaries.length + 1 ranges. */
export function rangesFromBoundaries(boundaries: KeyTuple[], within: KeyRange = {}): KeyRange[] {
  const cuts = [within.lower, ...boundaries, within.upper];
  const ranges: KeyRange[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const lower = cuts[i];
    const upper = cuts[i + 1];
    ranges.push({ ...(lower ? { lower } : {}), ...(upper ? { upper } : {}) });
  }
  return ranges;
}

/** Rows per piece when a range of `rows` rows is cut into `fanout` pieces (at least 1). */
export function splitStep(rows: number, fanout: number): number {
  return Math.max(1, Math.ceil(rows / Math.max(2, fanout)));
}

export function sameDigest(a: Digest, b: Digest): boolean {
  return a.n === b.n && a.digest === b.digest;
}

export type RangeStep = 'done' | 'recheck' | 'rows' | 'split';

/**
 * The next step for a compared range: equal ranges are done; under live replication a first-level
 * mismatch is re-checked once after catch-up before any work is spent on it; small ranges are
 * compared row by row, larger ones split.
 */
export function nextStep(source: Digest, target: Digest, opts: { live: boolean; rechecked: boolean; leafRows: number }): RangeStep {
  if (sameDigest(source, target)) return 'done';
  if (opts.live && !opts.rechecked) return 'recheck';
  return Math.max(source.n, target.n) <= opts.leafRows ? 'rows' : 'split';
}

/** Split points come from the side with more rows in the range, so every piece gets smaller. */
export function splitSide(source: Digest, target: Digest): 'source' | 'target' {
  return target.n > source.n ? 'target' : 'source';
}

export function keyId(key: KeyTuple): string {
  return JSON.stringify(key);
}

export function sameRow(a: RowHashes | undefined, b: RowHashes | undefined): boolean {
  if (!a || !b) return a === b;
  return a.cols.length === b.cols.length && a.cols.every((c, i) => c === b.cols[i]);
}

/** The row-level difference between a source row and a target row of the same key (undefined when equal). */
export function rowDifference(
  key: KeyTuple,
  source: RowHashes | undefined,
  target: RowHashes | undefined,
  columns: string[],
): RowDifference | undefined {
  if (sameRow(source, target)) return undefined;
  if (!target) return { kind: 'missing', key };
  if (!source) return { kind: 'extra', key };
  const differing = columns.filter((_, i) => source.cols[i] !== target.cols[i]);
  return { kind: 'different', key, columns: differing };
}

/** Compares the rows of one range on both sides, in the source's key order, then the target's extras. */
export function diffRows(source: RowHashes[], target: RowHashes[], columns: string[]): RowDifference[] {
  const onTarget = new Map(target.map((r) => [keyId(r.key), r]));
  const onSource = new Map(source.map((r) => [keyId(r.key), r]));
  const out: RowDifference[] = [];
  for (const row of source) {
    const d = rowDifference(row.key, row, onTarget.get(keyId(row.key)), columns);
    if (d) out.push(d);
  }
  for (const row of target) {
    if (!onSource.has(keyId(row.key))) out.push({ kind: 'extra', key: row.key });
  }
  return out;
}

export type Verdict = 'consistent' | 'persistent' | 'changing';

/**
 * The live re-check of one key (or one keyless table's digest). `first` was read on the publisher,
 * then the subscriber caught up past that read and `subscriber` was read, then `second` on the
 * publisher. A subscriber that holds what the publisher held at either read is consistent; one that
 * differs from a publisher value that held still across the whole window is a persistent
 * difference; otherwise the row changed meanwhile and is checked again.
 */
export function verdict<T>(first: T, subscriber: T, second: T, same: (a: T, b: T) => boolean): Verdict {
  if (same(subscriber, first) || same(subscriber, second)) return 'consistent';
  return same(first, second) ? 'persistent' : 'changing';
}
