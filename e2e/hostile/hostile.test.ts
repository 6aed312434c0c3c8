// The hostile-input suite: bad manifests (every row of the invalid-manifest table), bad connection
// Secrets and bad route agent requests, each refused with the field or object named (and, for
// Secrets and agents, without repeating the value), and after each one both servers, every
// PgBouncer's routes and AWS exactly as before. The tenant is live: replicating, its route owned.
import assert from 'node:assert/strict';
import { DescribeSecurityGroupsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { CoordinationV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { GROUP, VERSION } from '../../src/api/common.js';
import { connectionSecretStrings } from '../../src/devstack/postgres.js';
import { AGENT_LABEL, ENDPOINT_ANNOTATION, POOL_LABEL } from '../../src/routing/protocol.js';
import type { ConnectionInfo } from '../../src/postgres/connection.js';
import { withConnection } from '../../test/support/databases.js';
import { INVALID_CASES, PLURAL, loadSamples, refuse, sampleOf, type CrKind, type SpecOf } from '../../test/support/manifests.js';
import { tenantFixture, type TenantFixture } from '../../test/support/tenant.js';
import { createRefusedReplication, refusalOf } from '../../test/support/refusals.js';

const HOSTILE = 'evil = host=attacker.invalid';

async function databaseState(info: ConnectionInfo): Promise<unknown> {
  // pg_subscription is a superuser's to read: the target is read with its privileged login.
  const reader = info.privileged ? { ...info, user: info.privileged.user, password: info.privileged.password } : info;
  return withConnection(reader, async (c) => {
    const q = async (sql: string): Promise<unknown[]> => (await c.query(sql)).rows;
    return {
      slots: await q('SELECT slot_name, plugin, slot_type FROM pg_replication_slots WHERE database = current_database() ORDER BY 1'),
      publications: await q('SELECT pubname FROM pg_publication ORDER BY 1'),
      subscriptions: await q(
        'SELECT subname, subenabled, md5(subconninfo) AS conninfo FROM pg_subscription WHERE subdbid = ' +
          '(SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY 1',
      ),
      schemas: await q("SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' ORDER BY 1"),
      tables: await q("SELECT count(*)::int AS n FROM pg_class WHERE relkind IN ('r', 'p')"),
      grants: await q("SELECT count(*)::int AS n FROM information_schema.role_table_grants WHERE grantee = 'app'"),
      databases: await q('SELECT datname FROM pg_database ORDER BY 1'),
    };
  });
}

async function bouncerState(env: Record<string, string>): Promise<unknown> {
  const out: unknown[] = [];
  for (const url of (env.PGBOUNCER_ADMIN_URLS ?? '').split(' ')) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const rows = (await admin.query<{ name: string; host: string; port: number; database: string }>('SHOW DATABASES')).rows;
      out.push(rows.map((r) => `${r.name}=${r.host}:${r.port}/${r.database}`).sort());
    } finally {
      await admin.end();
    }
  }
  for (const f of (env.PGBOUNCER_ROUTES_FILES ?? '').split(' ')) out.push(readFileSync(f, 'utf8'));
  return out;
}

async function awsState(env: Record<string, string>): Promise<unknown> {
  const config = {
    region: env.AWS_REGION as string,
    endpoint: env.AWS_ENDPOINT_URL as string,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID as string, secretAccessKey: env.AWS_SECRET_ACCESS_KEY as string },
  };
  const ec2 = new EC2Client(config);
  const rds = new RDSClient(config);
  try {
    const vpcs = (await ec2.send(new DescribeVpcsCommand({}))).Vpcs ?? [];
    const groups = (await ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups ?? [];
    const dbs = (await rds.send(new DescribeDBInstancesCommand({}))).DBInstances ?? [];
    return {
      vpcs: vpcs.map((v) => `${v.VpcId} ${v.CidrBlock}`).sort(),
      groups: groups.map((g) => `${g.GroupId} ${JSON.stringify(g.IpPermissions)}`).sort(),
      dbs: dbs.map((d) => `${d.DBInstanceIdentifier} ${d.DBInstanceStatus}`).sort(),
    };
  } finally {
    ec2.destroy();
    rds.destroy();
  }
}

/** Bad connection Secrets: the source Secret with one key made hostile, and the key the refusal must name. */
function secretCases(source: ConnectionInfo): Array<{ name: string; key: string; data: Record<string, string | undefined> }> {
  const base = connectionSecretStrings(source) as Record<string, string | undefined>;
  const withKey = (key: string, value: string | undefined): Record<string, string | undefined> => ({ ...base, [key]: value });
  return [
    { name: 'a whole DSN as host', key: 'host', data: withKey('host', `postgresql://app:${source.password}@db.internal/x`) },
    { name: 'a route injected through host', key: 'host', data: withKey('host', `db\n${HOSTILE}`) },
    { name: 'a quoted host', key: 'host', data: withKey('host', "db' dbname='other") },
    { name: 'a route injected through port', key: 'port', data: withKey('port', `5432\n${HOSTILE}`) },
    { name: 'a port out of range', key: 'port', data: withKey('port', '70000') },
    { name: 'a route injected through dbname', key: 'dbname', data: withKey('dbname', `wallet\n${HOSTILE}`) },
    { name: 'a dbname over 63 bytes', key: 'dbname', data: withKey('dbname', 'd'.repeat(64)) },
    { name: 'an unknown sslmode', key: 'sslmode', data: withKey('sslmode', 'prefer\nsslmode=disable') },
    { name: 'verify-full without a CA', key: 'sslrootcert', data: { ...withKey('sslmode', 'verify-full'), sslrootcert: undefined } },
    { name: 'a relative subscriber CA path', key: 'subscriber-sslrootcert-path', data: withKey('subscriber-sslrootcert-path', 'ca.pem') },
    {
      name: 'a subscriber CA path with a line break',
      key: 'subscriber-sslrootcert-path',
      data: withKey('subscriber-sslrootcert-path', "/etc/ca.pem\nsslmode='disable'"),
    },
    {
      name: 'a privileged user without its password',
      key: 'privileged',
      data: { ...withKey('privileged-user', 'postgres'), 'privileged-password': undefined },
    },
    { name: 'no password', key: 'password', data: withKey('password', undefined) },
  ];
}

interface AgentCase {
  name: string;
  path: string;
  body: string;
  status: number;
  /** Must appear in the refusal. */
  names: string;
  token?: string;
}

function agentCases(database: string): AgentCase[] {
  const route = { host: '127.0.0.1', port: 5432, dbname: 'wallet', side: 'target', revision: 99 };
  const flip = (r: Record<string, unknown>, extra: Record<string, unknown> = {}): string =>
    JSON.stringify({ database, moveId: 'hostile', route: { ...route, ...r }, ...extra });
  const pause = (extra: Record<string, unknown>): string => JSON.stringify({ database, moveId: 'hostile', deadlineInMs: 1000, ...extra });
  return [
    { name: 'a route injected through port', path: '/v1/flip', body: flip({ port: `5432\n${HOSTILE}` }), status: 400, names: 'route.port' },
    { name: 'a route injected through host', path: '/v1/flip', body: flip({ host: `db\n${HOSTILE}` }), status: 400, names: 'route.host' },
    { name: 'a quoted host', path: '/v1/flip', body: flip({ host: "db' x='" }), status: 400, names: 'route.host' },
    { name: 'a dbname with a line break', path: '/v1/flip', body: flip({ dbname: `w\n${HOSTILE}` }), status: 400, names: 'route.dbname' },
    { name: 'a negative revision', path: '/v1/flip', body: flip({ revision: -1 }), status: 400, names: 'route.revision' },
    { name: 'no route', path: '/v1/flip', body: JSON.stringify({ database, moveId: 'hostile' }), status: 400, names: 'route' },
    {
      name: 'a database injected',
      path: '/v1/flip',
      body: JSON.stringify({ database: `${database}\n${HOSTILE}`, moveId: 'hostile', route }),
      status: 400,
      names: 'database',
    },
    { name: 'an hour-long pause', path: '/v1/pause', body: pause({ deadlineInMs: 3_600_000 }), status: 400, names: 'deadlineInMs' },
    { name: 'a negative pause', path: '/v1/pause', body: pause({ deadlineInMs: -1 }), status: 400, names: 'deadlineInMs' },
    { name: 'a pause without a move', path: '/v1/pause', body: pause({ moveId: undefined }), status: 400, names: 'moveId' },
    { name: 'a move id of 200 characters', path: '/v1/pause', body: pause({ moveId: 'm'.repeat(200) }), status: 400, names: 'moveId' },
    {
      name: 'an empty database to resume',
      path: '/v1/resume',
      body: JSON.stringify({ database: '', moveId: 'x' }),
      status: 400,
      names: 'database',
    },
    { name: 'a body that is not JSON', path: '/v1/pause', body: '{"database": ', status: 400, names: 'not JSON' },
    { name: 'a body over 64 KiB', path: '/v1/flip', body: flip({}, { pad: 'x'.repeat(70_000) }), status: 413, names: 'over 65536 bytes' },
    { name: 'a wrong token', path: '/v1/pause', body: pause({}), status: 401, names: 'bearer token', token: 'not-the-token' },
  ];
}

describe('hostile input: refused, named, and nothing changed', function () {
  this.timeout(300_000);
  let t: TenantFixture;
  let snapshot: () => Promise<string>;
  let baseline = '';
  const samples = loadSamples();

  before(async () => {
    t = await tenantFixture('hostile', 10);
    await t.startOperator('hostile-op');
    await t.createReplication();
    await t.createCutover();
    await t.waitRouteOwned();
    snapshot = async () =>
      JSON.stringify({
        source: await databaseState(t.db.source),
        target: await databaseState(t.db.target),
        pgbouncer: await bouncerState(t.cluster.env),
        aws: await awsState(t.cluster.env),
      });
    baseline = await snapshot();
  });
  after(async () => {
    await t?.dispose();
  });

  const unchanged = async (what: string): Promise<void> => {
    const now = await snapshot();
    if (now !== baseline) assert.fail(`${what} changed the world:\nbefore ${baseline}\nafter  ${now}`);
  };

  it(`refuses each of the ${INVALID_CASES.length} invalid manifests at admission, naming the field, changing nothing`, async () => {
    const api = t.cluster.kc.makeApiClient(CustomObjectsApi);
    assert.ok(INVALID_CASES.length >= 30);
    for (const [i, invalid] of INVALID_CASES.entries()) {
      const object = sampleOf(samples, invalid.kind, `hostile-${i}`);
      (invalid.mutate as (spec: SpecOf[CrKind]) => void)(object.spec);
      const refusal = await refuse(
        api.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: t.ns, plural: PLURAL[invalid.kind], body: object }),
        `${invalid.kind} with ${invalid.name}`,
      );
      assert.equal(refusal.code, 422, `${invalid.name}: ${refusal.message}`);
      assert.ok(refusal.message.includes(invalid.expectField), `${invalid.name}: should name ${invalid.expectField}: ${refusal.message}`);
    }
    await unchanged('an invalid manifest');
  });

  it('refuses each hostile connection Secret by its key, never repeating the value, changing nothing', async () => {
    const core = t.cluster.kc.makeApiClient(CoreV1Api);
    const api = t.cluster.kc.makeApiClient(CustomObjectsApi);
    const cases = secretCases(t.db.source);
    for (const [i, c] of cases.entries()) {
      const name = `hostile-secret-${i}`;
      const data = Object.fromEntries(
        Object.entries(c.data)
          .filter((e): e is [string, string] => e[1] !== undefined)
          .map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
      );
      await core.createNamespacedSecret({ namespace: t.ns, body: { metadata: { name }, data } });
      await createRefusedReplication(api, t.ns, name, { source: name, target: 'rds-db' });
      const ready = await refusalOf(api, t.ns, name);
      assert.equal(ready.reason, 'SecretInvalid', `${c.name}: ${ready.reason}: ${ready.message}`);
      assert.ok(
        ready.message.includes(name) && ready.message.includes(c.key),
        `${c.name}: should name ${name} and ${c.key}: ${ready.message}`,
      );
      const hostile = c.data[c.key];
      if (hostile && hostile !== (connectionSecretStrings(t.db.source) as Record<string, string>)[c.key])
        assert.ok(!ready.message.includes(hostile), `${c.name}: the refusal repeats the value`);
      assert.ok(!ready.message.includes(t.db.source.password), `${c.name}: the refusal carries the password`);
      await unchanged(c.name);
    }
  });

  it('refuses each hostile route agent request by its field, at every agent, changing nothing', async () => {
    const leases = await t.cluster.kc.makeApiClient(CoordinationV1Api).listNamespacedLease({
      namespace: t.cluster.env.TENANTSHIFT_OPERATOR_NAMESPACE as string,
      labelSelector: `${AGENT_LABEL}=true,${POOL_LABEL}=local`,
    });
    const endpoints = leases.items.map((l) => l.metadata?.annotations?.[ENDPOINT_ANNOTATION]).filter((e): e is string => !!e);
    assert.ok(endpoints.length >= 2, `${endpoints.length} agents`);
    for (const endpoint of endpoints)
      for (const c of agentCases(t.route)) {
        const res = await fetch(`${endpoint}${c.path}`, {
          method: 'POST',
          headers: {
            Authorization: `Bearer ${c.token ?? t.cluster.env.TENANTSHIFT_ROUTE_AGENT_TOKEN}`,
            'Content-Type': 'application/json',
          },
          body: c.body,
        }).catch((err: unknown) => ({ status: 0, text: async () => String(err) }));
        const text = await res.text();
        assert.equal(res.status, c.status, `${c.name} at ${endpoint}: ${text}`);
        assert.ok(text.includes(c.names), `${c.name}: should name ${c.names}: ${text}`);
        assert.ok(!text.includes(HOSTILE), `${c.name}: the refusal repeats the value`);
        await unchanged(`${c.name} at ${endpoint}`);
      }
  });
});
