// Pairing the two sides' tables: missing and extra tables and columns, the key used, encodings.
import assert from 'node:assert/strict';
import { tableId } from '../../../src/postgres/validation/live.js';
import { pairTables, type SideCatalog } from '../../../src/postgres/validation/tables.js';

function side(tables: Record<string, { columns: string[]; key?: string[] }>, encoding = 'UTF8'): SideCatalog {
  const entries = Object.entries(tables).map(([name, t]) => ({ ref: { schema: 's', table: name }, ...t }));
  return {
    missingSchemas: [],
    tables: entries.map((e) => e.ref),
    columns: new Map(entries.map((e) => [tableId(e.ref), e.columns])),
    keys: new Map(
      entries.filter((e) => e.key).map((e) => [tableId(e.ref), (e.key ?? []).map((name) => ({ name, collatable: name === 'code' }))]),
    ),
    encoding,
  };
}

describe('validation: pairing tables', () => {
  it('compares tables on both sides on their common columns, by the source key', () => {
    const p = pairTables(
      side({ a: { columns: ['id', 'x', 'old'], key: ['id'] }, gone: { columns: ['id'] } }),
      side({ a: { columns: ['x', 'id', 'new'] }, more: { columns: ['id'] } }),
    );
    assert.deepEqual(p.shapes, [{ schema: 's', table: 'a', columns: ['id', 'x'], key: [{ name: 'id', collatable: false }], utf8: false }]);
    assert.deepEqual(p.differences, [
      { schema: 's', table: 'a', kind: 'columns-differ', columns: ['old'], missingOn: 'target' },
      { schema: 's', table: 'a', kind: 'columns-differ', columns: ['new'], missingOn: 'source' },
      { schema: 's', table: 'gone', kind: 'table-missing' },
      { schema: 's', table: 'more', kind: 'table-extra' },
    ]);
  });

  it('compares as a whole when the target lacks a key column, and hashes UTF-8 across encodings', () => {
    const p = pairTables(side({ a: { columns: ['code', 'v'], key: ['code'] } }, 'LATIN1'), side({ a: { columns: ['v'] } }));
    assert.deepEqual(p.shapes[0]?.key, []);
    assert.equal(p.shapes[0]?.utf8, true);
  });
});
