// How differences read: one line each, naming the table and the row's key the way PostgreSQL
// names keys ("(id)=(42)"), with values quoted only where they could be misread; and the bounded
// summary a status or an Event can carry.
import { displayName } from '../catalog.js';
import type { Difference, KeyTuple, ValidationReport } from './types.js';

function ident(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** A key value as text, double-quoted (record style) when empty or holding separators, quotes or spaces. */
export function keyValue(value: string): string {
  const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '"': '\\"', '\\': '\\\\' };
  let escaped = '';
  for (const c of value) {
    const code = c.charCodeAt(0);
    // Control characters are spelled out so a difference always stays on one line.
    escaped += named[c] ?? (code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : c);
  }
  return value === '' || escaped !== value || /[\s,()]/.test(value) ? `"${escaped}"` : value;
}

/** "(a, b)=(1, x)" */
export function renderKey(columns: string[], key: KeyTuple): string {
  return `(${columns.map(ident).join(', ')})=(${key.map(keyValue).join(', ')})`;
}

function renderRange(columns: string[], range: NonNullable<Difference['range']>): string {
  const from = range.from ? renderKey(columns, range.from) : 'the start';
  const to = range.to ? renderKey(columns, range.to) : 'the end';
  return `from ${from} to ${to}`;
}

function keyOf(d: Difference): string {
  return renderKey(d.keyColumns ?? [], d.key ?? []);
}

function columnsOf(d: Difference): string {
  return (d.columns ?? []).map(ident).join(', ');
}

function rowCounts(d: Difference): string {
  return `source ${d.range?.sourceRows ?? 0} rows, target ${d.range?.targetRows ?? 0} rows`;
}

/** How each kind of difference reads after its table name. */
const DIFFERENCE_TEXT: Record<Difference['kind'], (d: Difference) => string> = {
  missing: (d) => ` ${keyOf(d)}: missing on target`,
  extra: (d) => ` ${keyOf(d)}: extra on target (not on source)`,
  different: (d) => ` ${keyOf(d)}: differs in ${columnsOf(d)}`,
  'table-missing': () => ': table missing on target',
  'table-extra': () => ': table exists only on target',
  'columns-differ': (d) => `: column ${columnsOf(d)} missing on ${d.missingOn ?? 'target'}`,
  'rows-differ': (d) => `: rows differ (no primary key to name them; ${rowCounts(d)})`,
  'range-differs': (d) =>
    ` ${renderRange(d.keyColumns ?? [], d.range ?? { sourceRows: 0, targetRows: 0 })}: differs, not searched further (${rowCounts(d)})`,
};

/** One line per difference: "<table> <key>: <what>". */
export function renderDifference(d: Difference): string {
  const table = displayName({ schema: d.schema, name: d.table });
  return `${table}${DIFFERENCE_TEXT[d.kind](d)}`;
}

/** Lines for keys that kept changing through every live re-check. */
export function renderUnsettled(report: ValidationReport): string[] {
  return report.tables.flatMap((t) => {
    if (t.unsettled === 0) return [];
    const table = displayName({ schema: t.schema, name: t.table });
    if (t.keyColumns.length === 0) return [`${table}: kept changing through every re-check; not confirmed either way`];
    const lines = t.unsettledKeys.map(
      (k) => `${table} ${renderKey(t.keyColumns, k)}: kept changing through every re-check; not confirmed either way`,
    );
    const rest = t.unsettled - t.unsettledKeys.length;
    return rest > 0 ? [...lines, `${table}: and ${rest} more keys not confirmed`] : lines;
  });
}

function tablesWithDifferences(report: ValidationReport): number {
  return report.tables.filter((x) => x.differences > 0).length;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** A one-line result for logs, Events and a condition's message. */
export function summaryLine(report: ValidationReport): string {
  const t = report.totals;
  const seconds = (Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000;
  const base =
    `${count(t.tables, 'table')}, ${t.rows.source} source and ${t.rows.target} target rows ` +
    `in ${count(t.ranges, 'range')}, ${seconds.toFixed(1)} s`;
  switch (report.result) {
    case 'identical':
      return `Identical: ${base}`;
    case 'different':
      return `Different: ${count(t.differences, 'difference')} in ${count(tablesWithDifferences(report), 'table')} (${base})`;
    case 'inconclusive':
      return `Inconclusive: ${count(t.unsettled, 'row')} kept changing through every re-check (${base})`;
  }
}

/** What a custom resource's status can carry: per-table counts and the first `limit` difference lines. */
export interface ValidationSummary {
  result: ValidationReport['result'];
  startedAt: string;
  finishedAt: string;
  rows: { source: number; target: number };
  ranges: number;
  mismatchedRanges: number;
  differences: number;
  unsettled: number;
  tables: Array<{ table: string; rows: { source: number; target: number }; ranges: number; mismatches: number; differences: number }>;
  firstDifferences: string[];
}

export function statusSummary(report: ValidationReport, limit = 10): ValidationSummary {
  return {
    result: report.result,
    startedAt: report.startedAt,
    finishedAt: report.finishedAt,
    rows: report.totals.rows,
    ranges: report.totals.ranges,
    mismatchedRanges: report.totals.mismatchedRanges,
    differences: report.totals.differences,
    unsettled: report.totals.unsettled,
    tables: report.tables.map((t) => ({
      table: displayName({ schema: t.schema, name: t.table }),
      rows: t.rows,
      ranges: t.ranges,
      mismatches: t.mismatchedRanges,
      differences: t.differences,
    })),
    firstDifferences: report.differences.slice(0, limit).map(renderDifference),
  };
}
