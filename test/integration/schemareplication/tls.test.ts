// A subscription is never weaker than its publisher's Secret asks: with sslmode=verify-full and no CA
// file named for the subscribing server, the SchemaReplication waits (SubscriberCannotVerify), leaves
// no slot behind, and says which key to add; with the key, the subscription verifies the source.
import assert from 'node:assert/strict';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import type { SchemaReplication } from '../../../src/api/index.js';
import { createTenant } from '../../../src/devstack/estate.js';
import { stackConnectionInfo } from '../../../src/devstack/postgres.js';
import { testCluster, type TestCluster } from '../../support/cluster.js';
import { newDatabasePair, secretData, withConnection, type DatabasePair } from '../../support/databases.js';
import { startOperator, stopProcess, until, type OperatorProcess } from '../../support/operator.js';

const GROUP = 'tenantshift.io';
const VERSION = 'v1alpha1';

describe('SchemaReplication: the subscription verifies the source as its Secret asks', function () {
  this.timeout(240_000);
  let cluster: TestCluster;
  let ns: string;
  let db: DatabasePair;
  let operator: OperatorProcess | undefined;

  before(async () => {
    cluster = await testCluster();
    ns = await cluster.newNamespace('srtls');
    db = await newDatabasePair(cluster.env, 'srtls');
    await withConnection(db.source, (c) => createTenant(c, { schemas: ['tls_wallet'], accounts: 5, rounds: 50 }));
    operator = await startOperator({ env: cluster.env, identity: 'srtls-operator', namespace: ns });
  });
  after(async () => {
    await stopProcess(operator);
    await db?.drop();
  });

  it('waits with SubscriberCannotVerify and no slot until the Secret names the CA file, then subscribes with verify-full', async () => {
    assert.equal(db.source.sslmode, 'verify-full');
    const core = cluster.kc.makeApiClient(CoreV1Api);
    const api = cluster.kc.makeApiClient(CustomObjectsApi);
    const unverifiable = { ...db.source, subscriberRootCertPath: undefined };
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'legacy-db' }, data: secretData(unverifiable) } });
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'rds-db' }, data: secretData(db.target) } });
    const ref = { group: GROUP, version: VERSION, namespace: ns, plural: 'schemareplications' };
    await api.createNamespacedCustomObject({
      ...ref,
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'SchemaReplication',
        metadata: { name: 'tls' },
        spec: {
          tenant: 'tls',
          source: { secretRef: { name: 'legacy-db' } },
          target: { secretRef: { name: 'rds-db' } },
          schemas: ['tls_wallet'],
        },
      },
    });
    const readyOf = async () =>
      ((await api.getNamespacedCustomObject({ ...ref, name: 'tls' })) as SchemaReplication).status?.conditions?.find(
        (c) => c.type === 'Ready',
      );
    const blocked = await until(
      'the SchemaReplication to say the subscriber cannot verify',
      async () => {
        const c = await readyOf();
        return c?.reason === 'SubscriberCannotVerify' ? c : undefined;
      },
      90_000,
    ).catch(async (err: unknown) => {
      throw new Error(`${(err as Error).message}; Ready: ${JSON.stringify(await readyOf())}\n${operator?.output().slice(-4000) ?? ''}`);
    });
    assert.match(blocked.message, /subscriber-sslrootcert-path/);
    assert.match(blocked.message, /subscriptionSslFallback/);
    const slots = await withConnection(db.source, (c) =>
      c.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_replication_slots WHERE database = current_database()'),
    );
    assert.equal(slots.rows[0]?.n, 0, 'a slot was made for a subscription that could not be created');

    await core.replaceNamespacedSecret({
      namespace: ns,
      name: 'legacy-db',
      body: { metadata: { name: 'legacy-db' }, data: secretData(db.source) },
    });
    await until('the SchemaReplication to be Ready', async () => (await readyOf())?.status === 'True', 120_000);
    const privileged = stackConnectionInfo(cluster.env.TARGET_PRIVILEGED_URL as string, db.target.dbname);
    const sub = await withConnection(privileged, (c) =>
      c.query<{ conninfo: string }>(
        'SELECT subconninfo AS conninfo FROM pg_subscription ' +
          'WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())',
      ),
    );
    assert.equal(sub.rows.length, 1);
    assert.match(sub.rows[0]?.conninfo ?? '', /sslmode='verify-full'/);
    assert.match(sub.rows[0]?.conninfo ?? '', /sslrootcert='\//);
  });
});
