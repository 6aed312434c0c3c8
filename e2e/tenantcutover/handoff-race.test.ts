// A SchemaReplication pass that decided before a move and acts after it must not start forward
// replication again. The move retires the forward path (its subscription and slots); a pass that
// still believed the source served would create them anew, copying into the serving target and,
// once the way back runs, replicating both ways. The pass parks right after its hand-off check (a
// held failpoint) while the switch runs in the same operator, then goes on.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replicationNames } from '../../src/postgres/names.js';
import { withConnection } from '../../test/support/databases.js';
import { stopProcess, until } from '../../test/support/operator.js';
import { tenantFixture } from '../../test/support/tenant.js';

describe('SchemaReplication never restarts forward replication a move has retired', function () {
  this.timeout(300_000);

  it('hands off to the cutover when a switch happens between its hand-off check and its changes', async () => {
    const t = await tenantFixture('srrace', 20);
    const release = join(tmpdir(), `tenantshift-${t.ns}-handoff`);
    const names = replicationNames(t.ns, t.name);
    const forward = async (): Promise<{ subscriptions: number; slots: number }> => ({
      subscriptions: await withConnection(
        {
          ...t.db.target,
          ...(t.db.target.privileged ? { user: t.db.target.privileged.user, password: t.db.target.privileged.password } : {}),
        },
        async (c) => (await c.query('SELECT 1 FROM pg_subscription WHERE subname = $1', [names.subscription])).rowCount ?? 0,
      ),
      slots: await withConnection(
        t.db.source,
        async (c) => (await c.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [names.slot])).rowCount ?? 0,
      ),
    });
    try {
      let operator = await t.startOperator('race-op');
      await t.createReplication();
      await t.createCutover({ maxWritePause: '3s', retry: { attempts: 3, backoff: '1s' } });
      await t.waitRouteOwned();
      await stopProcess(operator, 'SIGTERM');
      operator = await t.startOperator('race-op', { TENANTSHIFT_FAILPOINT: `ReplicationHandOffChecked:hold=${release}` });
      const parked = operator;
      await until('a replication pass to park after its hand-off check', async () =>
        /failpoint ReplicationHandOffChecked: holding/.test(parked.output()),
      );
      await t.patchCutover({ approved: true });
      await t.waitCutover('the switch', (c) => c.status?.activeSide === 'target' && !c.status?.step, 120_000);
      assert.deepEqual(await forward(), { subscriptions: 0, slots: 0 }, 'the switch left the forward path');
      writeFileSync(release, '');
      await until('the parked pass to go on', async () => /failpoint ReplicationHandOffChecked: released/.test(parked.output()));
      await until('the replication to report the target serving', async () => (await t.replication()).status?.phase === 'TargetServing');
      // Long enough for the pass (and the next ones) to have done whatever they were going to do.
      await new Promise((r) => setTimeout(r, 5000));
      assert.deepEqual(await forward(), { subscriptions: 0, slots: 0 }, 'forward replication was started again after the move');
      assert.equal((await t.replication()).status?.phase, 'TargetServing');
    } finally {
      rmSync(release, { force: true });
      await t.dispose();
    }
  });
});
