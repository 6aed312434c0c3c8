// A PgBouncer replica whose route agent is gone would not follow a flip: its clients would stay on
// the side given up. The pool declares its replicas (--route-agents, the chart's routeAgent.pools),
// so a move waits, naming the silent agent, and goes once it is back: nothing lost, no client split.
import assert from 'node:assert/strict';
import { killRouteAgent, restartRouteAgent } from '../../src/devstack/stack.js';
import { assertServedByTarget, readyToMove, trafficAroundPgBouncer } from '../../test/support/moves.js';
import { until } from '../../test/support/operator.js';
import { bouncerDatabases, tenantFixture } from '../../test/support/tenant.js';

const GONE = 1;

describe('TenantCutover: a PgBouncer replica that lost its route agent', function () {
  this.timeout(300_000);

  it('holds the move, naming the missing agent, and moves every replica once it is back', async () => {
    const t = await tenantFixture('tcgone', 20);
    try {
      await t.startOperator('gone-op');
      await readyToMove(t);
      const traffic = await trafficAroundPgBouncer(t);
      killRouteAgent(t.cluster.stateDir, GONE);
      // Its heartbeat Lease expires (10 s) while its PgBouncer goes on serving the source.
      await new Promise((r) => setTimeout(r, 11_000));
      await t.patchCutover({ approved: true });
      const held = await t.waitCutover('the move to wait for the missing agent', (c) =>
        Boolean(c.status?.conditions?.some((x) => x.type === 'RouteOwned' && x.status === 'False' && /silent: /.test(x.message))),
      );
      const owned = held.status?.conditions?.find((x) => x.type === 'RouteOwned');
      assert.match(owned?.message ?? '', /pool local has 2 route agents .* but 1 are live/);
      assert.match(owned?.message ?? '', new RegExp(`silent: local-${GONE} `));
      await new Promise((r) => setTimeout(r, 5_000));
      assert.equal((await t.cutover()).status?.activeSide ?? 'source', 'source', 'moved without every PgBouncer');
      assert.deepEqual(
        (await bouncerDatabases(t.cluster.env, t.route)).map((d) => d?.port),
        [t.db.source.port, t.db.source.port],
      );
      await restartRouteAgent(t.cluster.stateDir, GONE);
      await t.waitCutover('the switch once the agent is back', (c) => c.status?.activeSide === 'target' && !c.status?.step);
      await until(
        'both PgBouncers on the target',
        async () => (await bouncerDatabases(t.cluster.env, t.route)).every((d) => d?.port === t.db.target.port),
        30_000,
      );
      await assertServedByTarget(t, traffic);
    } finally {
      await restartRouteAgent(t.cluster.stateDir, GONE).catch(() => undefined);
      await t.dispose();
    }
  });
});
