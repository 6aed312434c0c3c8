// The local stack's PgBouncer in front of the source: transaction pooling, SCRAM pass-through for
// `app`, the admin console, and an included routes file that only the route agent writes.
import { chownSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { startDaemon, waitUntil, type RunAs } from './process.js';
import { APP_USER, DATABASE, mkdirOwned } from './postgres.js';

export const PGBOUNCER_ADMIN_USER = 'pgbouncer_admin';

export interface PgBouncerSetup {
  dir: string;
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
  const ini = `;; tenantshift local stack: PgBouncer in front of the source
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

export function startPgBouncer(setup: PgBouncerSetup, files: PgBouncerFiles): number {
  return startDaemon({
    name: 'pgbouncer',
    command: 'pgbouncer',
    args: [files.ini],
    logFile: setup.logFile,
    cwd: '/',
    runAs: setup.runAs,
  });
}

export async function waitForPgBouncer(setup: PgBouncerSetup, pid: number): Promise<void> {
  await waitUntil(
    `PgBouncer on port ${setup.port}`,
    async () => {
      const admin = new pg.Client({
        host: '127.0.0.1',
        port: setup.port,
        user: PGBOUNCER_ADMIN_USER,
        password: setup.adminPassword,
        database: 'pgbouncer',
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
