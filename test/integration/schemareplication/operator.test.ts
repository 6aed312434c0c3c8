// The SchemaReplication journey through the real operator process and kube-apiserver: three tenants
// (one with a keyless table, one with mixed-case names) under a steady write load on the source.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import pg from 'pg';
import { clientConfig } from '../../../src/postgres/connection.js';
import type { SchemaReplication } from '../../../src/api/index.js';
import { createTenant, transfer } from '../../../src/devstack/estate.js';
import { testCluster, type TestCluster } from '../../support/cluster.js';
import { newDatabasePair, secretData, withConnection, type DatabasePair } from '../../support/databases.js';
import { metricsText, startOperator, stopProcess, until, type OperatorProcess } from '../../support/operator.js';

const GROUP = 'tenantshift.io';
const VERSION = 'v1alpha1';
const PLURAL = 'schemareplications';

const TENANTS = [
  { name: 'tenant-a', schemas: ['tenant_a_wallet', 'tenant_a_games'], keyless: false },
  { name: 'tenant-b', schemas: ['tenant_b_wallet'], keyless: true },
  { name: 'tenant-c', schemas: ['Tenant_C', 'Tenant_C Spiele'], keyless: false },
];

describe('SchemaReplication through the operator (real kube-apiserver, PostgreSQL)', function () {
  this.timeout(300_000);
  let cluster: TestCluster;
  let ns: string;
  let db: DatabasePair;
  let operator: OperatorProcess | undefined;
  let api: CustomObjectsApi;

  before(async () => {
    cluster = await testCluster();
    ns = await cluster.newNamespace('srep');
    db = await newDatabasePair(cluster.env, 'srep');
    api = cluster.kc.makeApiClient(CustomObjectsApi);
    const core = cluster.kc.makeApiClient(CoreV1Api);
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'legacy-db' }, data: secretData(db.source) } });
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'rds-db' }, data: secretData(db.target) } });
    await withConnection(db.source, async (c) => {
      for (const t of TENANTS) await createTenant(c, { schemas: t.schemas, accounts: 20, rounds: 5000, withKeylessTable: t.keyless });
    });
    operator = await startOperator({ env: cluster.env, identity: 'srep-operator', namespace: ns });
  });

  after(async () => {
    await stopProcess(operator);
    await db.drop();
  });

  const get = async (name: string): Promise<SchemaReplication> =>
    (await api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL, name })) as SchemaReplication;
  const ready = (o: SchemaReplication): string | undefined => o.status?.conditions?.find((c) => c.type === 'Ready')?.status;

  it('replicates three tenants under load, reports progress, and deletion leaves no slot', async () => {
    // Steady writes on every tenant for the whole run; every acknowledged transfer is counted.
    let writing = true;
    const acknowledged = new Map<string, number>();
    const writers = TENANTS.map(async (t) => {
      const client = new pg.Client(clientConfig(db.source));
      await client.connect();
      try {
        for (let i = 0; writing && i < 100_000; i++) {
          await transfer(client, t.schemas[0] as string, 1 + (i % 20), 1 + ((i + 7) % 20), '0.01', randomUUID());
          acknowledged.set(t.name, (acknowledged.get(t.name) ?? 0) + 1);
          await new Promise((r) => setTimeout(r, 15));
        }
      } finally {
        await client.end();
      }
    });

    for (const t of TENANTS) {
      await api.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: ns,
        plural: PLURAL,
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: 'SchemaReplication',
          metadata: { name: t.name },
          spec: {
            tenant: t.name,
            source: { secretRef: { name: 'legacy-db' } },
            target: { secretRef: { name: 'rds-db' } },
            schemas: t.schemas,
          },
        },
      });
    }

    // The keyless table blocks tenant-b, naming it, until the spec opts it in.
    const blocked = await until(
      'tenant-b to report the table without primary key',
      async () => {
        const o = await get('tenant-b');
        const c = o.status?.conditions?.find((x) => x.type === 'Ready');
        return c?.reason === 'TableWithoutPrimaryKey' ? c : undefined;
      },
      60_000,
    );
    assert.match(blocked.message, /tenant_b_wallet\.audit_log/);
    await api.patchNamespacedCustomObject(
      {
        group: GROUP,
        version: VERSION,
        namespace: ns,
        plural: PLURAL,
        name: 'tenant-b',
        body: { spec: { replicaIdentityFull: ['tenant_b_wallet.audit_log'] } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );

    for (const t of TENANTS) {
      const o = await until(
        `${t.name} to be Ready`,
        async () => {
          const x = await get(t.name);
          return ready(x) === 'True' ? x : undefined;
        },
        120_000,
      );
      assert.equal(o.status?.tables?.ready, o.status?.tables?.total);
      assert.ok((o.status?.tables?.total ?? 0) >= 2);
      assert.equal(o.status?.observedGeneration, o.metadata.generation);
    }
    // On request, a row-by-row validation runs beside the loop and reports in status, under load.
    await api.patchNamespacedCustomObject(
      {
        group: GROUP,
        version: VERSION,
        namespace: ns,
        plural: PLURAL,
        name: 'tenant-a',
        body: { metadata: { annotations: { 'tenantshift.io/validate': 'first' } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const validated = await until(
      'tenant-a validation',
      async () => {
        const v = (await get('tenant-a')).status?.validation;
        return v?.state === 'Done' && v.requestToken === 'first' ? v : undefined;
      },
      120_000,
    );
    assert.equal(validated.result, 'identical', JSON.stringify(validated.firstDifferences));
    assert.ok((validated.rowsCompared ?? 0) >= 5000);
    const metrics = await metricsText(operator as OperatorProcess);
    for (const t of TENANTS) assert.match(metrics, new RegExp(`tenantshift_replication_lag_bytes\\{namespace="${ns}",name="${t.name}"\\}`));
    assert.match(metrics, new RegExp(`tenantshift_validation_identical\\{namespace="${ns}",name="tenant-a"\\} 1`));

    writing = false;
    await Promise.all(writers);
    for (const t of TENANTS) {
      const wallet = pg.escapeIdentifier(t.schemas[0] as string);
      const sourceRows = await withConnection(db.source, async (c) =>
        Number((await c.query(`SELECT count(*) AS n FROM ${wallet}.ledger`)).rows[0].n),
      );
      assert.equal(sourceRows, 2 * (acknowledged.get(t.name) ?? 0));
      await until(
        `${t.name} ledger rows on the target to match the source`,
        async () =>
          withConnection(
            db.target,
            async (c) => Number((await c.query(`SELECT count(*) AS n FROM ${wallet}.ledger`)).rows[0].n) === sourceRows,
          ),
        60_000,
      );
      const sum = await withConnection(
        db.target,
        async (c) => (await c.query(`SELECT sum(balance)::text AS s FROM ${wallet}.accounts`)).rows[0].s,
      );
      assert.equal(sum, '20000.00', `${t.name}: money was created or lost on the target`);
    }

    for (const t of TENANTS)
      await api.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL, name: t.name });
    await until(
      'every SchemaReplication to be gone',
      async () => {
        const list = (await api.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL })) as {
          items: unknown[];
        };
        return list.items.length === 0;
      },
      60_000,
    );
    const slots = await withConnection(
      db.source,
      async (c) => (await c.query('SELECT slot_name FROM pg_replication_slots WHERE database = current_database()')).rows,
    );
    assert.deepEqual(slots, [], 'a slot was left behind on the source');
    const pubs = await withConnection(db.source, async (c) => (await c.query('SELECT pubname FROM pg_publication')).rows);
    assert.deepEqual(pubs, []);
    // deletionPolicy Retain: the target keeps the data.
    await withConnection(db.target, async (c) =>
      assert.ok(Number((await c.query('SELECT count(*) AS n FROM tenant_a_games.rounds')).rows[0].n) === 5000),
    );
  });
});
