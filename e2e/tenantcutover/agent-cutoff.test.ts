// The operator dies right after recording the new route, and one of the two route agents is cut off
// from the API server at that moment (a network partition: its requests hang). At the pause deadline
// the other agent reads the recorded route and sends its clients to the target; the cut-off agent
// cannot, and resumes its PgBouncer on the last route it saw: the source. That must not split the
// tenant: the source was revoked before the route was recorded, so those clients are refused
// (permission denied, as docs/cutover.md says) until the agent reaches the API again and converges.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { restartRouteAgent } from '../../src/devstack/stack.js';
import { CutProxy } from '../../test/support/cutproxy.js';
import { assertServedByTarget, readyToMove, trafficAroundPgBouncer } from '../../test/support/moves.js';
import { diesAt, until } from '../../test/support/operator.js';
import { bouncerDatabases, tenantFixture } from '../../test/support/tenant.js';

const CUT_AGENT = 1;

describe('TenantCutover: a route agent cut off from the API when the operator dies past the point of no return', function () {
  this.timeout(300_000);

  it('refuses, never splits: the cut-off PgBouncer serves the target once the agent is back', async () => {
    const t = await tenantFixture('tccut', 20);
    const server = new URL(t.cluster.kc.getCurrentCluster()?.server ?? '');
    const proxy = await CutProxy.start({ host: server.hostname, port: Number(server.port) });
    try {
      const kubeconfig = join(t.cluster.stateDir, `kubeconfig-cut-${t.ns}.json`);
      writeFileSync(kubeconfig, proxy.kubeConfig(t.cluster.kc).exportConfig(), { mode: 0o600 });
      await restartRouteAgent(t.cluster.stateDir, CUT_AGENT, { KUBECONFIG: kubeconfig });
      const doomed = await t.startOperator('cut-op', { TENANTSHIFT_FAILPOINT: 'RouteRecorded' });
      await readyToMove(t);
      const traffic = await trafficAroundPgBouncer(t);
      await t.patchCutover({ approved: true });
      await diesAt(doomed, 'RouteRecorded');
      proxy.cut();
      // Past the deadline: one PgBouncer on the target, the cut-off one on the source (refusing writes).
      await new Promise((r) => setTimeout(r, 6_000));
      const during = await bouncerDatabases(t.cluster.env, t.route);
      proxy.restore();
      await t.startOperator('cut-op');
      await t.waitCutover('the move to be finished', (c) => c.status?.activeSide === 'target' && !c.status?.step);
      const port = t.db.target.port;
      await until(
        'both PgBouncers to route to the target',
        async () => (await bouncerDatabases(t.cluster.env, t.route)).every((d) => d?.port === port && !d.paused),
        30_000,
      );
      const b = await assertServedByTarget(t, traffic, /permission denied/);
      const sides = during.map((d) => (d?.port === port ? 'target' : 'source')).join(', ');
      console.log(
        `      PgBouncers during the cut: ${sides}; bypassing writer ${b.acknowledged.length} acknowledged, ${b.failures.length} refused`,
      );
      assert.ok(
        during.some((d) => d?.port === port),
        'the agent that could read the API did not send its clients to the target',
      );
    } finally {
      await proxy.stop();
      await restartRouteAgent(t.cluster.stateDir, CUT_AGENT).catch(() => undefined);
      await t.dispose();
    }
  });
});
