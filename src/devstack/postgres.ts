// The local stack's PostgreSQL servers ("source" and "target"): initdb, a logical-replication
// configuration, start as the unprivileged server user, and the roles and database every stack has.
import { chownSync, existsSync, mkdirSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { runOrThrow, startDaemon, waitUntil, type RunAs } from './process.js';
import { PG_BIN } from './system.js';

export const SUPERUSER = 'postgres';
export const REPLICATION_USER = 'replicator';
export const APP_USER = 'app';
export const DATABASE = 'wallet';

export interface PgServer {
  name: string;
  port: number;
  dataDir: string;
  logFile: string;
  socketDir: string;
  runAs?: RunAs;
}

export interface PgRoles {
  superPassword: string;
  replicatorPassword: string;
  /** The application role's SCRAM verifier: identical on both servers. */
  appVerifier: string;
}

/** initdb with SCRAM for TCP and a configuration fit for logical replication. */
export function initPostgres(server: PgServer, superPassword: string): void {
  mkdirOwned(server.dataDir, server.runAs, 0o700);
  mkdirOwned(server.socketDir, server.runAs, 0o700);
  const pwfile = join(server.socketDir, 'initdb.pw');
  writeFileSync(pwfile, `${superPassword}\n`, { mode: 0o600 });
  if (server.runAs) chownSync(pwfile, server.runAs.uid, server.runAs.gid);
  runOrThrow(
    join(PG_BIN, 'initdb'),
    [
      '-D',
      server.dataDir,
      '-U',
      SUPERUSER,
      `--pwfile=${pwfile}`,
      '--auth-host=scram-sha-256',
      '--auth-local=scram-sha-256',
      '-E',
      'UTF8',
      '--locale=C.UTF-8',
      '--no-sync',
    ],
    { ...(server.runAs ? { uid: server.runAs.uid, gid: server.runAs.gid } : {}), cwd: '/' },
  );
  appendFileSync(join(server.dataDir, 'postgresql.conf'), serverConfig(server));
}

function serverConfig(server: PgServer): string {
  return `
# tenantshift local stack (${server.name})
listen_addresses = '127.0.0.1'
port = ${server.port}
unix_socket_directories = '${server.socketDir}'
max_connections = 300
wal_level = logical
max_replication_slots = 64
max_wal_senders = 64
max_logical_replication_workers = 24
max_worker_processes = 40
max_sync_workers_per_subscription = 4
password_encryption = 'scram-sha-256'
# A throwaway local server: durability against power loss buys nothing here.
fsync = off
full_page_writes = off
log_line_prefix = '%m [%p] ${server.name} %q%u@%d '
`;
}

export function startPostgres(server: PgServer): number {
  return startDaemon({
    name: `postgres ${server.name}`,
    command: join(PG_BIN, 'postgres'),
    args: ['-D', server.dataDir],
    logFile: server.logFile,
    cwd: '/',
    runAs: server.runAs,
  });
}

export function superuserConfig(port: number, password: string, database = 'postgres'): pg.ClientConfig {
  return { host: '127.0.0.1', port, user: SUPERUSER, password, database, connectionTimeoutMillis: 5000 };
}

export async function waitForPostgres(server: PgServer, pid: number, password: string): Promise<void> {
  await waitUntil(
    `PostgreSQL ${server.name} on port ${server.port}`,
    async () => {
      const client = new pg.Client(superuserConfig(server.port, password));
      try {
        await client.connect();
        await client.query('SELECT 1');
        return true;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    { timeoutMs: 60_000, pid, logFile: server.logFile },
  );
}

/**
 * Creates the roles and the database of every stack: a replication role (no superuser), the
 * application role with the given SCRAM verifier, RDS's role names for realism, database `wallet`.
 */
export async function bootstrapServer(port: number, roles: PgRoles): Promise<void> {
  const admin = new pg.Client(superuserConfig(port, roles.superPassword));
  await admin.connect();
  try {
    await admin.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_replication') THEN CREATE ROLE rds_replication NOLOGIN; END IF;
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_superuser') THEN CREATE ROLE rds_superuser NOLOGIN; END IF;
    END $$`);
    // Passwords cannot be bind parameters in utility statements; they are generated hex strings
    // or a verifier we computed, and are quoted as literals.
    await admin.query(
      `CREATE ROLE ${pg.escapeIdentifier(REPLICATION_USER)} LOGIN REPLICATION ` +
        `PASSWORD ${pg.escapeLiteral(roles.replicatorPassword)} IN ROLE rds_replication`,
    );
    await admin.query(`CREATE ROLE ${pg.escapeIdentifier(APP_USER)} LOGIN PASSWORD ${pg.escapeLiteral(roles.appVerifier)}`);
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(DATABASE)}`);
    await admin.query(
      `GRANT CONNECT, CREATE, TEMPORARY ON DATABASE ${pg.escapeIdentifier(DATABASE)} ` +
        `TO ${pg.escapeIdentifier(APP_USER)}, ${pg.escapeIdentifier(REPLICATION_USER)}`,
    );
  } finally {
    await admin.end();
  }
  const wallet = new pg.Client(superuserConfig(port, roles.superPassword, DATABASE));
  await wallet.connect();
  try {
    await wallet.query(`GRANT ALL ON SCHEMA public TO ${pg.escapeIdentifier(APP_USER)}`);
  } finally {
    await wallet.end();
  }
}

export function mkdirOwned(dir: string, runAs: RunAs | undefined, mode: number): void {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode });
  if (runAs) chownSync(dir, runAs.uid, runAs.gid);
}
