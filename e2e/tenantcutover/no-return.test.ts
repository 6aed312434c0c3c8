// After the point of no return nothing commits on the old side: the operator dies once the new route
// is recorded, the fence session's own timeout (the budget) passes with no operator, and a writer
// connected straight to the old side keeps moving money the whole time. Every acknowledged transfer,
// through PgBouncer or around it, must be on the serving side exactly once, and every account must
// equal its ledger: a write the old side took after the switch would come forward and overwrite newer
// balances, or be lost.
import { diesAt, until } from '../../test/support/operator.js';
import { assertBooksOn, tenantFixture } from '../../test/support/tenant.js';

describe('TenantCutover: no write on the old side after the point of no return (operator killed at RouteRecorded)', function () {
  this.timeout(300_000);

  it('refuses or carries forward every write of a writer that bypasses PgBouncer, and loses none', async () => {
    const t = await tenantFixture('tcnoret', 20);
    try {
      const doomed = await t.startOperator('noret-op', { TENANTSHIFT_FAILPOINT: 'RouteRecorded' });
      await t.createReplication();
      await t.createCutover({ maxWritePause: '1500ms', retry: { attempts: 3, backoff: '1s' } });
      await t.waitRouteOwned();
      const pooled = t.walletTraffic();
      const bypass = t.walletTraffic(2, t.directAppConnection('source'));
      await until('traffic through PgBouncer and around it', () => pooled.count > 100 && bypass.count > 100, 60_000);
      await t.patchCutover({ approved: true });
      await diesAt(doomed, 'RouteRecorded');
      // No operator while the fence session's timeout lifts its locks: the old side must stay closed.
      const at = bypass.count;
      await new Promise((r) => setTimeout(r, 6000));
      await t.startOperator('noret-op');
      await t.waitCutover('the move to be finished', (c) => c.status?.activeSide === 'target' && !c.status?.step);
      const moved = pooled.count;
      await until('traffic on the target', () => pooled.count > moved + 100, 60_000);
      const b = await assertBooksOn(t, 'target', pooled, bypass);
      const after = b.acknowledged.length - at;
      console.log(
        `      bypassing writer: ${b.acknowledged.length} transfers acknowledged (${after} after the kill), ${b.failures.length} refused`,
      );
    } finally {
      await t.dispose();
    }
  });
});
