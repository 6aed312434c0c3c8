// Sequences at the switch on real PostgreSQL 15: each one is read from itself (pg_sequences shows
// NULL after a RESTART), and set on the other side beyond every value the serving side handed out,
// in its own direction and within its bounds: a RESTARTed identity, a descending sequence, one near
// its maximum, one never used.
import assert from 'node:assert/strict';
import { applySequences, readSequences } from '../../../src/postgres/sequences.js';
import { newDatabasePair, withConnection, type DatabasePair } from '../../support/databases.js';
import { testCluster } from '../../support/cluster.js';

const DDL = `CREATE SCHEMA sq;
  CREATE TABLE sq.bets (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v int);
  CREATE SEQUENCE sq.down INCREMENT BY -5 MINVALUE -100000 MAXVALUE 1000000 START WITH 1000000;
  CREATE SEQUENCE sq.near MAXVALUE 1200 START WITH 1;
  CREATE SEQUENCE sq.unused START WITH 7;`;

describe('sequences at the switch (real PostgreSQL)', function () {
  this.timeout(60_000);
  let db: DatabasePair;

  before(async () => {
    db = await newDatabasePair((await testCluster()).env, 'seq');
    await withConnection(db.source, (c) => c.query(DDL));
    await withConnection(db.target, (c) => c.query(DDL));
  });
  after(async () => db?.drop());

  it('sets every sequence on the other side past what the serving side handed out, each in its direction and bounds', async () => {
    const handedOut = await withConnection(db.source, async (c) => {
      await c.query('INSERT INTO sq.bets (v) SELECT g FROM generate_series(1, 50) g');
      await c.query('ALTER TABLE sq.bets ALTER COLUMN id RESTART WITH 500'); // pg_sequences: NULL now
      const down = (await c.query<{ v: string }>("SELECT min(nextval('sq.down'))::text AS v FROM generate_series(1, 30)")).rows[0]?.v;
      const near = (await c.query<{ v: string }>("SELECT max(nextval('sq.near'))::text AS v FROM generate_series(1, 1000)")).rows[0]?.v;
      return { bets: 499, down: Number(down), near: Number(near) };
    });
    const values = await withConnection(db.source, (c) => readSequences(c, ['sq']));
    await withConnection(db.target, (c) => applySequences(c, values, 1000));
    const next = await withConnection(db.target, async (c) => {
      const one = async (seq: string): Promise<number> =>
        Number((await c.query<{ v: string }>('SELECT nextval($1::regclass)::text AS v', [seq])).rows[0]?.v);
      return {
        bets: await one('sq.bets_id_seq'),
        down: await one('sq.down'),
        near: await one('sq.near'),
        unused: await one('sq.unused'),
      };
    });
    assert.ok(next.bets > handedOut.bets, `identity after RESTART: the target hands out ${next.bets}, the source is at ${handedOut.bets}`);
    assert.ok(next.down < handedOut.down, `descending: the target hands out ${next.down}, the source reached ${handedOut.down}`);
    assert.ok(next.near > handedOut.near && next.near <= 1200, `near its maximum: ${next.near} after ${handedOut.near}`);
    assert.ok(next.unused >= 7, `never used: ${next.unused}`);
  });

  it('never moves a sequence backwards on the side taking over', async () => {
    await withConnection(db.target, (c) => c.query("SELECT setval('sq.unused', 900000)"));
    const values = await withConnection(db.source, (c) => readSequences(c, ['sq']));
    await withConnection(db.target, (c) => applySequences(c, values, 1000));
    const v = await withConnection(db.target, async (c) => Number((await c.query("SELECT nextval('sq.unused')::text AS v")).rows[0]?.v));
    assert.ok(v > 900000, `moved back to ${v}`);
  });
});
