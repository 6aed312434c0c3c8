// One tenant on the shared stack, ready to be moved: a database pair, the wallet estate with grants
// for the application role, connection Secrets, a namespace, an operator watching it, and helpers
// to apply and read the tenantshift objects.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import pg from 'pg';
import type { SchemaReplication, TenantCutover } from '../../src/api/index.js';
import { createTenant } from '../../src/devstack/estate.js';
import { bouncerClientConfigs } from '../../src/devstack/pgbouncer.js';
import { balancedBook, checkInvariants, WalletTraffic, type TrafficReport } from '../../src/devstack/traffic.js';
import { tlsOptions, type ConnectionInfo } from '../../src/postgres/connection.js';
import { testCluster, type TestCluster } from './cluster.js';
import { newDatabasePair, secretData, withConnection, type DatabasePair } from './databases.js';
import { startOperator, until, type OperatorProcess } from './operator.js';

const GROUP = 'tenantshift.io';
const VERSION = 'v1alpha1';

export interface TenantFixture {
  cluster: TestCluster;
  ns: string;
  /** Name of the fixture's SchemaReplication and TenantCutover. */
  name: string;
  db: DatabasePair;
  wallet: string;
  schemas: string[];
  /** PgBouncer database name clients use for this tenant. */
  route: string;
  accounts: number;
  api: CustomObjectsApi;
  /** Through PgBouncer replica 0. */
  appConnection(): pg.ClientConfig;
  /** Through every PgBouncer replica of pool "local" (workloads spread their clients over them). */
  appConnections(): pg.ClientConfig[];
  /** The application role straight to one side, bypassing PgBouncer (TLS verified as every client). */
  directAppConnection(side: 'source' | 'target'): pg.ClientConfig;
  /** Wallet transfers (2 ms apart per worker), started; through every PgBouncer replica unless told otherwise. */
  walletTraffic(workers?: number, connection?: pg.ClientConfig | pg.ClientConfig[]): WalletTraffic;
  /** Waits until every live route agent applied the TenantCutover's route (RouteOwned=True). */
  waitRouteOwned(): Promise<TenantCutover>;
  startOperator(identity?: string, extraEnv?: Record<string, string>): Promise<OperatorProcess>;
  /** A SchemaReplication of the fixture's two schemas (`spec` merged over), waited for until Ready. */
  createReplication(spec?: Record<string, unknown>): Promise<void>;
  /**
   * Deletes the fixture's object of `plural`, runs `meanwhile` (say, starting an operator), and waits
   * until the API server no longer has the object (its finalizer done).
   */
  deleteAndWait(plural: 'tenantcutovers' | 'schemareplications', meanwhile?: () => Promise<unknown>, timeoutMs?: number): Promise<void>;
  createCutover(spec?: Record<string, unknown>): Promise<void>;
  patchCutover(spec: Record<string, unknown>): Promise<void>;
  cutover(): Promise<TenantCutover>;
  replication(): Promise<SchemaReplication>;
  waitCutover(what: string, pred: (c: TenantCutover) => boolean, timeoutMs?: number): Promise<TenantCutover>;
  dispose(): Promise<void>;
}

export async function tenantFixture(prefix: string, accounts = 40): Promise<TenantFixture> {
  const cluster = await testCluster();
  const ns = await cluster.newNamespace(prefix);
  const db = await newDatabasePair(cluster.env, prefix);
  const suffix = randomBytes(2).toString('hex');
  const wallet = `${prefix}_${suffix}_wallet`;
  const games = `${prefix}_${suffix}_games`;
  const route = `${prefix}_${suffix}`;
  await withConnection(db.source, async (c) => {
    await createTenant(c, { schemas: [wallet, games], accounts, rounds: 500 });
    for (const s of [wallet, games]) {
      const q = pg.escapeIdentifier(s);
      await c.query(
        `GRANT USAGE ON SCHEMA ${q} TO app; GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${q} TO app; GRANT USAGE, ` +
          `SELECT ON ALL SEQUENCES IN SCHEMA ${q} TO app`,
      );
    }
  });
  const core = cluster.kc.makeApiClient(CoreV1Api);
  await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'legacy-db' }, data: secretData(db.source) } });
  await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'rds-db' }, data: secretData(db.target) } });
  const api = cluster.kc.makeApiClient(CustomObjectsApi);
  const operators: OperatorProcess[] = [];
  const get = async <T>(plural: string, name: string): Promise<T> =>
    (await api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural, name })) as T;
  const fixture: TenantFixture = {
    cluster,
    ns,
    name: prefix,
    db,
    wallet,
    schemas: [wallet, games],
    route,
    accounts,
    api,
    appConnection: () => bouncerClientConfigs(cluster.env, route)[0] as pg.ClientConfig,
    appConnections: () => bouncerClientConfigs(cluster.env, route),
    directAppConnection(side) {
      const info = side === 'source' ? db.source : db.target;
      return { ...fixture.appConnection(), host: info.host, port: info.port, database: info.dbname, ssl: tlsOptions(info) };
    },
    walletTraffic: (workers = 4, connection = fixture.appConnections()) =>
      new WalletTraffic({ connection, walletSchema: wallet, accounts, workers, thinkMs: 2 }).start(),
    waitRouteOwned: () =>
      fixture.waitCutover(
        'the route to be owned',
        (c) => c.status?.conditions?.some((x) => x.type === 'RouteOwned' && x.status === 'True') ?? false,
      ),
    async startOperator(identity = `${prefix}-operator`, extraEnv = {}) {
      const p = await startOperator({
        env: cluster.env,
        identity,
        namespace: ns,
        extraEnv,
        args: ['--lease-duration', '3s', '--renew-deadline', '2s', '--retry-period', '500ms'],
      });
      operators.push(p);
      return p;
    },
    async createReplication(extra = {}) {
      await api.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: ns,
        plural: 'schemareplications',
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: 'SchemaReplication',
          metadata: { name: prefix },
          spec: {
            tenant: prefix,
            source: { secretRef: { name: 'legacy-db' } },
            target: { secretRef: { name: 'rds-db' } },
            schemas: [wallet, games],
            ...extra,
          },
        },
      });
      await until(
        `SchemaReplication ${prefix} Ready`,
        async () => (await fixture.replication()).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        120_000,
      );
    },
    async createCutover(spec = {}) {
      await api.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: ns,
        plural: 'tenantcutovers',
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: 'TenantCutover',
          metadata: { name: prefix },
          spec: { replicationRef: { name: prefix }, routing: { pgbouncer: { pool: 'local', database: route } }, ...spec },
        },
      });
    },
    async patchCutover(spec) {
      await api.patchNamespacedCustomObject(
        { group: GROUP, version: VERSION, namespace: ns, plural: 'tenantcutovers', name: prefix, body: { spec } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    },
    async deleteAndWait(plural, meanwhile, timeoutMs = 120_000) {
      await api.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural, name: prefix });
      await meanwhile?.();
      await until(
        `${plural}/${prefix} to be gone`,
        async () => {
          try {
            await get(plural, prefix);
            return false;
          } catch (err) {
            if ((err as { code?: number }).code === 404) return true;
            throw err;
          }
        },
        timeoutMs,
      );
    },
    cutover: () => get<TenantCutover>('tenantcutovers', prefix),
    replication: () => get<SchemaReplication>('schemareplications', prefix),
    waitCutover: async (what, pred, timeoutMs = 120_000) => {
      let last: TenantCutover | undefined;
      try {
        return await until(
          what,
          async () => {
            last = await fixture.cutover();
            return pred(last) ? last : undefined;
          },
          timeoutMs,
        );
      } catch (err) {
        const ready = last?.status?.conditions?.find((c) => c.type === 'Ready');
        throw new Error(
          `${(err as Error).message}; last Ready=${ready?.status} ${ready?.reason}: ${ready?.message}; step ` +
            `${last?.status?.step ?? '-'}, active ${last?.status?.activeSide}`,
        );
      }
    },
    async dispose() {
      for (const [i, p] of operators.entries()) {
        if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
        // Kept for post-mortems of a failed run, beside the stack's own logs.
        await writeFile(join(cluster.stateDir, 'logs', `operator-${ns}-${i}.log`), p.output()).catch(() => undefined);
      }
      await db.drop();
    },
  };
  return fixture;
}

export interface BouncerDatabase {
  host: string;
  port: number;
  paused: boolean;
}

/** What every PgBouncer replica of pool "local" serves for `database` (SHOW DATABASES), replica 0 first. */
export async function bouncerDatabases(env: Record<string, string>, database: string): Promise<Array<BouncerDatabase | undefined>> {
  return Promise.all(
    (env.PGBOUNCER_ADMIN_URLS ?? '').split(' ').map(async (url) => {
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        const rows = (await admin.query<{ name: string; host: string; port: number; paused: number }>('SHOW DATABASES')).rows;
        const row = rows.find((r) => r.name === database);
        return row ? { host: row.host, port: Number(row.port), paused: Number(row.paused) === 1 } : undefined;
      } finally {
        await admin.end();
      }
    }),
  );
}

/** The application role's write privilege on a table, as PostgreSQL reports it (a REVOKE by a non-owner only warns). */
/** One client of `config` (the application's, through PgBouncer or straight to a side) for `run`. */
export async function asApp<T>(config: pg.ClientConfig, run: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client(config);
  await c.connect();
  try {
    return await run(c);
  } finally {
    await c.end();
  }
}

/**
 * Each write privilege the application holds on the table (has_table_privilege with a list is
 * any-of: a side holding INSERT alone would pass appCanWrite), with the table's ACL for a message.
 */
export async function appWritePrivileges(info: ConnectionInfo, table: string): Promise<{ privileges: string[]; acl: string }> {
  return withConnection(info, async (c) => {
    const res = await c.query<{ privileges: string[]; acl: string | null }>(
      `SELECT ARRAY(SELECT p FROM unnest(ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) AS p
                     WHERE has_table_privilege('app', $1::regclass, p)) AS privileges,
              (SELECT relacl::text FROM pg_class WHERE oid = $1::regclass) AS acl`,
      [table],
    );
    return { privileges: res.rows[0]?.privileges ?? [], acl: res.rows[0]?.acl ?? 'null' };
  });
}

export async function appCanWrite(info: ConnectionInfo, table: string): Promise<boolean> {
  return withConnection(info, async (c) => {
    const res = await c.query<{ ok: boolean }>(`SELECT has_table_privilege('app', $1::regclass, 'INSERT, UPDATE, DELETE') AS ok`, [table]);
    return res.rows[0]?.ok ?? false;
  });
}

/**
 * Stops pooled and bypassing traffic and checks the serving side's book: no pooled client failed
 * (but for refusals matching `pooledRefusals`),
 * every acknowledged transfer (through PgBouncer or around it) is there exactly once, every account
 * equals its ledger. Returns the bypassing writer's report (its refusals are expected).
 */
export async function assertBooksOn(
  t: TenantFixture,
  side: 'source' | 'target',
  pooled: WalletTraffic,
  bypass: WalletTraffic,
  pooledRefusals?: RegExp,
): Promise<TrafficReport> {
  const p = await pooled.stop();
  const b = await bypass.stop();
  // A pooled client may be refused only where the docs say so (safety over the client deadline).
  const failed = p.failures.filter((f) => !pooledRefusals?.test(f.message));
  assert.deepEqual(failed.slice(0, 3), [], `${failed.length} pooled client transaction(s) failed`);
  const acknowledged = [...p.acknowledged, ...b.acknowledged];
  const seen = await withConnection(t.db[side], (c) => checkInvariants(c, t.wallet, acknowledged));
  assert.deepEqual(seen, balancedBook(t.accounts, acknowledged));
  return b;
}
