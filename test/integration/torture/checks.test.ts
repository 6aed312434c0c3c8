// The torture test's checks must break when the book does: each kind of damage a move could do,
// done by hand to a real tenant on the shared stack, is reported by the check meant to catch it.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createCounters } from '../../../src/devstack/counters.js';
import { createTenant, transfer } from '../../../src/devstack/estate.js';
import { testCluster } from '../../support/cluster.js';
import { newDatabasePair, withConnection, type DatabasePair } from '../../support/databases.js';
import { bookViolations, counterViolations, tenantDigest } from '../../torture/checks.js';
import { Ledger } from '../../torture/workload.js';

describe('torture checks on a real book', () => {
  let db: DatabasePair;
  const schema = 'tort_wallet';
  const ledger = new Ledger();
  const w = pg.escapeIdentifier(schema);

  before(async () => {
    db = await newDatabasePair((await testCluster()).env, 'tortcheck');
    await withConnection(db.source, async (c) => {
      await createTenant(c, { schemas: [schema], accounts: 10, rounds: 10 });
      await createCounters(c, schema, 4);
      for (let i = 0; i < 20; i++) {
        const id = randomUUID();
        await transfer(c, schema, 1 + (i % 10), 1 + ((i + 3) % 10), '1.00', id);
        ledger.acknowledged.push(id);
      }
      await c.query(`UPDATE ${w}.counters SET n = 5 WHERE client = 0`);
      ledger.counterAcks[0] = 5;
    });
  });
  after(() => db?.drop());

  const damage = async <T>(sql: string, check: (c: pg.Client) => Promise<T>): Promise<T> =>
    withConnection(db.source, async (c) => {
      await c.query('BEGIN');
      try {
        await c.query(sql);
        return await check(c);
      } finally {
        await c.query('ROLLBACK');
      }
    });
  const book = (c: pg.Client): Promise<string[]> => bookViolations(c, schema, 10, ledger);

  it('finds nothing wrong with an intact book', async () => {
    await withConnection(db.source, async (c) => {
      assert.deepEqual(await book(c), []);
      assert.deepEqual(await counterViolations(c, schema, ledger), []);
    });
  });

  it('reports a lost transfer, a duplicated one, one nobody committed, and money made from nothing', async () => {
    const first = ledger.acknowledged[0] as string;
    assert.match(
      (await damage(`DELETE FROM ${w}.ledger WHERE transfer_id = '${first}'`, book)).join(),
      /acknowledged transfer\(s\) missing/,
    );
    assert.match(
      (
        await damage(
          `INSERT INTO ${w}.ledger (account_id, amount, transfer_id)
           SELECT account_id, amount, transfer_id FROM ${w}.ledger WHERE transfer_id = '${first}'`,
          book,
        )
      ).join(),
      /not exactly two ledger rows/,
    );
    const stranger = randomUUID();
    assert.match(
      (
        await damage(`INSERT INTO ${w}.ledger (account_id, amount, transfer_id) VALUES (1, -1, '${stranger}'), (2, 1, '${stranger}')`, book)
      ).join(),
      /present that no client committed/,
    );
    assert.match(
      (await damage(`UPDATE ${w}.accounts SET balance = balance + 1 WHERE id = 1`, book)).join(),
      /money not conserved.*account\(s\) differ/,
    );
  });

  it('allows an uncertain transfer to be there once, and reports a counter off its acknowledged increments', async () => {
    const maybe = randomUUID();
    ledger.uncertain.push(maybe);
    assert.deepEqual(
      await damage(
        `INSERT INTO ${w}.ledger (account_id, amount, transfer_id) VALUES (1, -1, '${maybe}'), (2, 1, '${maybe}');
         UPDATE ${w}.accounts SET balance = balance - 1 WHERE id = 1; UPDATE ${w}.accounts SET balance = balance + 1 WHERE id = 2`,
        book,
      ),
      [],
    );
    assert.match(
      (await damage(`UPDATE ${w}.counters SET n = 6 WHERE client = 0`, (c) => counterViolations(c, schema, ledger))).join(),
      /client 0 is 6, 5 acknowledged/,
    );
  });

  it('gives a different digest for a book that differs in one row', async () => {
    const digest = await withConnection(db.source, (c) => tenantDigest(c, schema));
    assert.notEqual(await damage(`UPDATE ${w}.counters SET n = n + 1 WHERE client = 3`, (c) => tenantDigest(c, schema)), digest);
    assert.notEqual(
      await damage(`DELETE FROM ${w}.ledger WHERE id = (SELECT min(id) FROM ${w}.ledger)`, (c) => tenantDigest(c, schema)),
      digest,
    );
    assert.equal(await withConnection(db.source, (c) => tenantDigest(c, schema)), digest);
  });
});
