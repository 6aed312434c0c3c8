// Sequences at the switch on real PostgreSQL 15: each one is read from itself (pg_sequences shows
// NULL after a RESTART), and set on the other side beyond every value the serving side handed out,
// in its own direction and within its bounds: a RESTARTed identity, a descending sequence, one near
// its maximum, one never used.
import assert from 'node:assert/strict';
import { ensureSequences, missingSequences, outsideSequences, readSequences, syncSequences } from '../../../src/postgres/sequences.js';
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

  /** What the switch does: both sides read at once, the target set past the source. */
  const sync = (extra: string[] = []) =>
    withConnection(db.source, (source) => withConnection(db.target, (target) => syncSequences(source, target, ['sq'], extra, 1000)));

  it('sets every sequence on the other side past what the serving side handed out, each in its direction and bounds', async () => {
    const handedOut = await withConnection(db.source, async (c) => {
      await c.query('INSERT INTO sq.bets (v) SELECT g FROM generate_series(1, 50) g');
      await c.query('ALTER TABLE sq.bets ALTER COLUMN id RESTART WITH 500'); // pg_sequences: NULL now
      const down = (await c.query<{ v: string }>("SELECT min(nextval('sq.down'))::text AS v FROM generate_series(1, 30)")).rows[0]?.v;
      const near = (await c.query<{ v: string }>("SELECT max(nextval('sq.near'))::text AS v FROM generate_series(1, 1000)")).rows[0]?.v;
      return { bets: 499, down: Number(down), near: Number(near) };
    });
    const set = await sync();
    assert.deepEqual(
      set.map((v) => v.name),
      ['sq.bets_id_seq', 'sq.down', 'sq.near', 'sq.unused'],
    );
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
    await sync();
    const v = await withConnection(db.target, async (c) => Number((await c.query("SELECT nextval('sq.unused')::text AS v")).rows[0]?.v));
    assert.ok(v > 900000, `moved back to ${v}`);
  });

  it('creates the sequences outside the schemas (listed, or named by a DEFAULT) on the other side with grants, and sets them', async () => {
    await withConnection(db.source, (c) =>
      c.query(`DO $$ BEGIN CREATE ROLE seq_app NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$; CREATE SCHEMA shared;
        CREATE SEQUENCE public.bonus_no AS integer INCREMENT BY 7 START WITH 500 CACHE 1;
        GRANT USAGE ON SEQUENCE public.bonus_no TO seq_app;
        CREATE SEQUENCE shared.ticket START WITH 10;
        CREATE TABLE sq.tickets (id bigint PRIMARY KEY DEFAULT nextval('shared.ticket'));
        SELECT nextval('public.bonus_no') FROM generate_series(1, 20)`),
    );
    await withConnection(db.target, (c) => c.query('CREATE ROLE seq_app NOLOGIN').catch(() => undefined));
    const outside = await withConnection(db.source, (c) => outsideSequences(c, ['sq'], ['public.bonus_no']));
    assert.deepEqual(
      outside.map((o) => o.qualified),
      ['public.bonus_no', 'shared.ticket'],
    );
    assert.deepEqual(await withConnection(db.source, (c) => missingSequences(c, ['public.bonus_no', 'public.nope'])), ['public.nope']);
    assert.deepEqual(await withConnection(db.target, (c) => ensureSequences(c, outside)), ['public.bonus_no', 'shared.ticket']);
    assert.deepEqual(await withConnection(db.target, (c) => ensureSequences(c, outside)), [], 'created twice');
    const made = await withConnection(db.target, async (c) => {
      const def = await c.query<{ inc: string; type: string }>(
        'SELECT seqincrement::text AS inc, format_type(seqtypid, NULL) AS type FROM pg_sequence ' +
          "WHERE seqrelid = 'public.bonus_no'::regclass",
      );
      const usage = await c.query<{ ok: boolean }>("SELECT has_sequence_privilege('seq_app', 'public.bonus_no', 'USAGE') AS ok");
      return { ...def.rows[0], usage: usage.rows[0]?.ok };
    });
    assert.deepEqual(made, { inc: '7', type: 'integer', usage: true });
    const values = await withConnection(db.source, (c) => readSequences(c, ['sq'], ['public.bonus_no']));
    assert.ok(values.some((v) => v.name === 'public.bonus_no') && values.some((v) => v.name === 'shared.ticket'));
    await sync(['public.bonus_no']);
    const next = await withConnection(db.target, async (c) =>
      Number((await c.query("SELECT nextval('public.bonus_no')::text AS v")).rows[0]?.v),
    );
    assert.ok(next > 500 + 19 * 7, `the listed sequence hands out ${next} on the target, the source reached ${500 + 19 * 7}`);
  });
});
