// A SchemaReplication is moved by one TenantCutover: a second one naming it is refused before it does
// anything (no route, no pause, nothing on either server), naming the one that owns the move.
import assert from 'node:assert/strict';
import { CoreV1Api } from '@kubernetes/client-node';
import type { SchemaReplication, TenantCutover } from '../../src/api/index.js';
import { secretData, withConnection } from '../../test/support/databases.js';
import { until } from '../../test/support/operator.js';
import { bouncerDatabases, tenantFixture } from '../../test/support/tenant.js';

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

  // The same tenant claimed again from another namespace: its SchemaReplication names schemas the first
  // one replicates from the same source database, its TenantCutover the same PgBouncer database.
  it('refuses a second namespace’s claim on the same schemas and PgBouncer database, changing nothing', async () => {
    const t = await tenantFixture('tcns', 10);
    try {
      const other = await t.cluster.newNamespace('tcns-other');
      await t.startOperator('ns-op', { TENANTSHIFT_WATCH_NAMESPACES: `${t.ns},${other}` });
      await t.createReplication();
      await t.createCutover();
      await t.waitRouteOwned();
      const before = await bouncerDatabases(t.cluster.env, t.route);
      const slots = () => withConnection(t.db.source, async (c) => (await c.query('SELECT slot_name FROM pg_replication_slots')).rowCount);
      const slotsBefore = await slots();
      const core = t.cluster.kc.makeApiClient(CoreV1Api);
      await core.createNamespacedSecret({ namespace: other, body: { metadata: { name: 'legacy-db' }, data: secretData(t.db.source) } });
      await core.createNamespacedSecret({ namespace: other, body: { metadata: { name: 'rds-db' }, data: secretData(t.db.target) } });
      const api = (plural: string) => ({ group: 'tenantshift.io', version: 'v1alpha1', namespace: other, plural });
      const spec = (await t.replication()).spec;
      await t.api.createNamespacedCustomObject({
        ...api('schemareplications'),
        body: { apiVersion: 'tenantshift.io/v1alpha1', kind: 'SchemaReplication', metadata: { name: 'again' }, spec },
      });
      await t.api.createNamespacedCustomObject({
        ...api('tenantcutovers'),
        body: {
          apiVersion: 'tenantshift.io/v1alpha1',
          kind: 'TenantCutover',
          metadata: { name: 'again' },
          spec: { replicationRef: { name: 'again' }, routing: { pgbouncer: { pool: 'local', database: t.route } }, approved: true },
        },
      });
      const sr = await until(
        'the second SchemaReplication to be blocked',
        async () => {
          const r = (await t.api.getNamespacedCustomObject({ ...api('schemareplications'), name: 'again' })) as SchemaReplication;
          return r.status?.conditions?.find((c) => c.type === 'Ready' && c.reason === 'SchemaClaimed') ? r : undefined;
        },
        60_000,
      );
      assert.match(sr.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '', new RegExp(`SchemaReplication ${t.ns}/tcns`));
      const cut = await until(
        'the second TenantCutover to be refused',
        async () => {
          const c = (await t.api.getNamespacedCustomObject({ ...api('tenantcutovers'), name: 'again' })) as TenantCutover;
          return c.status?.conditions?.find((x) => x.type === 'RouteOwned' && x.reason === 'RouteConflict') ? c : undefined;
        },
        60_000,
      );
      assert.match(cut.status?.conditions?.find((x) => x.type === 'RouteOwned')?.message ?? '', new RegExp(`TenantCutover ${t.ns}/tcns`));
      assert.equal(cut.status?.moveId, undefined, 'the refused TenantCutover started a move');
      assert.equal(cut.status?.activeSide ?? 'source', 'source');
      assert.deepEqual(await bouncerDatabases(t.cluster.env, t.route), before, 'the refused claim changed the route');
      assert.equal(await slots(), slotsBefore, 'the blocked SchemaReplication created a slot on the source');
      assert.equal((await t.cutover()).status?.activeSide ?? 'source', 'source');
    } finally {
      await t.dispose();
    }
  });
});
