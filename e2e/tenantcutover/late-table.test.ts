// A table created in the tenant's schemas after the move listed its tables (between the preconditions
// and the freeze) is not held by the fence: its writes on the old side would go on after the point of
// no return. The move must see it inside the freeze and abort, then move it with the rest once the
// SchemaReplication carries it (applyAdditiveDDL).
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { withConnection } from '../../test/support/databases.js';
import { until } from '../../test/support/operator.js';
import { appCanWrite, tenantFixture } from '../../test/support/tenant.js';

describe('TenantCutover: a table that appears during the move', function () {
  this.timeout(300_000);

  it('aborts the move that does not hold it, then moves it with the tenant', async () => {
    const t = await tenantFixture('tclate', 10);
    // The move parks before its freeze until the test has made the table: no race to win on a busy machine.
    const release = join(tmpdir(), `tenantshift-${t.ns}-late-table`);
    try {
      const operator = await t.startOperator('late-op', { TENANTSHIFT_FAILPOINT: `BeforeFreezing:hold=${release}` });
      await t.createReplication({ applyAdditiveDDL: true });
      await t.createCutover({ maxWritePause: '1500ms', retry: { attempts: 5, backoff: '1s' } });
      await t.waitRouteOwned();
      const late = `${pg.escapeIdentifier(t.wallet)}.late_bonus`;
      // Ready before the approval: the table must land while the move is parked.
      await withConnection(t.db.source, async (c) => {
        await t.patchCutover({ approved: true });
        await until('the move to park before its freeze', async () => /failpoint BeforeFreezing: holding/.test(operator.output()), 60_000);
        await c.query(
          `CREATE TABLE ${late} (id bigint PRIMARY KEY, amount bigint NOT NULL); GRANT SELECT, INSERT, UPDATE, DELETE ON ${late} TO app; ` +
            `INSERT INTO ${late} SELECT g, g * 10 FROM generate_series(1, 50) g`,
        );
        writeFileSync(release, '');
      });
      const done = await t.waitCutover('the switch', (c) => c.status?.activeSide === 'target' && !c.status?.step, 240_000);
      const aborted = (done.status?.history ?? []).filter((h) => h.result === 'Aborted').map((h) => h.reason ?? '');
      assert.ok(
        aborted.some((r) => /late_bonus.*not fenced/.test(r)),
        `no attempt was aborted for the table it did not hold: ${JSON.stringify(aborted)}`,
      );
      assert.equal(await appCanWrite(t.db.source, late), false, 'the old side takes writes into the late table after the switch');
      const rows = await withConnection(t.db.target, async (c) => (await c.query(`SELECT count(*)::int AS n FROM ${late}`)).rows[0]?.n);
      assert.equal(rows, 50, 'the late table’s rows did not move with the tenant');
    } finally {
      rmSync(release, { force: true });
      await t.dispose();
    }
  });
});
