// A sequence the application uses only through nextval() in its own code, outside the tenant's
// schemas: no table names it, so nothing would create it on the target or set it at the switch, and
// the target would hand out numbers the source already gave. spec.extraSequences names it: Ready
// waits while it does not exist on the source (SequenceNotFound), the operator creates it on the
// target with its grants, and the switch sets it past everything the source handed out.
import assert from 'node:assert/strict';
import pg from 'pg';
import type { SchemaReplication } from '../../src/api/index.js';
import { withConnection } from '../../test/support/databases.js';
import { until } from '../../test/support/operator.js';
import { tenantFixture } from '../../test/support/tenant.js';

const SEQ = 'public.tcxseq_bonus_numbers';

describe('TenantCutover: a sequence named only in spec.extraSequences', function () {
  this.timeout(300_000);

  it('waits for it on the source, creates it on the target and sets it past the source at the switch', async () => {
    const t = await tenantFixture('tcxseq', 10);
    try {
      await t.startOperator('xseq-op');
      const body = {
        apiVersion: 'tenantshift.io/v1alpha1',
        kind: 'SchemaReplication',
        metadata: { name: 'tcxseq' },
        spec: {
          tenant: 'tcxseq',
          source: { secretRef: { name: 'legacy-db' } },
          target: { secretRef: { name: 'rds-db' } },
          schemas: t.schemas,
          extraSequences: [SEQ],
        },
      };
      await t.api.createNamespacedCustomObject({
        group: 'tenantshift.io',
        version: 'v1alpha1',
        namespace: t.ns,
        plural: 'schemareplications',
        body,
      });
      const ready = (sr: SchemaReplication) => sr.status?.conditions?.find((c) => c.type === 'Ready');
      const blocked = await until(
        'SequenceNotFound while the sequence does not exist',
        async () => {
          const sr = await t.replication();
          return ready(sr)?.reason === 'SequenceNotFound' ? sr : undefined;
        },
        60_000,
      );
      assert.match(ready(blocked)?.message ?? '', new RegExp(`"${SEQ}"`));
      const handedOut = await withConnection(t.db.source, async (c) => {
        await c.query(`CREATE SEQUENCE ${SEQ} INCREMENT BY 7 START WITH 500; GRANT USAGE ON SEQUENCE ${SEQ} TO app`);
        const r = await c.query<{ v: string }>(`SELECT max(nextval('${SEQ}'))::text AS v FROM generate_series(1, 30)`);
        return Number(r.rows[0]?.v);
      });
      await until('the SchemaReplication Ready', async () => ready(await t.replication())?.status === 'True', 120_000);
      const onTarget = await withConnection(t.db.target, async (c) => {
        const r = await c.query<{ inc: string; usage: boolean }>(
          `SELECT q.seqincrement::text AS inc, has_sequence_privilege('app', $1, 'USAGE') AS usage
             FROM pg_sequence q WHERE q.seqrelid = to_regclass($1)`,
          [SEQ],
        );
        return r.rows[0];
      });
      assert.deepEqual(onTarget, { inc: '7', usage: true }, 'the sequence was not created on the target with its grant');
      await t.createCutover({ approved: true });
      await t.waitCutover('the switch', (c) => c.status?.activeSide === 'target' && !c.status?.step, 180_000);
      // Through PgBouncer, as the application: the target's numbers continue past the source's.
      const app = new pg.Client(t.appConnection());
      await app.connect();
      try {
        const next = Number((await app.query<{ v: string }>(`SELECT nextval('${SEQ}')::text AS v`)).rows[0]?.v);
        assert.ok(next > handedOut, `the target handed out ${next}, the source had reached ${handedOut}`);
        assert.equal((next - 500) % 7, 0, 'not a value of the sequence');
      } finally {
        await app.end();
      }
    } finally {
      await t.dispose();
    }
  });
});
