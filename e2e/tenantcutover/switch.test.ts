// The whole journey of one tenant under wallet traffic through the real PgBouncer, route agent,
// operator and kube-apiserver: a rehearsal that changes nothing, the switch, a rollback, a second
// switch, and completion, with a writer connected straight to the source all along. After every move:
// nothing lost or duplicated, no pooled client error (the direct writer only refused), both sides equal.
import assert from 'node:assert/strict';
import pg from 'pg';
import type { TenantCutover } from '../../src/api/index.js';
import { replicationNames } from '../../src/postgres/names.js';
import { balancedBook, checkInvariants, WalletTraffic, type Invariants } from '../../src/devstack/traffic.js';
import { withConnection } from '../../test/support/databases.js';
import { until } from '../../test/support/operator.js';
import {
  appCanWrite,
  appWritePrivileges,
  bouncerDatabases,
  tenantFixture,
  type BouncerDatabase,
  type TenantFixture,
} from '../../test/support/tenant.js';

describe('TenantCutover journey under wallet traffic (real PgBouncer, route agent, operator)', function () {
  this.timeout(420_000);
  let t: TenantFixture;
  let traffic: WalletTraffic;
  /** A writer connected straight to the source the whole journey: refused while it does not serve. */
  let bypass: WalletTraffic;
  const acknowledged: string[] = [];

  before(async () => {
    t = await tenantFixture('tcsw');
    await t.startOperator();
    await t.createReplication();
  });
  after(async () => {
    await traffic?.stop();
    await bypass?.stop();
    await t?.dispose();
  });

  /** Stops the traffic, checks both sides, and starts it again. */
  async function checkpoint(serving: 'source' | 'target'): Promise<Invariants> {
    const report = await traffic.stop();
    const around = await bypass.stop();
    acknowledged.push(...report.acknowledged, ...around.acknowledged);
    assert.deepEqual(report.failures.slice(0, 3), [], `${report.failures.length} client transaction(s) failed`);
    const unexpected = around.failures.filter((f) => !/permission denied/.test(f.message));
    assert.deepEqual(
      unexpected.slice(0, 3),
      [],
      `${unexpected.length} transaction(s) of the writer around PgBouncer failed otherwise than refused`,
    );
    const expected: Invariants = balancedBook(t.accounts, acknowledged);
    const primary = serving === 'source' ? t.db.source : t.db.target;
    const replica = serving === 'source' ? t.db.target : t.db.source;
    assert.deepEqual(await withConnection(primary, (c) => checkInvariants(c, t.wallet, acknowledged)), expected, `${serving} (serving)`);
    await until(
      'the other side to catch up',
      async () =>
        withConnection(replica, async (c) => (await checkInvariants(c, t.wallet, acknowledged)).ledgerRows === expected.ledgerRows),
      60_000,
    );
    assert.deepEqual(await withConnection(replica, (c) => checkInvariants(c, t.wallet, acknowledged)), expected, 'the side kept warm');
    traffic = startTraffic();
    bypass = startBypass();
    await until('traffic', () => traffic.count > 50, 60_000);
    return expected;
  }

  /**
   * Every PgBouncer replica routes the tenant to `side`, none left paused. Polled for a while: once,
   * under heavy load, a replica still showed the database paused right after the move settled
   * (noted on the move-protocol issue); a pause that never ends fails here.
   */
  async function assertRoutedTo(side: 'source' | 'target'): Promise<void> {
    const port = (side === 'source' ? t.db.source : t.db.target).port;
    const want = (d: BouncerDatabase | undefined): boolean => d?.port === port && !d.paused;
    await until(
      'every PgBouncer replica to route to the serving side',
      async () => (await bouncerDatabases(t.cluster.env, t.route)).every(want),
      15_000,
    ).catch(() => undefined);
    const seen = await bouncerDatabases(t.cluster.env, t.route);
    const st = (await t.cutover()).status;
    assert.deepEqual(
      seen.map((d) => d && { port: d.port, paused: d.paused }),
      seen.map(() => ({ port, paused: false })),
      `not every PgBouncer replica routes to the ${side} (step ${st?.step ?? '-'}, move ${st?.moveId}, ` +
        `last abort ${st?.lastAbortReason ?? '-'}; agent logs in ${t.cluster.stateDir}/logs)`,
    );
  }
  const accounts = (): string => `${pg.escapeIdentifier(t.wallet)}.accounts`;

  const startTraffic = (): WalletTraffic => t.walletTraffic(6);
  const startBypass = (): WalletTraffic => t.walletTraffic(1, t.directAppConnection('source'));

  async function directUpdate(side: 'source' | 'target'): Promise<void> {
    // A writer that bypasses PgBouncer.
    const direct = new pg.Client(t.directAppConnection(side));
    await direct.connect();
    try {
      await direct.query(`UPDATE ${pg.escapeIdentifier(t.wallet)}.accounts SET balance = balance WHERE id = 1`);
    } finally {
      await direct.end();
    }
  }

  const settled =
    (side: 'source' | 'target') =>
    (c: TenantCutover): boolean =>
      c.status?.activeSide === side &&
      !c.status?.step &&
      c.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') === true;

  it('rehearses without changing anything but its record', async () => {
    await t.createCutover({ maxWritePause: '5s' });
    await t.waitRouteOwned();
    // The schema copy brought the source's grants; the target serves nobody yet, so it takes no write.
    const early = await appWritePrivileges(t.db.target, accounts());
    assert.deepEqual(early.privileges, [], `the target takes the application's writes before it serves (ACL ${early.acl})`);
    traffic = startTraffic();
    bypass = startBypass();
    await until('traffic through PgBouncer', () => traffic.count > 100, 60_000);
    await t.patchCutover({ rehearse: true });
    const rehearsed = await t.waitCutover('the rehearsal', (c) => c.status?.lastRehearsal !== undefined);
    assert.equal(rehearsed.status?.lastRehearsal?.result, 'Rehearsed');
    assert.equal(rehearsed.status?.activeSide, 'source');
    assert.equal(rehearsed.status?.route?.side, 'source');
    assert.equal(rehearsed.status?.route?.revision, 1);
    assert.equal(rehearsed.status?.history?.[0]?.result, 'Rehearsed');
    await assertRoutedTo('source');
    const names = replicationNames(t.ns, 'tcsw');
    // As on RDS: the subscription belongs to the target's master user, which is no superuser, so its
    // apply worker runs with that role's privileges.
    await withConnection(t.db.target, async (c) => {
      const owner = await c.query<{ owner: string; su: boolean }>(
        `SELECT pg_get_userbyid(s.subowner) AS owner, r.rolsuper AS su FROM pg_subscription s JOIN pg_roles r ON r.oid = s.subowner
          WHERE s.subname = $1`,
        [names.subscription],
      );
      assert.deepEqual(owner.rows, [{ owner: t.db.target.user, su: false }]);
    });
    await withConnection(t.db.target, async (c) =>
      assert.equal(
        (await c.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [names.reversePublication])).rowCount,
        0,
        'a rehearsal prepared the reverse path',
      ),
    );
    await withConnection(t.db.source, async (c) =>
      assert.equal(
        (await c.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [names.slot])).rowCount,
        1,
        'the forward slot is gone',
      ),
    );
    await checkpoint('source');
  });

  it('switches with a short freeze, loses nothing, and keeps the source current and fenced', async () => {
    await t.patchCutover({ approved: true });
    const switched = await t.waitCutover('the switch', settled('target'));
    const pause = switched.status?.writePause?.milliseconds ?? -1;
    assert.ok(pause >= 0 && pause <= 5000, `write pause ${pause} ms outside the budget`);
    assert.ok(switched.status?.switchLsn, 'no switch position recorded');
    assert.equal(switched.status?.history?.[0]?.result, 'Switched');
    assert.ok((switched.status?.sequences ?? []).length > 0, 'no sequence values recorded');
    // The source's ACLs, saved before its fence, are kept on the source itself; the status names the save.
    const saved = switched.status?.savedGrantSets?.source;
    assert.ok(
      saved && saved.tables > 0,
      `no save of the source's grants named in status: ${JSON.stringify(switched.status?.savedGrantSets)}`,
    );
    assert.equal(switched.status?.savedGrants, undefined, 'the ACLs are not carried in the status');
    await withConnection(t.db.source, async (c) => {
      const row = await c.query<{ n: number }>(
        'SELECT jsonb_array_length(grants) AS n FROM tenantshift.saved_grants WHERE cutover = $1 AND id = $2',
        [switched.metadata?.uid, saved.id],
      );
      assert.equal(row.rows[0]?.n, saved.tables, 'the named save is on the source with every table');
    });
    await until('traffic on the target', () => traffic.count > 100, 60_000);
    await assertRoutedTo('target');
    await checkpoint('target');

    const names = replicationNames(t.ns, 'tcsw');
    await withConnection(t.db.source, async (c) => {
      assert.equal(
        (await c.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [names.slot])).rowCount,
        0,
        'forward slot still on the source',
      );
      const sub = await c.query('SELECT subenabled FROM pg_subscription WHERE subname = $1', [names.reverseSubscription]);
      assert.equal(sub.rows[0]?.subenabled, true, 'reverse subscription not enabled');
    });
    assert.equal(await appCanWrite(t.db.source, accounts()), false, 'the source is writable for the application after the switch');
    await assert.rejects(directUpdate('source'), /permission denied/);
    await until(
      'the SchemaReplication to report that the target serves',
      async () => (await t.replication()).status?.phase === 'TargetServing',
      30_000,
    );
    // Unasked, the full comparison runs again after the switch, over the reverse replication, under traffic.
    const after = await until(
      'a validation after the switch',
      async () => {
        const st = (await t.replication()).status;
        const v = st?.validation;
        return v?.state === 'Done' && st?.targetServingSince && Date.parse(v.finishedAt ?? '') > Date.parse(st.targetServingSince)
          ? v
          : undefined;
      },
      120_000,
    );
    assert.equal(after.result, 'identical', JSON.stringify(after.firstDifferences));
  });

  it('withdrawing approval moves nothing and says so; rollback moves back over reverse replication', async () => {
    await t.patchCutover({ approved: false });
    const withdrawn = await t.waitCutover(
      'the withdrawal to be reported',
      (c) => c.status?.conditions?.some((x) => x.type === 'ApprovalWithdrawn' && x.status === 'True') ?? false,
    );
    assert.equal(withdrawn.status?.activeSide, 'target');
    await t.patchCutover({ approved: true, rollback: true });
    const back = await t.waitCutover('the rollback', settled('source'));
    assert.equal(back.status?.history?.[0]?.to, 'source');
    await until('traffic on the source', () => traffic.count > 100, 60_000);
    await assertRoutedTo('source');
    await checkpoint('source');
    assert.equal(await appCanWrite(t.db.target, accounts()), false, 'the target is writable for the application after the rollback');
    const acl = await withConnection(
      t.db.target,
      async (c) =>
        (await c.query(`SELECT relacl::text AS acl FROM pg_class WHERE oid = '${pg.escapeIdentifier(t.wallet)}.accounts'::regclass`))
          .rows[0]?.acl,
    );
    await assert.rejects(
      directUpdate('target'),
      /permission denied/,
      `the target must be fenced after a rollback (ACL ${acl}; status ${JSON.stringify(back.status?.history?.[0])})`,
    );
    await until('the SchemaReplication to stream again', async () => (await t.replication()).status?.phase === 'Streaming', 60_000);
  });

  it('moves forward again with rollback: false, then completes and retires the way back', async () => {
    await t.patchCutover({ rollback: false });
    await t.waitCutover('the second switch', settled('target'));
    await until('traffic on the target', () => traffic.count > 100, 60_000);
    await checkpoint('target');
    await assertRoutedTo('target');
    const granted = await appWritePrivileges(t.db.target, accounts());
    assert.deepEqual(granted.privileges, ['INSERT', 'UPDATE', 'DELETE'], `the target did not get its grants back (ACL ${granted.acl})`);
    // The target got its grants back: a writer that bypasses PgBouncer is taken.
    await directUpdate('target').catch(async (err: Error) => {
      const now = await appWritePrivileges(t.db.target, accounts());
      const st = (await t.cutover()).status;
      throw new Error(
        `${err.message}: the application's privileges on the target were [${granted.privileges.join(', ')}] (ACL ${granted.acl}) ` +
          `and are now [${now.privileges.join(', ')}] (ACL ${now.acl}); step ${st?.step ?? '-'}, active ${st?.activeSide}, ` +
          `history ${JSON.stringify(st?.history?.slice(0, 3).map((h) => [h.to, h.result, h.reason]))}`,
      );
    });

    await t.patchCutover({ complete: true });
    const migrated = await t.waitCutover('completion', (c) => c.status?.completed === true && c.status?.phase === 'Migrated');
    assert.equal(migrated.status?.phase, 'Migrated');
    const names = replicationNames(t.ns, 'tcsw');
    await withConnection(t.db.source, async (c) => {
      assert.equal((await c.query('SELECT 1 FROM pg_subscription WHERE subname = $1', [names.reverseSubscription])).rowCount, 0);
      assert.equal((await c.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [names.publication])).rowCount, 0);
      assert.equal((await c.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [names.slot])).rowCount, 0);
    });
    await withConnection(t.db.target, async (c) =>
      assert.equal((await c.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [names.reverseSlot])).rowCount, 0),
    );
    // Completion is final: the API refuses a rollback now.
    await assert.rejects(t.patchCutover({ complete: false }), /spec.complete is final|cannot be true/);
  });
});
