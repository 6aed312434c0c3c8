// One of the two route agents dies (SIGKILL) in the middle of a move: right after its PgBouncer
// paused, and right after it wrote the new route but before its RESUME. Its PgBouncer is left paused
// with nobody to resume it; a Deployment would start the agent again a few seconds later. The move
// must end with the tenant on one side, both PgBouncers routing there unpaused, the side given up
// closed, and every acknowledged transfer (through PgBouncer or around it) there exactly once.
import assert from 'node:assert/strict';
import { isAlive } from '../../src/devstack/process.js';
import { restartRouteAgent } from '../../src/devstack/stack.js';
import { assertServedByTarget, readyToMove, trafficAroundPgBouncer } from '../../test/support/moves.js';
import { until } from '../../test/support/operator.js';
import { bouncerDatabases, tenantFixture } from '../../test/support/tenant.js';

const DOOMED_AGENT = 1;

describe('TenantCutover: a route agent dies mid-move', function () {
  this.timeout(300_000);

  for (const point of ['AgentPaused', 'AgentFlipped']) {
    it(`ends on one side with both PgBouncers serving it when an agent is killed at ${point}`, async () => {
      const t = await tenantFixture(`tcag${point === 'AgentPaused' ? 'p' : 'f'}`, 20);
      try {
        await t.startOperator();
        await readyToMove(t, 5);
        const doomed = await restartRouteAgent(t.cluster.stateDir, DOOMED_AGENT, { TENANTSHIFT_FAILPOINT: point });
        const traffic = await trafficAroundPgBouncer(t);
        await t.patchCutover({ approved: true });
        await until(`route agent ${DOOMED_AGENT} to die at ${point}`, () => !isAlive(doomed), 60_000);
        await new Promise((r) => setTimeout(r, 3_000)); // the Deployment's restart delay
        await restartRouteAgent(t.cluster.stateDir, DOOMED_AGENT);
        await t.waitCutover('the move to settle on the target', (c) => c.status?.activeSide === 'target' && !c.status?.step, 120_000);
        const port = t.db.target.port;
        const routed = async (): Promise<boolean> =>
          (await bouncerDatabases(t.cluster.env, t.route)).every((d) => d?.port === port && !d.paused);
        await until('both PgBouncers to route to the target, unpaused', routed, 30_000).catch(() => undefined);
        const seen = await bouncerDatabases(t.cluster.env, t.route);
        assert.deepEqual(
          seen.map((d) => d && { port: d.port, paused: d.paused }),
          seen.map(() => ({ port, paused: false })),
          'a PgBouncer is left paused or on the old side',
        );
        const b = await assertServedByTarget(t, traffic);
        console.log(`      killed at ${point}: bypassing writer ${b.acknowledged.length} acknowledged, ${b.failures.length} refused`);
      } finally {
        await restartRouteAgent(t.cluster.stateDir, DOOMED_AGENT).catch(() => undefined);
        await t.dispose();
      }
    });
  }
});
