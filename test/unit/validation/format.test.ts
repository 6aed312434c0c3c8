// Difference lines: the table, the row's key as PostgreSQL names keys, values quoted where needed.
import assert from 'node:assert/strict';
import { keyValue, renderDifference, renderKey, statusSummary, summaryLine } from '../../../src/postgres/validation/format.js';
import { parseLsn } from '../../../src/postgres/validation/live.js';
import type { ValidationReport } from '../../../src/postgres/validation/types.js';

describe('validation: difference lines', () => {
  it('names keys like PostgreSQL does, quoting values that could be misread', () => {
    assert.equal(renderKey(['id'], ['42']), '(id)=(42)');
    assert.equal(renderKey(['Region', 'n'], ['a, b', '1']), '("Region", n)=("a, b", 1)');
    assert.equal(keyValue(''), '""');
    assert.equal(keyValue('say "hi"'), '"say \\"hi\\""');
    assert.equal(keyValue('two\nlines'), '"two\\nlines"');
    assert.equal(keyValue('bell\u0007'), '"bell\\x07"');
    assert.equal(keyValue('Zürich'), 'Zürich');
  });

  it('prints one line per kind, naming the table', () => {
    const base = { schema: 'tenant_a', table: 'Ledger', keyColumns: ['id'] };
    assert.equal(renderDifference({ ...base, kind: 'missing', key: ['7'] }), 'tenant_a."Ledger" (id)=(7): missing on target');
    assert.equal(renderDifference({ ...base, kind: 'extra', key: ['8'] }), 'tenant_a."Ledger" (id)=(8): extra on target (not on source)');
    assert.equal(
      renderDifference({ ...base, kind: 'different', key: ['9'], columns: ['amount', 'Meta'] }),
      'tenant_a."Ledger" (id)=(9): differs in amount, "Meta"',
    );
    assert.equal(renderDifference({ schema: 's', table: 't', kind: 'table-missing' }), 's.t: table missing on target');
    assert.equal(
      renderDifference({ schema: 's', table: 't', kind: 'columns-differ', columns: ['x'], missingOn: 'target' }),
      's.t: column x missing on target',
    );
    assert.match(
      renderDifference({ schema: 's', table: 't', kind: 'rows-differ', range: { sourceRows: 2, targetRows: 3 } }),
      /source 2 rows, target 3 rows/,
    );
    assert.equal(
      renderDifference({ ...base, kind: 'range-differs', range: { from: ['10'], sourceRows: 5, targetRows: 0 } }),
      'tenant_a."Ledger" from (id)=(10) to the end: differs, not searched further (source 5 rows, target 0 rows)',
    );
    for (const line of ['a\nb', 'x\ry']) assert.doesNotMatch(renderDifference({ ...base, kind: 'missing', key: [line] }), /[\n\r]/);
  });

  it('summarizes a report for a status with a bounded list', () => {
    const report: ValidationReport = {
      schemas: ['s'],
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:00:01.000Z',
      result: 'different',
      totals: { tables: 1, rows: { source: 3, target: 3 }, ranges: 1, mismatchedRanges: 1, differences: 3, unsettled: 0 },
      tables: [
        {
          schema: 's',
          table: 't',
          keyColumns: ['id'],
          rows: { source: 3, target: 3 },
          ranges: 1,
          mismatchedRanges: 1,
          differences: 3,
          listed: [],
          unsettled: 0,
          unsettledKeys: [],
          truncated: false,
        },
      ],
      differences: ['1', '2', '3'].map((k) => ({ schema: 's', table: 't', kind: 'missing' as const, keyColumns: ['id'], key: [k] })),
      live: { slots: [], rechecks: 0 },
    };
    assert.equal(summaryLine(report), 'Different: 3 differences in 1 table (1 table, 3 source and 3 target rows in 1 range, 1.0 s)');
    const s = statusSummary(report, 2);
    assert.deepEqual(s.firstDifferences, ['s.t (id)=(1): missing on target', 's.t (id)=(2): missing on target']);
    assert.deepEqual(s.tables, [{ table: 's.t', rows: { source: 3, target: 3 }, ranges: 1, mismatches: 1, differences: 3 }]);
  });
});

describe('validation: WAL positions', () => {
  it('compares positions numerically, not as text', () => {
    assert.ok(parseLsn('0/A0000000') > parseLsn('0/9FFFFFFF'));
    assert.ok(parseLsn('1/0') > parseLsn('0/FFFFFFFF'));
    assert.equal(parseLsn('16/B374D848'), (0x16n << 32n) | 0xb374d848n);
    assert.throws(() => parseLsn('nope'), /not a WAL position/);
  });
});
