// Validation while logical replication runs and the source keeps taking writes: lag is re-checked
// after the target catches up and never reported; a real difference on the target still is.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { clientConfig } from '../../../src/postgres/connection.js';
import { createTenant, transfer } from '../../../src/devstack/estate.js';
import { runValidate } from '../../../src/cli/validate.js';
import type { ConnectionInfo } from '../../../src/postgres/connection.js';
import { renderDifference, validateSchemas } from '../../../src/postgres/validate.js';
import { testCaFile, testCluster } from '../../support/cluster.js';
import { newDatabasePair, withConnection, type DatabasePair } from '../../support/databases.js';
import { startReplication, type Replication } from './replication.js';

const WALLET = 'live_wallet';
const GAMES = 'live_games';
const ACCOUNTS = 400;

function url(info: ConnectionInfo): string {
  return `postgresql://${encodeURIComponent(info.user)}:${encodeURIComponent(info.password)}@${info.host}:${info.port}/${encodeURIComponent(info.dbname)}?sslmode=verify-full&sslrootcert=${encodeURIComponent(testCaFile())}`;
}

/** Writers moving money between random accounts on the source until stopped. */
function startWriters(db: DatabasePair, writers: number): { stop(): Promise<number> } {
  let running = true;
  let committed = 0;
  const loops = Array.from({ length: writers }, async () => {
    const c = new pg.Client(clientConfig(db.source));
    await c.connect();
    try {
      while (running) {
        const from = 1 + Math.floor(Math.random() * ACCOUNTS);
        const to = 1 + ((from + Math.floor(Math.random() * (ACCOUNTS - 1))) % ACCOUNTS);
        await transfer(c, WALLET, from, to, '0.01', randomUUID());
        committed += 1;
        await new Promise((r) => setTimeout(r, 15));
      }
    } finally {
      await c.end();
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return committed;
    },
  };
}

describe('validation under live replication (real PostgreSQL)', function () {
  this.timeout(180_000);
  let db: DatabasePair;
  let replication: Replication;

  before(async () => {
    db = await newDatabasePair((await testCluster()).env, 'validatelive');
    await withConnection(db.source, (c) => createTenant(c, { schemas: [WALLET, GAMES], accounts: ACCOUNTS, rounds: 3000 }));
    replication = await startReplication(db, 'live-validate', [WALLET, GAMES]);
  });
  after(async () => {
    await replication?.stop();
    await db.drop();
  });

  it('reports nothing while writes flow and the target lags, and says it re-checked', async () => {
    const writers = startWriters(db, 2);
    try {
      // Hold the subscription back for a while so that the first reads certainly see lag.
      await withConnection(db.target, (c) => c.query(`ALTER SUBSCRIPTION ${pg.escapeIdentifier(replication.subscription)} DISABLE`));
      await new Promise((r) => setTimeout(r, 1500));
      const snapshot = await validateSchemas({
        source: db.source,
        target: db.target,
        schemas: [WALLET, GAMES],
        rangeRows: 200,
        liveReplication: false,
      });
      assert.equal(snapshot.result, 'different', 'without the live re-check the lag shows as differences');
      const resume = new Promise((r) => setTimeout(r, 1000)).then(() =>
        withConnection(db.target, (c) => c.query(`ALTER SUBSCRIPTION ${pg.escapeIdentifier(replication.subscription)} ENABLE`)),
      );
      const report = await validateSchemas({
        source: db.source,
        target: db.target,
        schemas: [WALLET, GAMES],
        rangeRows: 200,
        liveReplication: { slotName: replication.slot },
      });
      await resume;
      assert.deepEqual(report.differences.map(renderDifference), []);
      assert.equal(report.totals.unsettled, 0);
      assert.equal(report.result, 'identical');
      assert.ok(report.live.rechecks > 0, 'the lagging ranges were re-checked after catch-up');
      assert.deepEqual(report.live.slots, [replication.slot]);
    } finally {
      assert.ok((await writers.stop()) > 0, 'writes ran during the validation');
    }
  });

  it('finds the slot by itself and still reports a real difference made on the target during writes', async () => {
    await withConnection(db.target, (c) => c.query(`UPDATE ${pg.escapeIdentifier(GAMES)}.rounds SET payout = payout + 1 WHERE id = 77`));
    const writers = startWriters(db, 2);
    try {
      const report = await validateSchemas({
        source: db.source,
        target: db.target,
        schemas: [WALLET, GAMES],
        rangeRows: 200,
        parallelism: 3,
        liveReplication: 'auto',
      });
      assert.deepEqual(report.differences.map(renderDifference), [`${GAMES}.rounds (id)=(77): differs in payout`]);
      assert.equal(report.totals.unsettled, 0);
      assert.deepEqual(report.live.slots, [replication.slot]);
    } finally {
      await writers.stop();
      await withConnection(db.target, (c) => c.query(`UPDATE ${pg.escapeIdentifier(GAMES)}.rounds SET payout = payout - 1 WHERE id = 77`));
    }
  });

  it('lets `tenantshift validate` find the replication by itself and exit 0 while writes flow', async () => {
    const writers = startWriters(db, 2);
    try {
      let out = '';
      let err = '';
      const code = await runValidate(
        ['--source', url(db.source), '--target', url(db.target), '--schema', WALLET, '--schema', GAMES, '--range-rows', '200'],
        {
          stdout: { write: (t: string) => (out += t) },
          stderr: { write: (t: string) => (err += t) },
        },
      );
      assert.equal(code, 0, err);
      assert.equal(out, '');
    } finally {
      await writers.stop();
    }
  });

  it('calls a comparison inconclusive, not identical or different, when the target cannot catch up in time', async () => {
    const sub = pg.escapeIdentifier(replication.subscription);
    await withConnection(db.target, (c) => c.query(`ALTER SUBSCRIPTION ${sub} DISABLE`));
    try {
      await withConnection(db.source, (c) => transfer(c, WALLET, 1, 2, '1.00', randomUUID()));
      const report = await validateSchemas({
        source: db.source,
        target: db.target,
        schemas: [WALLET],
        liveReplication: { slotName: replication.slot },
        catchUpTimeoutMs: 1000,
      });
      assert.equal(report.result, 'inconclusive');
      assert.deepEqual(report.differences, []);
      assert.ok(report.totals.unsettled >= 2, 'the two accounts and the ledger rows stay unconfirmed');
    } finally {
      await withConnection(db.target, (c) => c.query(`ALTER SUBSCRIPTION ${sub} ENABLE`));
    }
  });
});
