// The fence's privileges on a real PostgreSQL 15: what is revoked, saved and given back covers every
// partition of a partitioned table (PostgreSQL checks a partition's own ACL when it is written
// directly, not its root's), also partitions of partitions and ones attached later.
import assert from 'node:assert/strict';
import { inventory, publishedTables } from '../../../src/postgres/catalog.js';
import { readGrants, restoreGrants, revokeWrites, unfencedTables } from '../../../src/postgres/fence.js';
import { newDatabasePair, withConnection, type DatabasePair } from '../../support/databases.js';
import { testCluster } from '../../support/cluster.js';
import { appCanWrite } from '../../support/tenant.js';

const PARTITIONS = ['fz.ledger_2026', 'fz.ledger_2027', 'fz.ledger_2027_a', 'fz.ledger_2027_b'];

describe('fence privileges on partitioned tables (real PostgreSQL)', function () {
  this.timeout(60_000);
  let db: DatabasePair;

  before(async () => {
    db = await newDatabasePair((await testCluster()).env, 'fence');
    await withConnection(db.source, (c) =>
      c.query(`CREATE SCHEMA fz;
        CREATE TABLE fz.ledger (id bigint, at date NOT NULL, kind text NOT NULL, PRIMARY KEY (id, at, kind)) PARTITION BY RANGE (at);
        CREATE TABLE fz.ledger_2026 PARTITION OF fz.ledger FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
        CREATE TABLE fz.ledger_2027 PARTITION OF fz.ledger FOR VALUES FROM ('2027-01-01') TO ('2028-01-01') PARTITION BY LIST (kind);
        CREATE TABLE fz.ledger_2027_a PARTITION OF fz.ledger_2027 FOR VALUES IN ('a');
        CREATE TABLE fz.ledger_2027_b PARTITION OF fz.ledger_2027 FOR VALUES IN ('b');
        GRANT USAGE ON SCHEMA fz TO app;
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA fz TO app;`),
    );
  });
  after(async () => db?.drop());

  const writable = async (tables: string[]): Promise<string[]> => {
    const out: string[] = [];
    for (const t of tables) if (await appCanWrite(db.source, t)) out.push(t);
    return out;
  };

  it('revokes writes on every partition, saves their ACLs and gives them back', async () => {
    await withConnection(db.source, async (c) => {
      const tables = publishedTables(await inventory(c, ['fz']));
      assert.deepEqual(
        tables.map((t) => t.name),
        ['ledger'],
        'the move fences the published root',
      );
      const saved = await readGrants(c, tables);
      await revokeWrites(c, tables);
      assert.deepEqual(await writable(['fz.ledger', ...PARTITIONS]), [], 'a partition still takes direct writes after the revoke');
      await restoreGrants(c, saved);
      assert.deepEqual(await writable(['fz.ledger', ...PARTITIONS]), ['fz.ledger', ...PARTITIONS], 'grants not given back everywhere');
    });
  });

  it('revokes writes on a partition attached after the grants were saved', async () => {
    await withConnection(db.source, async (c) => {
      await c.query(`CREATE TABLE fz.ledger_2028 PARTITION OF fz.ledger FOR VALUES FROM ('2028-01-01') TO ('2029-01-01');
        GRANT INSERT, UPDATE, DELETE ON fz.ledger_2028 TO app`);
      const tables = publishedTables(await inventory(c, ['fz']));
      const saved = await readGrants(c, tables);
      await revokeWrites(c, tables);
      assert.deepEqual(await writable(['fz.ledger_2028']), [], 'the later partition takes direct writes');
      await restoreGrants(c, saved);
      assert.deepEqual(await writable(['fz.ledger_2028']), ['fz.ledger_2028']);
    });
  });

  it('gives column-level write grants back (a table-level REVOKE takes them too)', async () => {
    await withConnection(db.source, async (c) => {
      await c.query(`CREATE SCHEMA fc; CREATE TABLE fc.players (id bigint PRIMARY KEY, nick text, vip boolean);
        GRANT USAGE ON SCHEMA fc TO app; GRANT SELECT ON fc.players TO app;
        GRANT UPDATE (nick), INSERT (id, nick) ON fc.players TO app`);
      const columnGrants = async (): Promise<boolean[]> =>
        (
          await c.query<{ ok: boolean }>(
            `SELECT has_column_privilege('app', 'fc.players', col, priv) AS ok
               FROM (VALUES ('nick', 'UPDATE'), ('id', 'INSERT'), ('nick', 'INSERT'), ('vip', 'UPDATE')) v(col, priv)`,
          )
        ).rows.map((r) => r.ok);
      assert.deepEqual(await columnGrants(), [true, true, true, false]);
      const tables = publishedTables(await inventory(c, ['fc']));
      const saved = await readGrants(c, tables);
      await revokeWrites(c, tables);
      assert.deepEqual(await columnGrants(), [false, false, false, false], 'a column grant still allows writes after the revoke');
      await restoreGrants(c, saved);
      assert.deepEqual(await columnGrants(), [true, true, true, false], 'the column grants did not come back');
    });
  });

  // Inside the freeze, on the side giving the tenant up (for a rollback: the target, whose oids differ).
  it('names a table of the schemas the fence does not hold, matching the listed tables by name, not oid', async () => {
    const listed = await withConnection(db.source, async (c) => publishedTables(await inventory(c, ['fz'])));
    await withConnection(db.target, async (c) => {
      await c.query(`CREATE TABLE pad (id int); CREATE SCHEMA fz;
        CREATE TABLE fz.ledger (id bigint, at date NOT NULL, kind text NOT NULL, PRIMARY KEY (id, at, kind)) PARTITION BY RANGE (at);
        CREATE TABLE fz.ledger_2026 PARTITION OF fz.ledger FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')`);
      assert.deepEqual(await unfencedTables(c, ['fz'], listed), [], 'the same tables on another server are held');
      await c.query('CREATE TABLE fz."Late bonus" (id int PRIMARY KEY)');
      assert.deepEqual(await unfencedTables(c, ['fz'], listed), ['fz."Late bonus"']);
    });
  });
});
