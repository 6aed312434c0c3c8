// The local stack's PgBouncers in front of the source (two replicas of pool "local", as production runs
// several): transaction pooling, SCRAM pass-through for `app`, TLS towards clients and verify-full
// towards the servers, the admin console, and an included routes file that only the replica's route
// agent writes.
import { chownSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { waitUntil, type DaemonOptions, type RunAs } from './process.js';
import { APP_USER, DATABASE, mkdirOwned, stackSsl } from './postgres.js';
import type { StackTls } from './tls.js';

export const PGBOUNCER_ADMIN_USER = 'pgbouncer_admin';

export interface PgBouncerSetup {
  /** The daemon's name in the stack: pgbouncer, pgbouncer-1, ... */
  name: string;
  dir: string;
  tls: StackTls;
  port: number;
  sourcePort: number;
  appVerifier: string;
  adminPassword: string;
  logFile: string;
  runAs?: RunAs;
}

export interface PgBouncerFiles {
  ini: string;
  routes: string;
  userlist: string;
}

export function pgbouncerFiles(dir: string): PgBouncerFiles {
  return { ini: join(dir, 'pgbouncer.ini'), routes: join(dir, 'routes.ini'), userlist: join(dir, 'userlist.txt') };
}

export function writePgBouncerConfig(setup: PgBouncerSetup): PgBouncerFiles {
  mkdirOwned(setup.dir, setup.runAs, 0o700);
  const files = pgbouncerFiles(setup.dir);
  const ini = `;; tenantshift local stack: ${setup.name}, a replica of pool "local" in front of the source
[databases]
${DATABASE} = host=127.0.0.1 port=${setup.sourcePort} dbname=${DATABASE}
;; Routes of TenantCutovers: this file belongs to the route agent of pool "local".
%include ${files.routes}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${setup.port}
unix_socket_dir = ${setup.dir}
pidfile = ${join(setup.dir, 'pgbouncer.pid')}
auth_type = scram-sha-256
auth_file = ${files.userlist}
admin_users = ${PGBOUNCER_ADMIN_USER}
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
ignore_startup_parameters = extra_float_digits,options
server_reset_query =
client_tls_sslmode = require
client_tls_key_file = ${setup.tls.keyFile}
client_tls_cert_file = ${setup.tls.certFile}
client_tls_ca_file = ${setup.tls.caFile}
server_tls_sslmode = verify-full
server_tls_ca_file = ${setup.tls.caFile}
`;
  const userlist = `"${APP_USER}" "${setup.appVerifier}"\n"${PGBOUNCER_ADMIN_USER}" "${setup.adminPassword}"\n`;
  write(files.ini, ini, setup.runAs);
  write(files.userlist, userlist, setup.runAs);
  write(files.routes, ';; managed by tenantshift route-agent\n', setup.runAs);
  return files;
}

function write(file: string, content: string, runAs: RunAs | undefined): void {
  writeFileSync(file, content, { mode: 0o600 });
  if (runAs) chownSync(file, runAs.uid, runAs.gid);
}

/** How a replica is started (recorded in the state file, so that a fault test can restart it the same way). */
export function pgbouncerDaemon(setup: PgBouncerSetup, files: PgBouncerFiles): DaemonOptions {
  return { name: setup.name, command: 'pgbouncer', args: [files.ini], logFile: setup.logFile, cwd: '/', runAs: setup.runAs };
}

export async function waitForPgBouncer(setup: PgBouncerSetup, pid: number): Promise<void> {
  await waitUntil(
    `PgBouncer ${setup.name} on port ${setup.port}`,
    async () => {
      const admin = new pg.Client({
        host: '127.0.0.1',
        port: setup.port,
        user: PGBOUNCER_ADMIN_USER,
        password: setup.adminPassword,
        database: 'pgbouncer',
        ssl: stackSsl(setup.tls.caFile),
        connectionTimeoutMillis: 3000,
      });
      try {
        await admin.connect();
        await admin.query('SHOW VERSION');
        return true;
      } finally {
        await admin.end().catch(() => undefined);
      }
    },
    { timeoutMs: 30_000, pid, logFile: setup.logFile },
  );
}

/**
 * Client settings for `database` through every PgBouncer replica a stack's environment names
 * (PGBOUNCER_URLS, space-separated), with TLS verified against the stack CA.
 */
export function bouncerClientConfigs(env: Record<string, string | undefined>, database: string): pg.ClientConfig[] {
  return (env.PGBOUNCER_URLS ?? env.PGBOUNCER_URL ?? '')
    .split(' ')
    .filter(Boolean)
    .map((raw) => {
      const u = new URL(raw);
      const ca = u.searchParams.get('sslrootcert');
      return {
        host: u.hostname,
        port: Number(u.port),
        user: decodeURIComponent(u.username),
        password: decodeURIComponent(u.password),
        database,
        ...(ca ? { ssl: stackSsl(ca) } : {}),
      };
    });
}
