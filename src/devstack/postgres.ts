// The local stack's PostgreSQL servers ("source" and "target"): initdb, a logical-replication
// configuration, TLS only over TCP, start as the unprivileged server user, and the roles and
// database every stack has. The target is shaped like RDS: its administrative role is not a superuser.
import { chownSync, existsSync, mkdirSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { runOrThrow, waitUntil, type DaemonOptions, type RunAs } from './process.js';
import type { StackTls } from './tls.js';
import { parseConnectionUrl, type ConnectionInfo } from '../postgres/connection.js';
import { PG_BIN } from './system.js';

/** The source's superuser; on the target, the RDS-like master user (a member of rds_superuser, not a superuser). */
export const SUPERUSER = 'postgres';
/** The target's real superuser, as RDS keeps `rdsadmin` to itself; only the narrow privileged steps use it. */
export const TARGET_SUPERUSER = 'rdsadmin';
export const REPLICATION_USER = 'replicator';
export const APP_USER = 'app';
export const DATABASE = 'wallet';

export interface PgServer {
  name: string;
  port: number;
  dataDir: string;
  logFile: string;
  socketDir: string;
  /** The initdb superuser: postgres on the source, rdsadmin on the RDS-like target. */
  superuser: string;
  tls: StackTls;
  runAs?: RunAs;
}

export interface PgRoles {
  /** On an RDS-like server: the master user's password (the master user is then SUPERUSER's name). */
  masterPassword?: string;
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
      server.superuser,
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
  writeOwned(join(server.dataDir, 'pg_hba.conf'), HBA, server.runAs);
}

/** TCP only with TLS: a client that does not ask for it is refused, so nothing can pass in clear text unnoticed. */
const HBA = `# tenantshift local stack: local sockets for the stack's own tools, TCP with TLS only
local     all          all                 scram-sha-256
hostssl   all          all   127.0.0.1/32  scram-sha-256
hostssl   replication  all   127.0.0.1/32  scram-sha-256
hostnossl all          all   0.0.0.0/0     reject
`;

function writeOwned(file: string, content: string, runAs: RunAs | undefined): void {
  writeFileSync(file, content, { mode: 0o600 });
  if (runAs) chownSync(file, runAs.uid, runAs.gid);
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
ssl = on
ssl_cert_file = '${server.tls.certFile}'
ssl_key_file = '${server.tls.keyFile}'
ssl_min_protocol_version = 'TLSv1.2'
# A throwaway local server: durability against power loss buys nothing here.
fsync = off
full_page_writes = off
log_line_prefix = '%m [%p] ${server.name} %q%u@%d '
`;
}

/** How a server is started (recorded in the state file, so that a fault test can restart it the same way). */
export function postgresDaemon(server: PgServer): DaemonOptions {
  return {
    name: `postgres ${server.name}`,
    command: join(PG_BIN, 'postgres'),
    args: ['-D', server.dataDir],
    logFile: server.logFile,
    // libpq in the server (a subscription's walreceiver) reads ~/.postgresql: HOME is the server's own dir.
    extraEnv: { HOME: server.socketDir },
    cwd: '/',
    runAs: server.runAs,
  };
}

/** node-pg's TLS options for the stack's servers: verify-full against the stack's CA. */
export function stackSsl(caFile: string): { ca: string; rejectUnauthorized: true } {
  // The host (127.0.0.1) is checked against the certificate's IP SAN; an IP is no TLS server name.
  return { ca: readFileSync(caFile, 'utf8'), rejectUnauthorized: true };
}

export interface AdminLogin {
  port: number;
  user: string;
  password: string;
  caFile: string;
}

export function adminConfig(login: AdminLogin, database = 'postgres'): pg.ClientConfig {
  const { port, user, password, caFile } = login;
  return { host: '127.0.0.1', port, user, password, database, ssl: stackSsl(caFile), connectionTimeoutMillis: 5000 };
}

export async function waitForPostgres(server: PgServer, pid: number, password: string): Promise<void> {
  const login = { port: server.port, user: server.superuser, password, caFile: server.tls.caFile };
  await waitUntil(
    `PostgreSQL ${server.name} on port ${server.port}`,
    async () => {
      const client = new pg.Client(adminConfig(login));
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
 * With masterPassword the server is RDS-like: SUPERUSER's name is its master user, not a superuser.
 */
export async function bootstrapServer(login: AdminLogin, roles: PgRoles): Promise<void> {
  const admin = new pg.Client(adminConfig(login));
  await admin.connect();
  try {
    await admin.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_replication') THEN CREATE ROLE rds_replication NOLOGIN; END IF;
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_superuser') THEN CREATE ROLE rds_superuser NOLOGIN; END IF;
    END $$`);
    if (roles.masterPassword !== undefined) await createRdsMaster(admin, login, roles.masterPassword);
    // Passwords cannot be bind parameters in utility statements; they are generated hex strings
    // or a verifier we computed, and are quoted as literals.
    await admin.query(
      `CREATE ROLE ${pg.escapeIdentifier(REPLICATION_USER)} LOGIN REPLICATION ` +
        `PASSWORD ${pg.escapeLiteral(roles.replicatorPassword)} IN ROLE rds_replication`,
    );
    await admin.query(`CREATE ROLE ${pg.escapeIdentifier(APP_USER)} LOGIN PASSWORD ${pg.escapeLiteral(roles.appVerifier)}`);
    const owner = roles.masterPassword !== undefined ? ` OWNER ${pg.escapeIdentifier(SUPERUSER)}` : '';
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(DATABASE)}${owner}`);
    await admin.query(
      `GRANT CONNECT, CREATE, TEMPORARY ON DATABASE ${pg.escapeIdentifier(DATABASE)} ` +
        `TO ${pg.escapeIdentifier(APP_USER)}, ${pg.escapeIdentifier(REPLICATION_USER)}`,
    );
  } finally {
    await admin.end();
  }
  const wallet = new pg.Client(adminConfig(login, DATABASE));
  await wallet.connect();
  try {
    await wallet.query(`GRANT ALL ON SCHEMA public TO ${pg.escapeIdentifier(APP_USER)}`);
  } finally {
    await wallet.end();
  }
}

/**
 * RDS's master user: LOGIN, CREATEDB, CREATEROLE, member of rds_superuser, never SUPERUSER. What RDS
 * grants rds_superuser and PostgreSQL lets a superuser grant: signalling backends, monitoring, and the
 * replication origin functions. REPLICATION stands in for RDS's rds_replication membership (vanilla
 * PostgreSQL only honours the attribute).
 */
async function createRdsMaster(admin: pg.Client, login: AdminLogin, password: string): Promise<void> {
  await admin.query(
    `CREATE ROLE ${pg.escapeIdentifier(SUPERUSER)} LOGIN CREATEDB CREATEROLE REPLICATION NOSUPERUSER ` +
      `PASSWORD ${pg.escapeLiteral(password)} IN ROLE rds_superuser, rds_replication`,
  );
  await admin.query('GRANT pg_signal_backend, pg_monitor, pg_read_all_settings, pg_checkpoint TO rds_superuser');
  // Function ACLs live in each database's pg_proc: granted in template1, every database created later has them.
  const template = new pg.Client(adminConfig(login, 'template1'));
  await template.connect();
  try {
    await template.query(`DO $$ DECLARE f regprocedure; BEGIN
      FOR f IN SELECT oid::regprocedure FROM pg_proc WHERE proname LIKE 'pg\\_replication\\_origin\\_%' LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO rds_superuser', f);
      END LOOP;
    END $$`);
  } finally {
    await template.end();
  }
}

export function mkdirOwned(dir: string, runAs: RunAs | undefined, mode: number): void {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode });
  if (runAs) chownSync(dir, runAs.uid, runAs.gid);
}

/** Connection settings from one of the stack's URLs, TLS included (they ask for verify-full with the stack CA file). */
export function stackConnectionInfo(url: string, dbname?: string): ConnectionInfo {
  // Both servers run on this host: the CA file the URL names is the one a subscription verifies with.
  const caFile = new URL(url).searchParams.get('sslrootcert');
  return {
    ...parseConnectionUrl(url, 'a stack URL', {}),
    ...(dbname ? { dbname } : {}),
    ...(caFile ? { subscriberRootCertPath: caFile } : {}),
  };
}

/**
 * The target's settings as a tenant's connection Secret gives them: the RDS-like master user and,
 * because this is vanilla PostgreSQL, the privileged login for CREATE SUBSCRIPTION alone.
 */
export function stackTargetInfo(env: Record<string, string | undefined>, dbname?: string): ConnectionInfo {
  const privileged = stackConnectionInfo(env.TARGET_PRIVILEGED_URL as string);
  return { ...stackConnectionInfo(env.TARGET_URL as string, dbname), privileged: { user: privileged.user, password: privileged.password } };
}

/** A connection Secret's stringData for these settings (the keys DESIGN.md names). */
export function connectionSecretStrings(info: ConnectionInfo): Record<string, string> {
  return {
    host: info.host,
    port: String(info.port),
    dbname: info.dbname,
    user: info.user,
    password: info.password,
    sslmode: info.sslmode,
    ...(info.sslrootcert ? { sslrootcert: info.sslrootcert } : {}),
    ...(info.subscriberRootCertPath ? { 'subscriber-sslrootcert-path': info.subscriberRootCertPath } : {}),
    ...(info.privileged ? { 'privileged-user': info.privileged.user, 'privileged-password': info.privileged.password } : {}),
  };
}
