// The validation engine on two real PostgreSQL servers, without replication: identical data
// passes; each kind of drift is found and its key named; composite, uuid and text keys (whose
// order differs between the sides' collations) work; ranges are split down to the exact rows.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type pg from 'pg';
import {
  renderDifference,
  validateSchemas,
  ValidationError,
  type Difference,
  type ValidateOptions,
  type ValidationReport,
} from '../../../src/postgres/validate.js';
import { testCluster } from '../../support/cluster.js';
import { newDatabasePair, withConnection, type DatabasePair } from '../../support/databases.js';
import { createFixture } from './fixture.js';

describe('validation engine (real PostgreSQL)', function () {
  this.timeout(120_000);
  let db: DatabasePair;
  let n = 0;

  before(async () => {
    db = await newDatabasePair((await testCluster()).env, 'validate');
    // A different server-side default time zone on the target: the engine's sessions use UTC, so
    // the same instant must still compare equal.
    await withConnection(db.target, (c) => c.query(`ALTER DATABASE ${c.escapeIdentifier(db.name)} SET TimeZone = 'Asia/Kolkata'`));
  });
  after(async () => {
    await db.drop();
  });

  /** A fresh schema with the same content on both sides (text keys ICU-ordered on the source), then `drift` on the target. */
  async function compare(
    drift: (target: pg.Client, schema: string) => Promise<unknown>,
    opts: Partial<ValidateOptions> = {},
  ): Promise<{ report: ValidationReport; lines: string[]; schema: string }> {
    const schema = `case_${++n}`;
    await withConnection(db.source, (c) => createFixture(c, schema, { codeCollation: 'und-x-icu' }));
    await withConnection(db.target, (c) => createFixture(c, schema, { codeCollation: 'C' }));
    await withConnection(db.target, (c) => drift(c, schema));
    const report = await validateSchemas({
      source: db.source,
      target: db.target,
      schemas: [schema],
      rangeRows: 400,
      leafRows: 16,
      ...opts,
    });
    return { report, lines: report.differences.map(renderDifference), schema };
  }

  it('passes identical data, reporting rows and ranges per table', async () => {
    const { report, schema } = await compare(async () => undefined);
    assert.equal(report.result, 'identical');
    assert.deepEqual(report.differences, []);
    assert.equal(report.totals.tables, 5);
    assert.deepEqual(report.totals.rows, { source: 7305, target: 7305 });
    const accounts = report.tables.find((t) => t.table === 'accounts');
    assert.deepEqual(accounts && { rows: accounts.rows, ranges: accounts.ranges, keys: accounts.keyColumns }, {
      rows: { source: 3000, target: 3000 },
      ranges: 8,
      keys: ['id'],
    });
    const codes = report.tables.find((t) => t.table === 'codes');
    assert.ok((codes?.ranges ?? 0) >= 1);
    // The test means something only if the two collations really order these keys differently.
    await withConnection(db.source, async (c) => {
      const res = await c.query(
        `SELECT array_agg(code ORDER BY code) = array_agg(code ORDER BY code COLLATE "C") AS same FROM ${c.escapeIdentifier(schema)}.codes`,
      );
      assert.equal(res.rows[0].same, false);
    });
  });

  it('orders text keys byte-wise on both sides, so collation order cannot fake a difference', async () => {
    const { report } = await compare(async () => undefined, { rangeRows: 25, leafRows: 4 });
    const codes = report.tables.find((t) => t.table === 'codes');
    assert.equal(codes?.ranges, 12);
    assert.equal(codes?.mismatchedRanges, 0);
    assert.equal(report.result, 'identical');
  });

  const cases: Array<{ what: string; drift: (c: pg.Client, s: string) => Promise<unknown>; line: (s: string) => string }> = [
    {
      what: 'a changed value',
      drift: (c, s) => c.query(`UPDATE ${s}.accounts SET balance = balance + 0.01 WHERE id = 1234`),
      line: (s) => `${s}.accounts (id)=(1234): differs in balance`,
    },
    {
      what: 'a missing row',
      drift: (c, s) => c.query(`DELETE FROM ${s}.accounts WHERE id = 2999`),
      line: (s) => `${s}.accounts (id)=(2999): missing on target`,
    },
    {
      what: 'an extra row',
      drift: (c, s) => c.query(`INSERT INTO ${s}.accounts (id, owner, balance, opened_at) VALUES (1500000, 'ghost', 0, now())`),
      line: (s) => `${s}.accounts (id)=(1500000): extra on target (not on source)`,
    },
    {
      what: 'NULL against an empty string',
      drift: (c, s) => c.query(`UPDATE ${s}.accounts SET note = '' WHERE id = 10`),
      line: (s) => `${s}.accounts (id)=(10): differs in note`,
    },
    {
      what: 'an empty string against NULL',
      drift: (c, s) => c.query(`UPDATE ${s}.rounds SET detail = NULL WHERE region = 'us' AND round = 7`),
      line: (s) => `${s}.rounds (region, round)=(us, 7): differs in detail`,
    },
    {
      what: 'a numeric scale change (50.5 against 50.50)',
      drift: (c, s) => c.query(`UPDATE ${s}.accounts SET fee = 50.50 WHERE id = 50`),
      line: (s) => `${s}.accounts (id)=(50): differs in fee`,
    },
    {
      what: 'a timestamp time-zone shift',
      // The same wall-clock time read in another zone: a different instant.
      drift: (c, s) =>
        c.query(`UPDATE ${s}.accounts SET opened_at = (opened_at AT TIME ZONE 'UTC') AT TIME ZONE 'Europe/Berlin' WHERE id = 777`),
      line: (s) => `${s}.accounts (id)=(777): differs in opened_at`,
    },
    {
      what: 'a changed jsonb value',
      drift: (c, s) => c.query(`UPDATE ${s}.accounts SET meta = jsonb_set(meta, '{tier}', '"platinum"') WHERE id = 2001`),
      line: (s) => `${s}.accounts (id)=(2001): differs in meta`,
    },
    {
      what: 'a change under a composite key',
      drift: (c, s) => c.query(`UPDATE ${s}.rounds SET stake = 0 WHERE region = 'a b' AND round = 321`),
      line: (s) => `${s}.rounds (region, round)=("a b", 321): differs in stake`,
    },
    {
      what: 'a missing row under a uuid key',
      drift: (c, s) => c.query(`DELETE FROM ${s}.transfers WHERE id = md5('t1717')::uuid`),
      line: (s) => `${s}.transfers (id)=(${md5Uuid('t1717')}): missing on target`,
    },
    {
      what: 'a change under a text key',
      drift: (c, s) => c.query(`UPDATE ${s}.codes SET label = 'changed' WHERE code = 'ä105'`),
      line: (s) => `${s}.codes (code)=(ä105): differs in label`,
    },
    {
      what: 'an extra row under a text key',
      drift: (c, s) => c.query(`INSERT INTO ${s}.codes VALUES ('Zz top', 'x')`),
      line: (s) => `${s}.codes (code)=("Zz top"): extra on target (not on source)`,
    },
  ];
  for (const c of cases) {
    it(`finds ${c.what} and names the key`, async () => {
      const { report, lines, schema } = await compare(c.drift);
      assert.equal(report.result, 'different');
      assert.deepEqual(lines, [c.line(schema)]);
    });
  }

  it('finds many differences at once, each exactly once, and streams them to onDifference', async () => {
    const streamed: Difference[] = [];
    const { report, lines, schema } = await compare(
      (c, s) => c.query(`UPDATE ${s}.accounts SET owner = upper(owner) WHERE id % 250 = 0; DELETE FROM ${s}.transfers WHERE amount < 2`),
      { onDifference: (d) => streamed.push(d), parallelism: 3 },
    );
    const expected = [
      ...Array.from({ length: 12 }, (_, i) => `${schema}.accounts (id)=(${(i + 1) * 250}): differs in owner`),
      ...Array.from({ length: 7 }, (_, i) => `${schema}.transfers (id)=(${md5Uuid(`t${i + 1}`)}): missing on target`),
    ];
    assert.deepEqual([...lines].sort(), expected.sort());
    assert.equal(streamed.length, 19);
    const accounts = report.tables.find((t) => t.table === 'accounts');
    assert.equal(accounts?.mismatchedRanges, 8);
    assert.equal(accounts?.differences, 12);
  });

  it('reports tables and columns on one side only, and a keyless table by its rows', async () => {
    const { lines, schema } = await compare(async (c, s) => {
      await c.query(`DROP TABLE ${s}.transfers`);
      await c.query(`CREATE TABLE ${s}.newcomer (id int PRIMARY KEY)`);
      await c.query(`ALTER TABLE ${s}.rounds DROP COLUMN detail`);
      await c.query(`INSERT INTO ${s}.audit_log VALUES (now(), 'only here')`);
    });
    assert.deepEqual([...lines].sort(), [
      `${schema}.audit_log: rows differ (no primary key to name them; source 5 rows, target 6 rows)`,
      `${schema}.newcomer: table exists only on target`,
      `${schema}.rounds: column detail missing on target`,
      `${schema}.transfers: table missing on target`,
    ]);
  });

  it('stops searching a table at the difference cap and summarizes the rest by range', async () => {
    const { report } = await compare((c, s) => c.query(`DELETE FROM ${s}.accounts WHERE id > 1000`), { maxDifferencesPerTable: 5 });
    const accounts = report.tables.find((t) => t.table === 'accounts');
    assert.equal(accounts?.truncated, true);
    const kinds = report.differences.filter((d) => d.table === 'accounts').map((d) => d.kind);
    assert.equal(kinds.filter((k) => k === 'missing').length, 5);
    assert.ok(kinds.includes('range-differs'));
    assert.equal(report.result, 'different');
  });

  it('refuses a schema the source does not have', async () => {
    await assert.rejects(
      validateSchemas({ source: db.source, target: db.target, schemas: ['no_such_schema'] }),
      (e: Error) => e instanceof ValidationError && /no_such_schema does not exist on the source/.test(e.message),
    );
  });
});

function md5Uuid(text: string): string {
  const hex = createHash('md5').update(text).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
