// A password the operator sends in a statement (a subscription's connection string) never reaches
// the server's log where the operator's session may prevent it: with log_statement = ddl on the
// subscriber, neither a CREATE SUBSCRIPTION that succeeds nor one that fails leaves its password in
// postgres.log. Where the session may not lower the logging (RDS's master user), preflight warns.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { stackPaths } from '../../../src/devstack/paths.js';
import { readState } from '../../../src/devstack/state.js';
import { isRoot } from '../../../src/devstack/system.js';
import { connect, conninfo, type ConnectionInfo } from '../../../src/postgres/connection.js';
import { observeTarget } from '../../../src/postgres/preflight.js';
import { createSubscription, dropSubscription, ensureSlot } from '../../../src/postgres/replication.js';
import { testCluster } from '../../support/cluster.js';
import { newDatabasePair, withConnection, type DatabasePair } from '../../support/databases.js';

async function setLogStatement(url: string, value: string | null): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(value === null ? 'ALTER SYSTEM RESET log_statement' : `ALTER SYSTEM SET log_statement = '${value}'`);
    await c.query('SELECT pg_reload_conf()');
  } finally {
    await c.end();
  }
}

describe('a password in a statement stays out of the server log (real PostgreSQL)', function () {
  this.timeout(120_000);
  let db: DatabasePair;
  let privilegedUrl = '';
  let logFile = '';

  /** What the target server logged since `from` (a byte offset). */
  const loggedSince = (from: number): string => readFileSync(logFile, 'utf8').slice(from);

  before(async () => {
    const cluster = await testCluster();
    const state = readState(stackPaths(cluster.stateDir, isRoot()));
    assert.ok(state, 'no stack state');
    logFile = join(state.runtimeDir, 'target', 'postgres.log');
    privilegedUrl = cluster.env.TARGET_PRIVILEGED_URL as string;
    db = await newDatabasePair(cluster.env, 'srvlog');
    await withConnection(db.source, (c) =>
      c.query('CREATE TABLE public.t (id int PRIMARY KEY); CREATE PUBLICATION srvlog_pub FOR TABLE public.t'),
    );
    await withConnection(db.target, (c) => c.query('CREATE TABLE public.t (id int PRIMARY KEY)'));
    await setLogStatement(privilegedUrl, 'ddl');
  });
  after(async () => {
    await setLogStatement(privilegedUrl, null).catch(() => undefined);
    await db?.drop();
  });

  it('creates a subscription, and fails to create one, without the password in postgres.log', async () => {
    const from = statSync(logFile).size;
    const wrong = `Wrong-${randomBytes(6).toString('hex')}`;
    const target = await connect(db.target);
    try {
      // The log does record statements: a DDL of the test's own is there.
      await target.query('CREATE TABLE public.srvlog_probe (id int)');
      await withConnection(db.source, (c) => ensureSlot(c, 'srvlog_slot'));
      const opts = { subscription: 'srvlog_sub', publication: 'srvlog_pub', slot: 'srvlog_slot', enabled: false };
      await createSubscription({ client: target, info: db.target }, { ...opts, conninfo: conninfo(db.source) });
      const refused = await createSubscription(
        { client: target, info: db.target },
        { ...opts, subscription: 'srvlog_sub_wrong', conninfo: conninfo({ ...db.source, password: wrong } as ConnectionInfo) },
      ).then(
        () => undefined,
        (err: unknown) => err as Error,
      );
      assert.ok(refused, 'a subscription with a wrong password was created');
      await dropSubscription(target, 'srvlog_sub');
    } finally {
      await target.end();
    }
    // The logger writes asynchronously: give it a moment, then read.
    await new Promise((r) => setTimeout(r, 500));
    const logged = loggedSince(from);
    assert.match(logged, /srvlog_probe/, 'log_statement = ddl is in force');
    assert.ok(!logged.includes(db.source.password), 'the source password is in the target log');
    assert.ok(!logged.includes(wrong), 'the failed statement’s password is in the target log');
  });

  it('tells preflight where the subscriber logs statements and its role may not lower that', async () => {
    const unprivileged: ConnectionInfo = { ...db.target };
    delete unprivileged.privileged;
    const target = await connect(unprivileged);
    try {
      const facts = await observeTarget(target, 'srvlog_sub', false);
      assert.equal(facts.statementLogging, 'log_statement=ddl');
    } finally {
      await target.end();
    }
    // A role that may lower it for its session (the privileged login) gets no warning.
    const privileged = await connect(db.target);
    try {
      assert.equal((await observeTarget(privileged, 'srvlog_sub', true)).statementLogging, undefined);
    } finally {
      await privileged.end();
    }
  });
});
