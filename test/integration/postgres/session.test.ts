// Every operator session on a real PostgreSQL 15 is bounded: a lock it cannot have ends its statement
// within lock_timeout (the application's writes never queue behind an operator waiting forever), a
// statement that outlives its work's budget is cancelled, and the failure says what to look for.
import assert from 'node:assert/strict';
import pg from 'pg';
import { clientConfig, connect, sessionOptions, SESSION_LIMITS } from '../../../src/postgres/connection.js';
import { classifyPgError } from '../../../src/postgres/errors.js';
import { newDatabasePair, withConnection, type DatabasePair } from '../../support/databases.js';
import { testCluster } from '../../support/cluster.js';

/** `work`, or a rejection naming the hang when it takes longer than `ms`. */
async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: still waiting after ${ms} ms`)), ms)),
  );
  try {
    return await Promise.race([work, hung]);
  } finally {
    clearTimeout(timer);
  }
}

describe('operator sessions are bounded (real PostgreSQL)', function () {
  this.timeout(90_000);
  let db: DatabasePair;

  before(async () => {
    db = await newDatabasePair((await testCluster()).env, 'session');
    await withConnection(db.source, (c) => c.query('CREATE TABLE public.hot (id int PRIMARY KEY); INSERT INTO public.hot VALUES (1)'));
  });
  after(async () => db?.drop());

  it('carries a statement_timeout and a lock_timeout from its first statement', async () => {
    const c = await connect(db.source);
    try {
      const seen = await c.query<{ s: string; l: string; p: string }>(
        `SELECT current_setting('statement_timeout') AS s, current_setting('lock_timeout') AS l, current_setting('search_path') AS p`,
      );
      assert.deepEqual(seen.rows[0], {
        s: SESSION_LIMITS.reconcile.statementTimeout,
        l: SESSION_LIMITS.reconcile.lockTimeout,
        p: 'pg_catalog,pg_temp',
      });
    } finally {
      await c.end();
    }
  });

  it('gives up on a lock a long transaction holds, with a message that says what to look for', async () => {
    const holder = new pg.Client({ ...clientConfig(db.source), application_name: 'tenantshift-test' });
    await holder.connect();
    const c = await connect(db.source);
    try {
      await holder.query('BEGIN; LOCK TABLE public.hot IN ACCESS EXCLUSIVE MODE');
      const err = await within(
        30_000,
        'an operator statement waiting for a lock',
        c.query('ALTER TABLE public.hot REPLICA IDENTITY FULL'),
      ).then(
        () => assert.fail('the ALTER ran although another transaction held the table'),
        (e: unknown) => e,
      );
      const classified = classifyPgError(err, 'setting the replica identity of public.hot');
      assert.equal(classified.code, 'transient', String(err));
      assert.match(classified.message, /lock_timeout/);
      assert.match(classified.message, /pg_locks|long transaction/);
    } finally {
      await holder.end().catch(() => undefined);
      await c.end();
    }
  });

  it('cancels a statement that outlives its budget, and a validation session has the longer one', async () => {
    const c = await connect(db.source, { options: sessionOptions('reconcile', { statementTimeout: '300ms' }) });
    try {
      const err = await within(30_000, 'a statement past its budget', c.query('SELECT pg_catalog.pg_sleep(5)')).then(
        () => assert.fail('a 5 s statement ran to its end under a 300 ms budget'),
        (e: unknown) => e,
      );
      assert.match(classifyPgError(err, 'waiting').message, /statement_timeout/);
    } finally {
      await c.end();
    }
    const v = await connect(db.source, { options: sessionOptions('validation') });
    try {
      const seen = await v.query<{ s: string }>(`SELECT current_setting('statement_timeout') AS s`);
      assert.equal(seen.rows[0]?.s, SESSION_LIMITS.validation.statementTimeout);
    } finally {
      await v.end();
    }
  });
});
