// The route write at the point of no return fails: refused (the move aborts), or with an outcome
// nobody can tell (the API cannot be read back either: the next reconcile undoes the move). Until
// the route names it, the side taking over must not take a single write. A writer connected
// straight to the target, which never serves here, keeps trying the whole time: every transfer it
// had acknowledged would be money on a side that does not serve, skipped by the next attempt's way
// back and never seen by the source (found by the torture campaign, seed 0x0f52f40e: a rollback
// whose route write was lost while the API server was down).
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { balancedBook, checkInvariants, type WalletTraffic } from '../../src/devstack/traffic.js';
import { withConnection } from '../../test/support/databases.js';
import { trafficAroundPgBouncer } from '../../test/support/moves.js';
import { stopProcess, until, type OperatorProcess } from '../../test/support/operator.js';
import { appWritePrivileges, tenantFixture, type TenantFixture } from '../../test/support/tenant.js';

const appWrites = async (info: TenantFixture['db']['target'], table: string): Promise<string[]> =>
  (await appWritePrivileges(info, table)).privileges;

describe('TenantCutover: the route write fails at the point of no return', function () {
  this.timeout(360_000);
  let t: TenantFixture;
  let operator: OperatorProcess | undefined;
  const release = join(tmpdir(), `tenantshift-route-unknown-${process.pid}`);
  const accounts = (): string => `${pg.escapeIdentifier(t.wallet)}.accounts`;

  before(async () => {
    t = await tenantFixture('tcunk', 20);
    const plain = await t.startOperator('unk-setup');
    await t.createReplication();
    // A long backoff: no second attempt starts while the test looks at what the first left.
    await t.createCutover({ maxWritePause: '1500ms', retry: { attempts: 1, backoff: '60s' } });
    await t.waitRouteOwned();
    await stopProcess(plain, 'SIGTERM');
  });
  after(async () => {
    rmSync(release, { force: true });
    await t?.dispose();
  });

  /** Every transfer acknowledged since the fixture began, through PgBouncer or around it: the book holds exactly these. */
  const acknowledged: string[] = [];

  /** Stops every writer and checks: the source's book exact, nothing taken by the target, the target equal to the source. */
  async function assertNothingOnTheTarget(
    traffic: { pooled: WalletTraffic; bypass: WalletTraffic },
    onTarget: WalletTraffic,
  ): Promise<void> {
    const stray = await onTarget.stop();
    assert.ok(stray.failures.length > 0, 'the writer straight to the target never ran');
    assert.deepEqual(
      stray.acknowledged.slice(0, 3),
      [],
      `${stray.acknowledged.length} transfer(s) acknowledged by the target, which never served the tenant`,
    );
    const refusedOtherwise = stray.failures.filter((f) => !/permission denied/.test(f.message));
    assert.deepEqual(refusedOtherwise.slice(0, 3), [], 'the target refused otherwise than by privileges');
    const pooled = await traffic.pooled.stop();
    const bypass = await traffic.bypass.stop();
    const failed = [
      // Pooled clients too: past the pause deadline the agents resumed the source, still revoked
      // while the move could not tell where its route stood. Refused, never split.
      ...pooled.failures.filter((f) => !/permission denied/.test(f.message)),
      ...bypass.failures.filter((f) => !/permission denied/.test(f.message)),
    ];
    assert.deepEqual(failed.slice(0, 3), [], `${failed.length} transaction(s) failed otherwise than refused`);
    acknowledged.push(...pooled.acknowledged, ...bypass.acknowledged);
    const expected = balancedBook(t.accounts, acknowledged);
    assert.deepEqual(await withConnection(t.db.source, (c) => checkInvariants(c, t.wallet, acknowledged)), expected, 'the source');
    await until(
      'the target to catch up with the source',
      async () => (await withConnection(t.db.target, (c) => checkInvariants(c, t.wallet, acknowledged))).ledgerRows === expected.ledgerRows,
      60_000,
    );
    assert.deepEqual(await withConnection(t.db.target, (c) => checkInvariants(c, t.wallet, acknowledged)), expected, 'the target');
  }

  it('refused: the target takes no write while the move asks whether the route landed, and the abort leaves it fenced', async () => {
    operator = await t.startOperator('unk-refused', { TENANTSHIFT_FAILPOINT: `RouteWrite:throw,RouteReadBack:hold=${release}` });
    await t.waitRouteOwned();
    assert.deepEqual(await appWrites(t.db.target, accounts()), [], 'the target takes writes before any move');
    const traffic = await trafficAroundPgBouncer(t);
    const onTarget = t.walletTraffic(1, t.directAppConnection('target'));
    await t.patchCutover({ approved: true });
    const parked = operator;
    await until('the move to park before reading its route back', async () => /failpoint RouteReadBack: holding/.test(parked.output()));
    // The window a lost answer can hold open for as long as the API is away.
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(await appWrites(t.db.target, accounts()), [], 'the target takes writes before the route names it');
    writeFileSync(release, '');
    const aborted = await t.waitCutover('the abort', (c) => !c.status?.step && c.status?.history?.[0]?.result === 'Aborted');
    assert.equal(aborted.status?.activeSide, 'source');
    assert.equal(aborted.status?.route?.side, 'source');
    await stopProcess(operator, 'SIGTERM');
    assert.deepEqual(await appWrites(t.db.target, accounts()), [], 'the target takes writes after the abort');
    assert.deepEqual(await appWrites(t.db.source, accounts()), ['INSERT', 'UPDATE', 'DELETE'], 'the source did not get its writes back');
    await assertNothingOnTheTarget(traffic, onTarget);
  });

  it('unknown: nothing is given back until the next reconcile reads the route, which undoes the move', async () => {
    rmSync(release, { force: true });
    operator = await t.startOperator('unk-unknown', { TENANTSHIFT_FAILPOINT: 'RouteWrite:throw,RouteReadBack:throw' });
    const traffic = await trafficAroundPgBouncer(t);
    const onTarget = t.walletTraffic(1, t.directAppConnection('target'));
    // A new generation: its attempts count afresh.
    await t.patchCutover({ maxWritePause: '1600ms' });
    const undone = await t.waitCutover(
      'the move to be undone by the next reconcile',
      (c) => !c.status?.step && (c.status?.attempts ?? 0) > 0 && /before its route was recorded/.test(c.status?.lastAbortReason ?? ''),
    );
    assert.equal(undone.status?.activeSide, 'source');
    assert.equal(undone.status?.route?.side, 'source');
    await stopProcess(operator, 'SIGTERM');
    assert.deepEqual(await appWrites(t.db.target, accounts()), [], 'the target takes writes after the move was undone');
    assert.deepEqual(await appWrites(t.db.source, accounts()), ['INSERT', 'UPDATE', 'DELETE'], 'the source did not get its writes back');
    await assertNothingOnTheTarget(traffic, onTarget);
  });
});
