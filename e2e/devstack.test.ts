// The local stack's contract (DESIGN.md): what `dev env` exports and what each part really is.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ApiextensionsV1Api } from '@kubernetes/client-node';
import pg from 'pg';
import { isAlive } from '../src/devstack/process.js';
import { devEnv, readState } from '../src/devstack/stack.js';
import { packageRoot, stackPaths } from '../src/devstack/paths.js';
import { isRoot } from '../src/devstack/system.js';
import { testCluster, type TestCluster } from '../test/support/cluster.js';

const REQUIRED = [
  'KUBECONFIG',
  'SOURCE_URL',
  'TARGET_URL',
  'TARGET_PRIVILEGED_URL',
  'TLS_CA_FILE',
  'PGBOUNCER_URL',
  'PGBOUNCER_ADMIN_URL',
  'PGBOUNCER_URLS',
  'PGBOUNCER_ADMIN_URLS',
  'PGBOUNCER_ROUTES_FILES',
  'AWS_ENDPOINT_URL',
  'AWS_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
];

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('local stack (dev up, shared by the test run)', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await testCluster();
  });

  it('exports every variable of the contract', () => {
    for (const key of REQUIRED) assert.ok(cluster.env[key], `dev env lacks ${key}`);
  });

  it('runs source and target with wal_level=logical and database wallet', async () => {
    for (const url of [cluster.env.SOURCE_URL as string, cluster.env.TARGET_URL as string]) {
      const [row] = await query<{ wal_level: string; db: string }>(
        url,
        `SELECT current_setting('wal_level') AS wal_level, current_database() AS db`,
      );
      assert.deepEqual(row, { wal_level: 'logical', db: 'wallet' });
    }
  });

  it('gives the target an RDS-like master user: a member of rds_superuser, never a superuser', async () => {
    const facts = `SELECT current_user AS u, r.rolsuper AS su, r.rolcreaterole AS createrole, r.rolcreatedb AS createdb,
                          pg_has_role(current_user, 'rds_superuser', 'MEMBER') AS rds_superuser
                     FROM pg_roles r WHERE r.rolname = current_user`;
    const [master] = await query<Record<string, unknown>>(cluster.env.TARGET_URL as string, facts);
    assert.deepEqual(master, { u: 'postgres', su: false, createrole: true, createdb: true, rds_superuser: true });
    // What RDS grants rds_superuser and the move needs: the replication origin functions.
    const [origin] = await query<{ ok: boolean }>(
      cluster.env.TARGET_URL as string,
      `SELECT has_function_privilege('pg_replication_origin_advance(text, pg_lsn)', 'EXECUTE') AS ok`,
    );
    assert.equal(origin?.ok, true);
    // The real superuser is someone else, as RDS keeps rdsadmin to itself.
    const [admin] = await query<{ u: string; su: boolean }>(
      cluster.env.TARGET_PRIVILEGED_URL as string,
      'SELECT current_user AS u, rolsuper AS su FROM pg_roles WHERE rolname = current_user',
    );
    assert.deepEqual(admin, { u: 'rdsadmin', su: true });
  });

  it('speaks TLS only, verified against the stack CA, on both servers and every PgBouncer', async () => {
    const urls = [cluster.env.SOURCE_URL, cluster.env.TARGET_URL, ...(cluster.env.PGBOUNCER_URLS ?? '').split(' ')] as string[];
    assert.equal(urls.length, 4);
    for (const url of urls) {
      assert.match(url, /sslmode=verify-full&sslrootcert=/);
      const plain = url.replace(/\?.*$/, '?sslmode=disable');
      await assert.rejects(
        query(plain, 'SELECT 1'),
        /no encryption|SSL required/,
        `${url.replace(/:[^:@]*@/, ':***@')} accepts clear text`,
      );
    }
    const [ssl] = await query<{ ssl: boolean }>(
      cluster.env.SOURCE_URL as string,
      'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
    );
    assert.equal(ssl?.ssl, true);
  });

  it('gives app the identical SCRAM verifier on both servers, and a replication role without superuser', async () => {
    const sql = `SELECT rolname, rolpassword, rolsuper, rolreplication FROM pg_authid
                 WHERE rolname IN ('app', 'replicator') ORDER BY rolname`;
    const source = await query<{ rolname: string; rolpassword: string; rolsuper: boolean; rolreplication: boolean }>(
      cluster.env.SOURCE_URL as string,
      sql,
    );
    // pg_authid is for superusers: on the RDS-like target only rdsadmin reads it.
    const target = await query<{ rolname: string; rolpassword: string; rolsuper: boolean; rolreplication: boolean }>(
      cluster.env.TARGET_PRIVILEGED_URL as string,
      sql,
    );
    assert.equal(source.length, 2);
    assert.match(source[0]?.rolpassword ?? '', /^SCRAM-SHA-256\$/);
    assert.equal(source[0]?.rolpassword, target[0]?.rolpassword, 'app verifier differs between source and target');
    for (const side of [source, target]) {
      assert.equal(side[0]?.rolsuper, false, 'app must not be a superuser');
      assert.equal(side[1]?.rolsuper, false, 'replicator must not be a superuser');
      assert.equal(side[1]?.rolreplication, true, 'replicator must have REPLICATION');
    }
    // The verifier really is the app password's: the app role logs in directly on both servers.
    for (const url of [cluster.env.APP_SOURCE_URL as string, cluster.env.APP_TARGET_URL as string]) {
      const [row] = await query<{ u: string }>(url, 'SELECT current_user AS u');
      assert.equal(row?.u, 'app');
    }
  });

  it('serves wallet through two PgBouncer replicas in transaction pooling, as app, with SCRAM pass-through to the source', async () => {
    const source = await query<{ port: string }>(cluster.env.SOURCE_URL as string, `SELECT current_setting('port') AS port`);
    const bouncers = (cluster.env.PGBOUNCER_URLS ?? '').split(' ');
    const admins = (cluster.env.PGBOUNCER_ADMIN_URLS ?? '').split(' ');
    assert.equal(bouncers.length, 2);
    assert.equal(bouncers[0], cluster.env.PGBOUNCER_URL);
    for (const [i, url] of bouncers.entries()) {
      const [row] = await query<{ u: string; port: string }>(url, `SELECT current_user AS u, current_setting('port') AS port`);
      assert.deepEqual(row, { u: 'app', port: source[0]?.port });
      const config = await query<{ key: string; value: string }>(admins[i] as string, 'SHOW CONFIG');
      assert.equal(config.find((c) => c.key === 'pool_mode')?.value, 'transaction');
      assert.equal(config.find((c) => c.key === 'server_tls_sslmode')?.value, 'verify-full');
    }
  });

  it('runs PostgreSQL and PgBouncer as an unprivileged user', async () => {
    const state = readState(stackPaths(cluster.stateDir, isRoot()));
    for (const name of ['postgres-source', 'postgres-target', 'pgbouncer', 'pgbouncer-1']) {
      const pid = state?.pids.find((p) => p.name === name)?.pid;
      assert.ok(pid && isAlive(pid), `${name} is not running`);
      const uid = spawnSync('ps', ['-o', 'uid=', '-p', String(pid)], { encoding: 'utf8' }).stdout.trim();
      assert.ok(uid !== '' && uid !== '0', `${name} (pid ${pid}) runs as uid ${uid}`);
    }
  });

  it('answers the EC2 API through moto with the exported endpoint', async () => {
    const ec2 = new EC2Client({
      endpoint: cluster.env.AWS_ENDPOINT_URL,
      region: cluster.env.AWS_REGION,
      credentials: { accessKeyId: cluster.env.AWS_ACCESS_KEY_ID as string, secretAccessKey: cluster.env.AWS_SECRET_ACCESS_KEY as string },
    });
    const out = await ec2.send(new DescribeVpcsCommand({}));
    assert.ok(Array.isArray(out.Vpcs));
  });

  it('has the three CRDs Established on a kube-apiserver that enforces authentication', async () => {
    const api = cluster.kc.makeApiClient(ApiextensionsV1Api);
    for (const name of ['landingzones', 'schemareplications', 'tenantcutovers']) {
      const crd = await api.readCustomResourceDefinition({ name: `${name}.tenantshift.io` });
      const established = crd.status?.conditions?.find((c) => c.type === 'Established');
      assert.equal(established?.status, 'True', `${name} not Established`);
    }
    const current = cluster.kc.getCurrentCluster();
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = httpsRequest(
        `${current?.server}/api/v1/namespaces`,
        { ca: Buffer.from(current?.caData ?? '', 'base64'), headers: { Authorization: 'Bearer not-a-token' } },
        (res) => {
          res.resume();
          resolve(res.statusCode);
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 401);
  });
});

describe('tenantshift dev up / env / down (the command, on its own stack)', function () {
  this.timeout(240_000);
  const cli = join(packageRoot(), 'dist', 'src', 'cli', 'main.js');
  const stateDir = mkdtempSync(join(tmpdir(), 'tenantshift-devstack-'));
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'dev', ...args, '--state-dir', stateDir], { encoding: 'utf8' });

  after(() => {
    run('down');
  });

  it('starts the stack with the operator, is idempotent, and leaves no process after down', () => {
    const up = run('up');
    assert.equal(up.status, 0, up.stderr);
    const env = run('env');
    assert.equal(env.status, 0, env.stderr);
    for (const key of REQUIRED) assert.match(env.stdout, new RegExp(`^export ${key}=`, 'm'));
    const pids = Object.values(
      JSON.parse(spawnSync('cat', [join(stateDir, 'stack.json')], { encoding: 'utf8' }).stdout).pids as Array<{
        name: string;
        pid: number;
      }>,
    );
    assert.ok(
      pids.some((p) => p.name === 'operator'),
      'no operator in the stack',
    );
    assert.ok(pids.every((p) => isAlive(p.pid)));

    const again = run('up');
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /already running; nothing changed/);

    const down = run('down');
    assert.equal(down.status, 0, down.stderr);
    for (const p of pids) assert.equal(isAlive(p.pid), false, `${p.name} (pid ${p.pid}) survived dev down`);

    const stopped = run('env');
    assert.notEqual(stopped.status, 0);
    assert.match(stopped.stderr, /No stack is running/);
    assert.throws(() => devEnv(stateDir), /dev up/);
  });
});
