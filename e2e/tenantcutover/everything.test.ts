// Everything a tenant has moves with it, there and back and there again: a partitioned table, an
// identity that was RESTARTed, a descending sequence, a sequence the application only calls
// nextval() on (spec.extraSequences), a column-level grant, and a writer that bypasses PgBouncer.
// After each move the serving side hands out numbers past everything the other side gave (no
// duplicate key), the side given up refuses a direct insert into a partition, and the column grant
// works where it did.
import assert from 'node:assert/strict';
import pg from 'pg';
import type { TenantCutover } from '../../src/api/index.js';
import { withConnection } from '../../test/support/databases.js';
import { assertServedByTarget, trafficAroundPgBouncer } from '../../test/support/moves.js';
import { asApp, tenantFixture, type TenantFixture } from '../../test/support/tenant.js';

const settled = (side: 'source' | 'target') => (c: TenantCutover) => c.status?.activeSide === side && !c.status?.step;

function objects(t: TenantFixture) {
  const w = pg.escapeIdentifier(t.wallet);
  return {
    ledger: `${w}.books`,
    ledgerEu: `${w}.books_eu`,
    ledgerUs: `${w}.books_us`,
    bets: `${w}.bets`,
    countdown: `${w}.countdown`,
    profiles: `${w}.profiles`,
    bonus: 'public.tcall_bonus',
  };
}

async function createEstate(t: TenantFixture): Promise<void> {
  const o = objects(t);
  await withConnection(t.db.source, (c) =>
    c.query(`
      CREATE TABLE ${o.ledger} (id bigint NOT NULL, region text NOT NULL, amount bigint NOT NULL, PRIMARY KEY (id, region))
        PARTITION BY LIST (region);
      CREATE TABLE ${o.ledgerEu} PARTITION OF ${o.ledger} FOR VALUES IN ('eu');
      CREATE TABLE ${o.ledgerUs} PARTITION OF ${o.ledger} FOR VALUES IN ('us');
      INSERT INTO ${o.ledger} SELECT g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END, g FROM generate_series(1, 100) g;
      CREATE TABLE ${o.bets} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v int NOT NULL);
      INSERT INTO ${o.bets} (v) SELECT g FROM generate_series(1, 50) g;
      ALTER TABLE ${o.bets} ALTER COLUMN id RESTART WITH 5000;
      INSERT INTO ${o.bets} (v) VALUES (0);
      CREATE SEQUENCE ${o.countdown} INCREMENT BY -1 MINVALUE 1 MAXVALUE 1000000 START WITH 1000000;
      SELECT nextval('${o.countdown}') FROM generate_series(1, 40);
      CREATE TABLE ${o.profiles} (id int PRIMARY KEY, nickname text, balance bigint NOT NULL DEFAULT 0);
      INSERT INTO ${o.profiles} SELECT g, 'p' || g, 0 FROM generate_series(1, 10) g;
      CREATE SEQUENCE ${o.bonus} INCREMENT BY 3 START WITH 100;
      SELECT nextval('${o.bonus}') FROM generate_series(1, 25);
      GRANT SELECT, INSERT, UPDATE, DELETE ON ${o.ledger}, ${o.ledgerEu}, ${o.ledgerUs}, ${o.bets} TO app;
      GRANT USAGE, SELECT ON SEQUENCE ${o.countdown}, ${o.bonus} TO app;
      GRANT SELECT ON ${o.profiles} TO app;
      GRANT UPDATE (nickname) ON ${o.profiles} TO app;`),
  );
}

interface Numbers {
  bet: number;
  countdown: number;
  bonus: number;
}

/** Through PgBouncer, as the application: one of each number, and a row into the partitioned table. */
async function handOut(t: TenantFixture, ledgerId: number): Promise<Numbers> {
  const o = objects(t);
  return asApp(t.appConnection(), async (c) => {
    const one = async (sql: string): Promise<number> => Number((await c.query<{ v: string }>(sql)).rows[0]?.v);
    await c.query(`INSERT INTO ${o.ledger} VALUES ($1, 'eu', 1)`, [ledgerId]);
    return {
      bet: await one(`INSERT INTO ${o.bets} (v) VALUES (-1) RETURNING id::text AS v`),
      countdown: await one(`SELECT nextval('${o.countdown}')::text AS v`),
      bonus: await one(`SELECT nextval('${o.bonus}')::text AS v`),
    };
  });
}

function assertPast(now: Numbers, before: Numbers, where: string): void {
  assert.ok(now.bet > before.bet, `${where}: the identity handed out ${now.bet} after ${before.bet}`);
  assert.ok(now.countdown < before.countdown, `${where}: the descending sequence handed out ${now.countdown} after ${before.countdown}`);
  assert.ok(now.bonus > before.bonus, `${where}: the listed sequence handed out ${now.bonus} after ${before.bonus}`);
}

/** The side given up: a direct insert into a partition is refused; the column grant is the only write left to nobody. */
async function assertGivenUp(t: TenantFixture, side: 'source' | 'target', id: number): Promise<void> {
  const o = objects(t);
  await asApp(t.directAppConnection(side), async (c) => {
    await assert.rejects(c.query(`INSERT INTO ${o.ledgerEu} VALUES ($1, 'eu', 1)`, [id]), /permission denied/, `${side}: partition insert`);
    await assert.rejects(c.query(`UPDATE ${o.profiles} SET nickname = 'x' WHERE id = 1`), /permission denied/, `${side}: column write`);
  });
}

/** The serving side: the column grant works (nickname), and only it (balance refused). */
async function assertColumnGrant(t: TenantFixture): Promise<void> {
  const o = objects(t);
  await asApp(t.appConnection(), async (c) => {
    await c.query(`UPDATE ${o.profiles} SET nickname = 'moved' WHERE id = 1`);
    await assert.rejects(c.query(`UPDATE ${o.profiles} SET balance = 1 WHERE id = 1`), /permission denied/, 'balance is not granted');
  });
}

describe('TenantCutover: everything a tenant has moves with it', function () {
  this.timeout(420_000);

  it('partitions, a RESTARTed identity, a descending and a listed sequence, a column grant: there, back and there again', async () => {
    const t = await tenantFixture('tcall', 20);
    try {
      await createEstate(t);
      await t.startOperator('all-op');
      await t.createReplication({ extraSequences: [objects(t).bonus] });
      await t.createCutover({ maxWritePause: '1500ms', retry: { attempts: 5, backoff: '1s' } });
      await t.waitRouteOwned();
      const onSource = await handOut(t, 1001);
      const traffic = await trafficAroundPgBouncer(t);
      await t.patchCutover({ approved: true });
      await t.waitCutover('the switch', settled('target'), 180_000);
      await assertServedByTarget(t, traffic);
      const onTarget = await handOut(t, 1002);
      assertPast(onTarget, onSource, 'after the switch');
      await assertGivenUp(t, 'source', 2001);
      await assertColumnGrant(t);

      await t.patchCutover({ rollback: true });
      await t.waitCutover('the rollback', settled('source'), 180_000);
      const back = await handOut(t, 1003);
      assertPast(back, onTarget, 'after the rollback');
      await assertGivenUp(t, 'target', 2002);
      await assertColumnGrant(t);

      await t.patchCutover({ rollback: false });
      await t.waitCutover('the second switch', settled('target'), 180_000);
      const again = await handOut(t, 1004);
      assertPast(again, back, 'after the second switch');
      await assertGivenUp(t, 'source', 2003);
      await assertColumnGrant(t);
      // Every row written through PgBouncer on either side is on the side serving now, once.
      const o = objects(t);
      const rows = await withConnection(t.db.target, async (c) => ({
        ledger: (await c.query(`SELECT count(*)::int AS n FROM ${o.ledger} WHERE id BETWEEN 1001 AND 1004`)).rows[0]?.n,
        bets: (await c.query(`SELECT count(*)::int AS n FROM ${o.bets} WHERE v = -1`)).rows[0]?.n,
        nickname: (await c.query(`SELECT nickname FROM ${o.profiles} WHERE id = 1`)).rows[0]?.nickname,
      }));
      assert.deepEqual(rows, { ledger: 4, bets: 4, nickname: 'moved' });
    } finally {
      await t.dispose();
    }
  });
});
