// Large-object columns found on a real PostgreSQL 15: type oid, and a domain over oid (the lo
// extension's type) wherever it lives, not only one named lo on the search path. The lock table's size.
import assert from 'node:assert/strict';
import { inventory } from '../../../src/postgres/catalog.js';
import { connect } from '../../../src/postgres/connection.js';
import { observeSource, observeTarget } from '../../../src/postgres/preflight.js';
import { newDatabasePair, withConnection, type DatabasePair } from '../../support/databases.js';
import { testCluster } from '../../support/cluster.js';

describe('preflight: large-object columns (real PostgreSQL)', function () {
  this.timeout(60_000);
  let db: DatabasePair;
  before(async () => {
    db = await newDatabasePair((await testCluster()).env, 'lo');
  });
  after(async () => db?.drop());

  it('names columns of type oid and of a domain over oid in another schema', async () => {
    const found = await withConnection(db.source, async (c) => {
      await c.query(`CREATE SCHEMA types; CREATE DOMAIN types.blobref AS oid;
        CREATE SCHEMA w; CREATE TABLE w.docs (id int PRIMARY KEY, scan oid, note text);
        CREATE TABLE w.kyc (id int PRIMARY KEY, photo types.blobref)`);
      return (await observeSource(c, await inventory(c, ['w']), 'no_such_slot')).largeObjectColumns;
    });
    assert.deepEqual([...found].sort(), ['w.docs.scan', 'w.kyc.photo']);
  });

  it("reads each server's lock table with its settings, on the RDS-like target too", async () => {
    const expected = async (c: import('pg').Client) => {
      const r = await c.query<{ per: string; sessions: string }>(
        `SELECT current_setting('max_locks_per_transaction') AS per,
                current_setting('max_connections')::int + current_setting('max_prepared_transactions')::int AS sessions`,
      );
      return { perTransaction: Number(r.rows[0]?.per), sessions: Number(r.rows[0]?.sessions) };
    };
    await withConnection(db.source, async (c) => {
      assert.deepEqual((await observeSource(c, await inventory(c, ['w']), 'no_such_slot')).locks, await expected(c));
    });
    const target = await connect(db.target);
    try {
      assert.deepEqual((await observeTarget(target, 'no_such_subscription')).locks, await expected(target));
    } finally {
      await target.end();
    }
  });
});
