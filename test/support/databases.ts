// A fresh database pair per test on the shared stack's source and target servers, with the
// connection settings and Secret data (base64, as the API returns it) of the superuser on each.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { stackConnectionInfo as infoFromUrl, stackTargetInfo as targetInfo } from '../../src/devstack/postgres.js';
import { clientConfig, type ConnectionInfo } from '../../src/postgres/connection.js';

export interface DatabasePair {
  name: string;
  source: ConnectionInfo;
  target: ConnectionInfo;
  drop(): Promise<void>;
}

export { stackConnectionInfo as infoFromUrl, stackTargetInfo as targetInfo } from '../../src/devstack/postgres.js';

export { secretData } from './direct.js';

async function admin(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function newDatabasePair(env: Record<string, string>, prefix: string): Promise<DatabasePair> {
  const name = `${prefix}_${randomBytes(3).toString('hex')}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const sourceUrl = env.SOURCE_URL as string;
  const targetUrl = env.TARGET_URL as string;
  await admin(sourceUrl, `CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  await admin(targetUrl, `CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  return {
    name,
    source: infoFromUrl(sourceUrl, name),
    target: targetInfo(env, name),
    async drop() {
      // A test that failed half-way may leave subscriptions and slots: clear them so DROP works.
      const target = infoFromUrl(targetUrl, name);
      await withConnection(target, async (c) => {
        const subs = await c.query<{ subname: string }>(
          'SELECT subname FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())',
        );
        for (const { subname } of subs.rows) {
          const s = pg.escapeIdentifier(subname);
          await c.query(`ALTER SUBSCRIPTION ${s} DISABLE`);
          await c.query(`ALTER SUBSCRIPTION ${s} SET (slot_name = NONE)`);
          await c.query(`DROP SUBSCRIPTION ${s}`);
        }
      }).catch(() => undefined);
      await admin(
        sourceUrl,
        `SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = ${pg.escapeLiteral(name)} AND active_pid IS ` +
          `NOT NULL`,
      ).catch(() => undefined);
      await admin(
        sourceUrl,
        `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = ${pg.escapeLiteral(name)} AND NOT active`,
      ).catch(() => undefined);
      await admin(targetUrl, `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`).catch(() => undefined);
      await admin(sourceUrl, `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`).catch(() => undefined);
    },
  };
}

export async function withConnection<T>(info: ConnectionInfo, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ ...clientConfig(info), application_name: 'tenantshift-test' });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
