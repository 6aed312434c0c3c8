// The switch under wallet traffic through the real PgBouncer, route agent, operator and kube-apiserver:
// invariants on both sides, nothing lost or duplicated, no client error, reverse replication after.
import assert from 'node:assert/strict';
import pg from 'pg';
import { replicationNames } from '../../../src/postgres/names.js';
import { checkInvariants, WalletTraffic } from '../../../src/devstack/traffic.js';
import { withConnection } from '../../support/databases.js';
import { until } from '../../support/operator.js';
import { tenantFixture, type TenantFixture } from '../../support/tenant.js';

describe('TenantCutover switch under wallet traffic (real PgBouncer, route agent, operator)', function () {
  this.timeout(300_000);
  let t: TenantFixture;

  before(async () => {
    t = await tenantFixture('tcsw');
    await t.startOperator();
    await t.createReplication();
  });
  after(async () => {
    await t?.dispose();
  });

  it('owns the route from creation, switches with a short freeze, loses nothing, and keeps the source current', async () => {
    await t.createCutover({ maxWritePause: '5s' });
    const owned = await t.waitCutover('the route to be owned', (c) => c.status?.conditions?.some((x) => x.type === 'RouteOwned' && x.status === 'True') ?? false);
    assert.equal(owned.status?.activeSide, 'source');
    assert.equal(owned.status?.route?.side, 'source');

    const traffic = new WalletTraffic({ connection: t.appConnection(), walletSchema: t.wallet, accounts: t.accounts, workers: 6, thinkMs: 2 }).start();
    await until('traffic through PgBouncer', () => traffic.count > 200, 60_000);
    await t.patchCutover({ approved: true });
    const switched = await t.waitCutover('the switch', (c) => c.status?.activeSide === 'target' && !c.status?.step);
    const atSwitch = traffic.count;
    await until('traffic on the target', () => traffic.count > atSwitch + 200, 60_000);
    const report = await traffic.stop();

    assert.deepEqual(report.failures.slice(0, 3), [], `${report.failures.length} client transaction(s) failed`);
    const pause = switched.status?.writePause?.milliseconds ?? -1;
    assert.ok(pause >= 0 && pause <= 5000, `write pause ${pause} ms outside the budget`);
    assert.ok(switched.status?.switchLsn, 'no switch position recorded');
    assert.equal(switched.status?.history?.[0]?.result, 'Switched');
    assert.ok((switched.status?.sequences ?? []).length > 0, 'no sequence values recorded');

    // The target: every acknowledged transfer exactly once, money conserved, accounts = ledgers.
    const target = await withConnection(t.db.target, (c) => checkInvariants(c, t.wallet, report.acknowledged));
    assert.deepEqual(target, {
      totalBalance: `${1000 * t.accounts}.00`,
      ledgerRows: 2 * report.acknowledged.length,
      distinctTransfers: report.acknowledged.length,
      duplicateLedgerIds: 0,
      accountsNotMatchingLedger: 0,
      missingAcknowledged: 0,
      unacknowledgedPresent: 0,
    });
    // Reverse replication brings the post-switch transfers back to the (fenced) source.
    await until('the source to catch up through reverse replication', async () =>
      withConnection(t.db.source, async (c) => (await checkInvariants(c, t.wallet, report.acknowledged)).ledgerRows === target.ledgerRows), 60_000);
    const source = await withConnection(t.db.source, (c) => checkInvariants(c, t.wallet, report.acknowledged));
    assert.deepEqual(source, target);

    // The forward slot left the source; the source is fenced for the application role.
    const names = replicationNames(t.ns, 'tcsw');
    await withConnection(t.db.source, async (c) => {
      assert.equal((await c.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [names.slot])).rowCount, 0, 'forward slot still on the source');
      const sub = await c.query('SELECT subenabled FROM pg_subscription WHERE subname = $1', [names.reverseSubscription]);
      assert.equal(sub.rows[0]?.subenabled, true, 'reverse subscription not enabled');
    });
    const direct = new pg.Client({ ...t.appConnection(), host: t.db.source.host, port: t.db.source.port, database: t.db.source.dbname });
    await direct.connect();
    try {
      await assert.rejects(direct.query(`UPDATE ${pg.escapeIdentifier(t.wallet)}.accounts SET balance = balance WHERE id = 1`), /permission denied/);
    } finally {
      await direct.end();
    }
    await until('the SchemaReplication to report that the target serves', async () => (await t.replication()).status?.phase === 'TargetServing', 30_000);
  });
});
