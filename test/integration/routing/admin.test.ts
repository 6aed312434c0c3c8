// The route agent's admin console connections against a real PgBouncer (TLS, SCRAM): kept open
// between commands (a new one costs a handshake inside the freeze), never shared by two commands at
// once (a RESUME must overtake a PAUSE that waits), replaced when PgBouncer restarts under them,
// and closed with the agent.
import assert from 'node:assert/strict';
import pg from 'pg';
import { PgBouncerAdmin } from '../../../src/routing/pgbouncer.js';
import { scratchBouncer, type ScratchBouncer } from '../../support/bouncer.js';
import { testCluster } from '../../support/cluster.js';

describe('route agent: PgBouncer admin connections kept open (real PgBouncer)', function () {
  this.timeout(90_000);
  let bouncer: ScratchBouncer;
  let kept: PgBouncerAdmin;

  /** Admin console clients PgBouncer holds, besides the one that asks. */
  const adminClients = async (): Promise<number> =>
    (await bouncer.admin.command<{ database: string }>('SHOW CLIENTS')).filter((c) => c.database === 'pgbouncer').length - 1;

  before(async () => {
    bouncer = await scratchBouncer((await testCluster()).stateDir);
    kept = new PgBouncerAdmin(bouncer.adminUrl, { keep: 2 });
  });
  after(async () => {
    await kept?.close();
    await bouncer?.stop();
  });

  it('runs command after command on one kept connection', async () => {
    for (let i = 0; i < 5; i++) await kept.command('SHOW VERSION');
    assert.equal(await adminClients(), 1);
  });

  it('runs a command on another connection while a PAUSE waits for a transaction in flight', async () => {
    const app = new pg.Client(bouncer.app);
    await app.connect();
    try {
      await app.query('BEGIN; SELECT 1');
      let paused = false;
      const pause = kept.pause(bouncer.database).then(() => (paused = true));
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(paused, false, 'PAUSE returned while a transaction was in flight');
      // Answered while the PAUSE waits: on a second connection, not queued behind it.
      assert.ok((await kept.routes())[bouncer.database], 'SHOW DATABASES answered during the PAUSE');
      await app.query('COMMIT');
      await pause;
      assert.equal(await bouncer.paused(), true);
      await kept.resume(bouncer.database);
      assert.equal(await bouncer.paused(), false);
      assert.equal(await adminClients(), 2, 'both connections are kept, no more');
    } finally {
      await app.end().catch(() => undefined);
      await bouncer.admin.resume(bouncer.database);
    }
  });

  it('goes on after PgBouncer restarts under its kept connections', async () => {
    await bouncer.restart();
    await kept.command('SHOW VERSION');
    await kept.pause(bouncer.database);
    await kept.resume(bouncer.database);
    assert.equal(await bouncer.paused(), false);
  });

  it('leaves no connection open once closed', async () => {
    await kept.close();
    assert.equal(await adminClients(), 0);
    await kept.command('SHOW VERSION');
    assert.equal(await adminClients(), 0, 'a command after close keeps nothing');
  });
});
