// One direction at a time. PostgreSQL 15 has no `origin = none`: while the old path's slot is decoded,
// a change the way back applies on the old side is sent forward again, and an older row image
// overwrites a newer one. Hot counters (update-only, each client its own row) through both PgBouncers
// show it; apply workers start at once (wal_retrieve_retry_interval lowered) and the operator dies
// between retiring one direction and starting the other, so the window stays open until it restarts.
import assert from 'node:assert/strict';
import pg from 'pg';
import { counterMismatches, createCounters, CounterTraffic, type CounterReport } from '../../src/devstack/counters.js';
import { testCluster } from '../../test/support/cluster.js';
import { withConnection } from '../../test/support/databases.js';
import { diesAt, stopProcess, until } from '../../test/support/operator.js';
import { tenantFixture, type TenantFixture } from '../../test/support/tenant.js';

const CLIENTS = 6;

async function setRetryInterval(value: string | null): Promise<void> {
  const env = (await testCluster()).env;
  for (const url of [env.SOURCE_URL, env.TARGET_PRIVILEGED_URL] as string[]) {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query(
        value === null ? 'ALTER SYSTEM RESET wal_retrieve_retry_interval' : `ALTER SYSTEM SET wal_retrieve_retry_interval = '${value}'`,
      );
      await c.query('SELECT pg_reload_conf()');
    } finally {
      await c.end();
    }
  }
}

async function assertCountersExact(t: TenantFixture, report: CounterReport, moved: 'source' | 'target'): Promise<void> {
  assert.deepEqual(report.failures.slice(0, 3), [], `${report.failures.length} client update(s) failed`);
  const serving = moved === 'target' ? t.db.target : t.db.source;
  const warm = moved === 'target' ? t.db.source : t.db.target;
  assert.deepEqual(await withConnection(serving, (c) => counterMismatches(c, t.wallet, report)), [], `counters on the ${moved}`);
  await until(
    'the side kept warm to catch up',
    async () => (await withConnection(warm, (c) => counterMismatches(c, t.wallet, report))).length === 0,
    60_000,
  ).catch(() => undefined);
  assert.deepEqual(await withConnection(warm, (c) => counterMismatches(c, t.wallet, report)), [], 'counters on the side kept warm');
}

describe('TenantCutover never replicates both ways (hot counters, apply workers without delay)', function () {
  this.timeout(300_000);
  before(() => setRetryInterval('50ms'));
  after(() => setRetryInterval(null));

  for (const rollback of [false, true]) {
    const what = rollback ? 'rollback' : 'switch';
    it(`keeps every counter exact when the operator dies between the two directions of a ${what}`, async () => {
      const t = await tenantFixture(rollback ? 'tcdirrb' : 'tcdirsw', 20);
      try {
        await withConnection(t.db.source, (c) => createCounters(c, t.wallet, CLIENTS));
        let operator = await t.startOperator('dir-op', rollback ? {} : { TENANTSHIFT_FAILPOINT: 'BetweenDirections' });
        await t.createReplication();
        await t.createCutover({ maxWritePause: '5s', retry: { attempts: 3, backoff: '1s' } });
        await t.waitRouteOwned();
        const traffic = new CounterTraffic({ connection: t.appConnections(), schema: t.wallet, clients: CLIENTS }).start();
        await until('counter traffic', () => traffic.count > 200, 60_000);
        if (rollback) {
          await t.patchCutover({ approved: true });
          await t.waitCutover('the switch', (c) => c.status?.activeSide === 'target' && !c.status?.step);
          await stopProcess(operator, 'SIGTERM');
          operator = await t.startOperator('dir-op', { TENANTSHIFT_FAILPOINT: 'BetweenDirections' });
          await t.patchCutover({ rollback: true });
        } else {
          await t.patchCutover({ approved: true });
        }
        await diesAt(operator, 'BetweenDirections');
        // The window stays open while no operator runs: traffic goes on through both PgBouncers.
        const at = traffic.count;
        await until('traffic on the new side', () => traffic.count > at + 1000, 60_000);
        await t.startOperator('dir-op');
        const to = rollback ? 'source' : 'target';
        await t.waitCutover(`the ${what} to finish`, (c) => c.status?.activeSide === to && !c.status?.step);
        const settled = traffic.count;
        await until('traffic after the restart', () => traffic.count > settled + 500, 60_000);
        const report = await traffic.stop();
        await assertCountersExact(t, report, to);
      } finally {
        await t.dispose();
      }
    });
  }
});
