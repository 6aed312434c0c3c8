// The way back carries the tenant's current tables (issue 15, point 5). A table added after a switch
// is created on the other side and replicated in both directions, and the next move covers it:
// - added on the source while it serves again (a rollback): the SchemaReplication creates it on the
//   target (applyAdditiveDDL) and the next switch's way back publishes it;
// - added on the serving target: the TenantCutover creates it on the source and copies it back.
// Switch, roll back, add a table, switch again, write to it (and add one on the target), roll back:
// every row is on the source, and the application writes both tables there.
import assert from 'node:assert/strict';
import pg from 'pg';
import type { TenantCutover } from '../../src/api/index.js';
import { withConnection } from '../../test/support/databases.js';
import { until } from '../../test/support/operator.js';
import { appCanWrite, asApp, tenantFixture } from '../../test/support/tenant.js';

const settled = (side: 'source' | 'target') => (c: TenantCutover) => c.status?.activeSide === side && !c.status?.step;

describe('TenantCutover: a table added after a switch goes both ways', function () {
  this.timeout(900_000);

  it('switch, roll back, add a table, switch again, write to it, roll back: its rows are on the source', async () => {
    const t = await tenantFixture('tclater', 10);
    const w = pg.escapeIdentifier(t.wallet);
    const bonus = `${w}.bonus_later`;
    const prizes = `${w}.prizes_on_target`;
    const count = async (info: typeof t.db.source, table: string): Promise<number> =>
      withConnection(info, async (c) => Number((await c.query(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n));
    try {
      await t.startOperator('later-op');
      await t.createReplication({ applyAdditiveDDL: true });
      await t.createCutover({ maxWritePause: '1500ms', retry: { attempts: 5, backoff: '1s' } });
      await t.waitRouteOwned();
      await t.patchCutover({ approved: true });
      await t.waitCutover('the switch', settled('target'), 180_000);
      await t.patchCutover({ rollback: true });
      await t.waitCutover('the rollback', settled('source'), 180_000);

      // Added on the source, which serves again.
      await withConnection(t.db.source, (c) =>
        c.query(
          `CREATE TABLE ${bonus} (id bigint PRIMARY KEY, amount bigint NOT NULL); ` +
            `GRANT SELECT, INSERT, UPDATE, DELETE ON ${bonus} TO app; INSERT INTO ${bonus} SELECT g, g FROM generate_series(1, 20) g`,
        ),
      );
      await until(
        'the SchemaReplication to copy the new table to the target',
        async () => (await count(t.db.target, bonus).catch(() => 0)) === 20,
        180_000,
      );
      await t.patchCutover({ rollback: false });
      await t.waitCutover('the second switch', settled('target'), 240_000);

      // Written on the serving target, and a table added there.
      await asApp(t.appConnection(), (c) =>
        c.query(`INSERT INTO ${bonus} SELECT g, g FROM generate_series(21, 40) g; UPDATE ${bonus} SET amount = 1000 WHERE id = 1`),
      );
      await withConnection(t.db.target, (c) =>
        c.query(
          `CREATE TABLE ${prizes} (id bigint PRIMARY KEY, prize text NOT NULL); ` +
            `GRANT SELECT, INSERT, UPDATE, DELETE ON ${prizes} TO app; ` +
            `INSERT INTO ${prizes} SELECT g, 'p' || g FROM generate_series(1, 10) g`,
        ),
      );
      await asApp(t.appConnection(), (c) => c.query(`INSERT INTO ${prizes} VALUES (11, 'through PgBouncer')`));
      await until(
        'the cutover to carry the target’s new table to the source',
        async () => (await count(t.db.source, prizes).catch(() => 0)) === 11,
        180_000,
      );
      assert.equal(await appCanWrite(t.db.source, prizes), false, 'the idle source takes writes into the table made for it');
      await asApp(t.appConnection(), (c) => c.query(`INSERT INTO ${prizes} VALUES (12, 'after the copy')`));

      await t.patchCutover({ rollback: true });
      await t.waitCutover('the last rollback', settled('source'), 240_000);
      const onSource = await withConnection(t.db.source, async (c) => ({
        bonus: Number((await c.query(`SELECT count(*) AS n FROM ${bonus}`)).rows[0]?.n),
        first: Number((await c.query(`SELECT amount FROM ${bonus} WHERE id = 1`)).rows[0]?.amount),
        prizes: Number((await c.query(`SELECT count(*) AS n FROM ${prizes}`)).rows[0]?.n),
      }));
      assert.deepEqual(onSource, { bonus: 40, first: 1000, prizes: 12 }, 'rows written on the target are not all on the source');
      // The source serves both tables again, as the application was granted them on the target.
      await asApp(t.appConnection(), (c) =>
        c.query(`INSERT INTO ${bonus} VALUES (41, 41); INSERT INTO ${prizes} VALUES (13, 'back on the source')`),
      );
      assert.equal(await appCanWrite(t.db.target, prizes), false, 'the target given up still takes writes into its new table');
    } finally {
      await t.dispose();
    }
  });
});
