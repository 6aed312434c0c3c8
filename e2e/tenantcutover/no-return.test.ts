// After the point of no return nothing commits on the old side: the operator dies once the new route
// is recorded, the fence session's own timeout (the budget) passes with no operator, and a writer
// connected straight to the old side keeps moving money the whole time. Every acknowledged transfer,
// through PgBouncer or around it, must be on the serving side exactly once, and every account must
// equal its ledger: a write the old side took after the switch would come forward and overwrite newer
// balances, or be lost.
import { diesAt } from '../../test/support/operator.js';
import { assertServedByTarget, readyToMove, trafficAroundPgBouncer } from '../../test/support/moves.js';
import { tenantFixture } from '../../test/support/tenant.js';

describe('TenantCutover: no write on the old side after the point of no return (operator killed at RouteRecorded)', function () {
  this.timeout(300_000);

  it('refuses or carries forward every write of a writer that bypasses PgBouncer, and loses none', async () => {
    const t = await tenantFixture('tcnoret', 20);
    try {
      const doomed = await t.startOperator('noret-op', { TENANTSHIFT_FAILPOINT: 'RouteRecorded' });
      await readyToMove(t);
      const traffic = await trafficAroundPgBouncer(t);
      const { bypass } = traffic;
      await t.patchCutover({ approved: true });
      await diesAt(doomed, 'RouteRecorded');
      // No operator while the fence session's timeout lifts its locks: the old side must stay closed.
      const at = bypass.count;
      await new Promise((r) => setTimeout(r, 6000));
      await t.startOperator('noret-op');
      await t.waitCutover('the move to be finished', (c) => c.status?.activeSide === 'target' && !c.status?.step);
      // The agents' dead-man sent the pooled clients to the target, which gets its writes from the
      // restarted operator only (never before its route is recorded): refused until then, never split.
      const b = await assertServedByTarget(t, traffic, /permission denied/);
      const after = b.acknowledged.length - at;
      console.log(
        `      bypassing writer: ${b.acknowledged.length} transfers acknowledged (${after} after the kill), ${b.failures.length} refused`,
      );
    } finally {
      await t.dispose();
    }
  });
});
