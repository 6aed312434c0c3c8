// A leader frozen mid-move past its lease (a long GC pause, a stopped VM): the standby takes over,
// undoes the frozen move and moves the tenant itself; then the old leader wakes and goes on with what
// it knew. Whatever it does then must not reopen the side given up: the database itself says which
// move owns the tenant (tenantshift.move_claim), and a writer connected straight to the old side
// keeps moving money the whole time. Every acknowledged transfer must be on the serving side exactly once.
import { until } from '../../test/support/operator.js';
import { assertServedByTarget, readyToMove, trafficAroundPgBouncer } from '../../test/support/moves.js';
import { tenantFixture } from '../../test/support/tenant.js';

const FROZEN_MS = 25_000;

describe('TenantCutover: a leader deposed mid-move cannot undo the new leader’s move', function () {
  this.timeout(300_000);

  it('keeps the old side closed and loses nothing when the frozen leader wakes after the switch', async () => {
    const t = await tenantFixture('tclead', 20);
    try {
      const sleeper = await t.startOperator('lead-a', { TENANTSHIFT_FAILPOINT: `FenceProven:stall=${FROZEN_MS}` });
      await readyToMove(t, 5);
      await t.startOperator('lead-b'); // the standby
      const traffic = await trafficAroundPgBouncer(t);
      await t.patchCutover({ approved: true });
      // The leader freezes holding the fence; its session times out, the agents resume at the
      // deadline, its lease lapses; the standby undoes that move and makes its own.
      await t.waitCutover('the new leader to move the tenant', (c) => c.status?.activeSide === 'target' && !c.status?.step, 120_000);
      await until('the frozen leader to wake and notice', () => /Lost leadership/.test(sleeper.output()), FROZEN_MS + 30_000);
      await new Promise((r) => setTimeout(r, 3_000));
      const b = await assertServedByTarget(t, traffic);
      console.log(`      bypassing writer: ${b.acknowledged.length} transfers acknowledged, ${b.failures.length} refused`);
    } finally {
      await t.dispose();
    }
  });
});
