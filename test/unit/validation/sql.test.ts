// The comparison's SQL text: escaped identifiers, byte-order keys, parameters for every value.
import assert from 'node:assert/strict';
import {
  columnHashes,
  keyOrder,
  rangeDigestSql,
  rangePredicate,
  rangeRowsSql,
  rowsByKeysSql,
  rowText,
  splitPointsSql,
  tableDigestSql,
  type TableShape,
} from '../../../src/postgres/validation/sql.js';

const shape: TableShape = {
  schema: 'Tenant "A"',
  table: 'ledger; DROP TABLE x',
  columns: ['id', 'Region', 'note"q'],
  key: [
    { name: 'Region', collatable: true },
    { name: 'id', collatable: false },
  ],
  utf8: false,
};

describe('validation: canonical text SQL', () => {
  it('escapes every identifier', () => {
    const { text } = rangeDigestSql(shape, {});
    assert.match(text, /FROM "Tenant ""A"""\."ledger; DROP TABLE x" WHERE true/);
    assert.match(rowText(shape), /^ROW\("id"::text, "Region"::text, "note""q"::text\)::text$/);
  });

  it('orders text-like keys byte-wise (COLLATE "C") and leaves other keys to their index', () => {
    assert.equal(keyOrder(shape), '("Region" COLLATE "C"), "id"');
    assert.match(rangeDigestSql(shape, {}).text, /ORDER BY \("Region" COLLATE "C"\), "id"\)\)/);
  });

  it('hashes the row text inside the server, by UTF-8 bytes when the encodings differ', () => {
    assert.match(rangeDigestSql(shape, {}).text, /md5\(string_agg\(md5\(ROW\(/);
    assert.match(rangeDigestSql({ ...shape, utf8: true }, {}).text, /md5\(convert_to\(ROW\(.*\)::text, 'UTF8'\)\)/);
    assert.equal(columnHashes({ columns: ['a'], utf8: false }), 'ARRAY[md5("a"::text)]::text[]');
  });

  it('passes range bounds as parameters, with row comparisons for composite keys', () => {
    const values: unknown[] = [];
    const where = rangePredicate(shape, { lower: ["eu'; --", '1'], upper: ['us', '7'] }, values);
    assert.equal(where, 'ROW(("Region" COLLATE "C"), "id") >= ROW($1, $2) AND ROW(("Region" COLLATE "C"), "id") < ROW($3, $4)');
    assert.deepEqual(values, ["eu'; --", '1', 'us', '7']);
    assert.doesNotMatch(where, /eu'/);
  });

  it('uses a plain comparison for a single-column key', () => {
    const single = { key: [{ name: 'id', collatable: false }] };
    const values: unknown[] = [];
    assert.equal(rangePredicate(single, { lower: ['5'] }, values), '"id" >= $1');
    assert.deepEqual(values, ['5']);
  });

  it('numbers parameters after the bounds (split step) and refuses a bound of the wrong width', () => {
    const q = splitPointsSql(shape, { upper: ['eu', '3'] }, 250);
    assert.deepEqual(q.values, ['eu', '3', 250]);
    assert.match(q.text, /\(rn - 1\) % \$3 = 0/);
    assert.throws(() => rangeRowsSql(shape, { lower: ['only-one'] }), /1 values for 2 key columns/);
  });

  it('fetches rows by key with one tuple of parameters per key', () => {
    const q = rowsByKeysSql(shape, [
      ['eu', '1'],
      ['us', '2'],
    ]);
    assert.match(q.text, /WHERE \("Region", "id"\) IN \(\(\$1, \$2\), \(\$3, \$4\)\)$/);
    assert.deepEqual(q.values, ['eu', '1', 'us', '2']);
    const single = rowsByKeysSql({ ...shape, key: [{ name: 'id', collatable: false }] }, [['1'], ['2']]);
    assert.match(single.text, /WHERE "id" IN \(\$1, \$2\)$/);
    assert.throws(() => rowsByKeysSql(shape, []), /at least one key/);
  });

  it('reads the WAL insert position after the scan only where asked (a publisher)', () => {
    assert.match(rangeDigestSql(shape, {}).text, /NULL::text AS lsn/);
    assert.match(rangeDigestSql(shape, {}, true).text, /pg_current_wal_insert_lsn\(\)::text AS lsn/);
    assert.match(tableDigestSql(shape, true).text, /pg_current_wal_insert_lsn/);
  });

  it('digests a keyless table as a sorted multiset of row hashes', () => {
    const q = tableDigestSql({ ...shape, key: [] });
    assert.match(q.text, /ORDER BY h COLLATE "C"/);
    assert.deepEqual(q.values, []);
  });
});
