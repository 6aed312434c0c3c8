// A SchemaReplication is moved by one TenantCutover: a second one naming it is refused before it does
// anything (no route, no pause, nothing on either server), naming the one that owns the move.
import assert from 'node:assert/strict';
import { until } from '../../test/support/operator.js';
import { bouncerDatabases, tenantFixture } from '../../test/support/tenant.js';
import type { TenantCutover } from '../../src/api/index.js';

describe('TenantCutover: one per SchemaReplication', function () {
  this.timeout(300_000);

  it('refuses a second TenantCutover on the same SchemaReplication, naming the first, and moves nothing', async () => {
    const t = await tenantFixture('tcdup', 10);
    try {
      await t.startOperator('dup-op');
      await t.createReplication();
      await t.createCutover();
      await t.waitRouteOwned();
      const before = await bouncerDatabases(t.cluster.env, t.route);
      const body = {
        apiVersion: 'tenantshift.io/v1alpha1',
        kind: 'TenantCutover',
        metadata: { name: 'tcdup-second' },
        spec: { replicationRef: { name: 'tcdup' }, routing: { pgbouncer: { pool: 'local', database: t.route } }, approved: true },
      };
      const ref = { group: 'tenantshift.io', version: 'v1alpha1', namespace: t.ns, plural: 'tenantcutovers' };
      await t.api.createNamespacedCustomObject({ ...ref, body });
      const second = await until(
        'the second TenantCutover to be refused',
        async () => {
          const c = (await t.api.getNamespacedCustomObject({ ...ref, name: 'tcdup-second' })) as TenantCutover;
          const ready = c.status?.conditions?.find((x) => x.type === 'Ready');
          return ready?.reason === 'CutoverConflict' ? c : undefined;
        },
        60_000,
      );
      const ready = second.status?.conditions?.find((x) => x.type === 'Ready');
      assert.match(ready?.message ?? '', /moved by TenantCutover tcdup /);
      assert.equal(second.status?.route, undefined, 'the refused TenantCutover claimed a route');
      assert.equal(second.status?.moveId, undefined, 'the refused TenantCutover started a move');
      const first = await t.cutover();
      assert.equal(first.status?.activeSide ?? 'source', 'source');
      assert.deepEqual(await bouncerDatabases(t.cluster.env, t.route), before);
    } finally {
      await t.dispose();
    }
  });
});
