// The route write at the point of no return lands, but its answer is lost (failpoint
// RouteWriteAnswered:throw). The operator must ask the API before undoing anything: giving the old
// side its writes back while the recorded route sends clients to the new one would split the tenant.
// A writer connected straight to the old side keeps moving money the whole time.
import assert from 'node:assert/strict';
import { assertServedByTarget, readyToMove, trafficAroundPgBouncer } from '../../test/support/moves.js';
import { tenantFixture } from '../../test/support/tenant.js';

describe('TenantCutover: the answer to the route write is lost', function () {
  this.timeout(300_000);

  it('finishes the move it recorded, keeps the old side closed and loses nothing', async () => {
    const t = await tenantFixture('tclost', 20);
    try {
      await t.startOperator('lost-op', { TENANTSHIFT_FAILPOINT: 'RouteWriteAnswered:throw' });
      await readyToMove(t);
      const traffic = await trafficAroundPgBouncer(t);
      await t.patchCutover({ approved: true });
      const done = await t.waitCutover('the move to settle', (c) => !c.status?.step && (c.status?.history?.length ?? 0) > 0);
      assert.equal(done.status?.activeSide, 'target', `the recorded move was not finished: ${done.status?.lastAbortReason ?? ''}`);
      assert.equal(done.status?.route?.side, 'target');
      const b = await assertServedByTarget(t, traffic);
      console.log(`      bypassing writer: ${b.acknowledged.length} transfers acknowledged, ${b.failures.length} refused`);
    } finally {
      await t.dispose();
    }
  });
});
