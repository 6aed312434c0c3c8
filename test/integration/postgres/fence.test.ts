// The fence's privileges on a real PostgreSQL 15: what is revoked, saved and given back covers every
// partition of a partitioned table (PostgreSQL checks a partition's own ACL when it is written
// directly, not its root's), also partitions of partitions and ones attached later.
import assert from 'node:assert/strict';
import pg from 'pg';
import { inventory, publishedTables } from '../../../src/postgres/catalog.js';
import { MoveSuperseded } from '../../../src/postgres/claim.js';
import {
  carryGrants,
  fenceIdleSide,
  readGrants,
  restoreGrants,
  revokeWrites,
  unfencedTables,
  writableByOthers,
} from '../../../src/postgres/fence.js';
import { ensureSentinel } from '../../../src/postgres/sentinel.js';
import { connect } from '../../../src/postgres/connection.js';
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

  // restoreGrants runs inside the freeze, on the side taking over: its cost must not grow with the tenant.
  it('gives a 200-table tenant its grants back in the same few round trips as one table', async () => {
    await withConnection(db.source, async (c) => {
      const ddl = Array.from({ length: 200 }, (_, i) => `CREATE TABLE fw.t${i} (id int PRIMARY KEY);`).join('\n');
      await c.query(
        `CREATE SCHEMA fw; ${ddl} GRANT USAGE ON SCHEMA fw TO app; GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA fw TO app`,
      );
      const tables = publishedTables(await inventory(c, ['fw']));
      const saved = await readGrants(c, tables);
      await revokeWrites(c, tables);
      let queries = 0;
      const query = c.query.bind(c);
      c.query = ((...args: Parameters<typeof query>) => {
        queries++;
        return query(...args);
      }) as typeof c.query;
      try {
        await restoreGrants(c, saved);
      } finally {
        c.query = query;
      }
      assert.ok(queries <= 4, `restoring 200 tables took ${queries} round trips`);
      assert.deepEqual(await writable(['fw.t0', 'fw.t199']), ['fw.t0', 'fw.t199']);
    });
  });

  it('looks a saved table name up and never runs it as SQL', async () => {
    await withConnection(db.source, async (c) => {
      await c.query('CREATE TABLE fz.keep (id int)');
      const hostile = [{ table: 'fz.ledger TO app; DROP TABLE fz.keep; --', acl: null }];
      await restoreGrants(c, hostile).catch(() => undefined);
      assert.equal((await c.query(`SELECT to_regclass('fz.keep') IS NOT NULL AS ok`)).rows[0]?.ok, true, 'a saved name ran as SQL');
    });
  });

  // A table the application made on the serving target, made again on the idle source by the operator.
  it('carries grants to a table made on the other side: reads now, writes saved for the move back', async () => {
    const sql = `CREATE SCHEMA fk; CREATE TABLE fk.prizes (id int PRIMARY KEY, note text, won bigint);`;
    await withConnection(db.target, (c) =>
      c.query(
        `${sql} GRANT USAGE ON SCHEMA fk TO app; GRANT SELECT, INSERT, DELETE ON fk.prizes TO app; GRANT UPDATE (note) ON fk.prizes TO app`,
      ),
    );
    await withConnection(db.source, (c) => c.query(`${sql} GRANT USAGE ON SCHEMA fk TO app`));
    const [fromTarget] = await withConnection(db.target, async (c) => [publishedTables(await inventory(c, ['fk']))]);
    const privileges = (c: import('pg').Client): Promise<boolean[]> =>
      c
        .query<{ ok: boolean[] }>(
          `SELECT ARRAY[has_table_privilege('app', 'fk.prizes', 'SELECT'), has_table_privilege('app', 'fk.prizes', 'INSERT'),
                        has_column_privilege('app', 'fk.prizes', 'note', 'UPDATE'),
                        has_column_privilege('app', 'fk.prizes', 'won', 'UPDATE')] AS ok`,
        )
        .then((r) => r.rows[0]?.ok ?? []);
    await withConnection(db.target, async (target) =>
      withConnection(db.source, async (source) => {
        const saved = await carryGrants(target, source, fromTarget ?? []);
        assert.deepEqual(await privileges(source), [true, false, false, false], 'the idle side must only be readable');
        await restoreGrants(source, saved);
        assert.deepEqual(await privileges(source), [true, true, true, false], 'the writes the target grants did not come back');
      }),
    );
  });

  // A SchemaReplication's schema copy brings the source's grants (table and column) to the target:
  // outside a move, the side that does not serve is closed, guarded by the tenant's claim there.
  it('closes the side that does not serve once, and changes nothing where a newer move owns the tenant', async () => {
    await withConnection(db.target, async (c) => {
      await ensureSentinel(c);
      await c.query(`CREATE SCHEMA fi; CREATE TABLE fi.wallet (id int PRIMARY KEY, nick text, amount bigint);
        CREATE TABLE fi.bets (id int PRIMARY KEY) PARTITION BY RANGE (id);
        CREATE TABLE fi.bets_1 PARTITION OF fi.bets FOR VALUES FROM (0) TO (1000);
        GRANT USAGE ON SCHEMA fi TO app; GRANT SELECT, INSERT, DELETE ON fi.wallet, fi.bets, fi.bets_1 TO app;
        GRANT UPDATE (nick) ON fi.wallet TO app`);
      const tables = publishedTables(await inventory(c, ['fi']));
      const writes = async (): Promise<boolean[]> =>
        (
          await c.query<{ ok: boolean[] }>(
            `SELECT ARRAY[has_table_privilege('app', 'fi.wallet', 'INSERT'), has_column_privilege('app', 'fi.wallet', 'nick', 'UPDATE'),
                          has_table_privilege('app', 'fi.bets_1', 'INSERT'), has_table_privilege('app', 'fi.wallet', 'SELECT')] AS ok`,
          )
        ).rows[0]?.ok ?? [];
      assert.equal(await writableByOthers(c, tables), true);
      // Another move owns the tenant here: the caller's record is behind it, so nothing changes.
      await c.query(`INSERT INTO tenantshift.move_claim (tenant, move_id) VALUES ('fi', 'newer')`);
      await assert.rejects(fenceIdleSide(c, tables, { tenant: 'fi', lastMove: 'older' }), MoveSuperseded);
      assert.deepEqual(await writes(), [true, true, true, true], 'a superseded record revoked writes');
      assert.equal(await fenceIdleSide(c, tables, { tenant: 'fi', lastMove: 'newer' }), true);
      assert.deepEqual(await writes(), [false, false, false, true], 'the idle side still takes writes (or lost its reads)');
      assert.equal(await writableByOthers(c, tables), false);
      assert.equal(await fenceIdleSide(c, tables, { tenant: 'fi', lastMove: 'newer' }), false, 'a closed side was revoked again');
      // A tenant never moved: its claim row is made (naming no move) and the side closed.
      await c.query('GRANT INSERT ON fi.wallet TO app');
      assert.equal(await fenceIdleSide(c, tables, { tenant: 'fi-new' }), true);
      assert.deepEqual(await writes(), [false, false, false, true]);
    });
  });

  it("carries an owner's own write privileges to a side that was closed, owners included", async () => {
    const sql = `CREATE SCHEMA fo; CREATE TABLE fo.own (id int PRIMARY KEY)`;
    await withConnection(db.source, (c) => c.query(`${sql}; ALTER TABLE fo.own OWNER TO app`));
    // On the target the schema is the operator's (its master user made it), the table the application's.
    await withConnection(db.target, (c) => c.query(sql));
    const privileged = db.target.privileged;
    assert.ok(privileged, 'the stack target has a privileged login');
    // The master user a member of the owning role (what the fence needs on RDS), so it may revoke.
    await withConnection({ ...db.target, user: privileged.user, password: privileged.password }, (c) =>
      c.query(`ALTER TABLE fo.own OWNER TO app; GRANT app TO ${pg.escapeIdentifier(db.target.user)}`),
    );
    await withConnection(db.target, async (target) => {
      await ensureSentinel(target);
      const tables = publishedTables(await inventory(target, ['fo']));
      const ownerWrites = async (): Promise<boolean> =>
        (await target.query<{ ok: boolean }>(`SELECT has_table_privilege('app', 'fo.own', 'INSERT') AS ok`)).rows[0]?.ok ?? false;
      assert.equal(await fenceIdleSide(target, tables, { tenant: 'fo' }), true, 'the owner was not fenced');
      assert.equal(await ownerWrites(), false);
      // The subscriptions' owner (the master user) applies into this side: its writes stay.
      const applier = await target.query<{ ok: boolean }>(
        `SELECT has_table_privilege(current_user, 'fo.own', 'INSERT') AND has_table_privilege(current_user, 'fo.own', 'UPDATE')
                 AND has_table_privilege(current_user, 'fo.own', 'DELETE') AS ok`,
      );
      assert.equal(applier.rows[0]?.ok, true, "the revoke took the apply role's own writes");
      await target.query('INSERT INTO fo.own VALUES (1)');
      const saved = await withConnection(db.source, (source) => carryGrants(source, target, tables));
      await restoreGrants(target, saved);
      assert.equal(await ownerWrites(), true, 'the owning application cannot write on the side it moved to');
    });
  });

  // CVE-2018-1058's shape (and a published CloudNativePG advisory): a tenant's schema plants a function
  // that matches the operator's call better than pg_catalog's, and runs with the operator's rights.
  it('an operator session never calls a function the tenant planted in public', async () => {
    await withConnection(db.source, (c) =>
      c.query(`CREATE TABLE public.hijacked (at timestamptz);
        CREATE FUNCTION public.format(text, name, name) RETURNS text LANGUAGE plpgsql AS $$
          BEGIN INSERT INTO public.hijacked VALUES (now()); RETURN pg_catalog.format($1, $2, $3); END $$;
        GRANT ALL ON public.hijacked TO PUBLIC`),
    );
    const operator = await connect(db.source);
    try {
      const tables = publishedTables(await inventory(operator, ['fz']));
      await readGrants(operator, tables);
      await unfencedTables(operator, ['fz'], tables);
    } finally {
      await operator.end();
    }
    const calls = await withConnection(db.source, async (c) =>
      Number((await c.query('SELECT count(*) AS n FROM public.hijacked')).rows[0]?.n),
    );
    assert.equal(calls, 0, 'the planted public.format ran in an operator session');
  });
});
