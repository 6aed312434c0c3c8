// A PgBouncer of its own for a test that pauses and resumes databases (the stack's replicas carry
// other tests' traffic): the stack's TLS, credentials and source, a fresh port and directory.
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stackPaths } from '../../src/devstack/paths.js';
import { PGBOUNCER_ADMIN_USER, pgbouncerDaemon, waitForPgBouncer, writePgBouncerConfig } from '../../src/devstack/pgbouncer.js';
import { APP_USER, DATABASE, stackSsl, SUPERUSER } from '../../src/devstack/postgres.js';
import pg from 'pg';
import { freePort, startDaemon, stopDaemon } from '../../src/devstack/process.js';
import { readState } from '../../src/devstack/state.js';
import { isRoot, serverIdentity } from '../../src/devstack/system.js';
import { stackTlsFiles } from '../../src/devstack/tls.js';
import { RouteAgent, type RouteAgentOptions } from '../../src/routing/agent.js';
import type { AgentRef } from '../../src/routing/client.js';
import { PgBouncerAdmin, renderRoutes, writeRoutesFile, type Route } from '../../src/routing/pgbouncer.js';

export interface ScratchBouncer {
  /** A routed database (in its routes file, as a route agent writes it), in front of the stack's source. */
  database: string;
  route: Route;
  /** The %include'd routes file, the route agent's to write. */
  routesFile: string;
  adminUrl: string;
  admin: PgBouncerAdmin;
  /** The application's login to `database` through this PgBouncer (TLS verified against the stack CA). */
  app: pg.ClientConfig;
  /** Whether PgBouncer itself holds `database` paused (SHOW DATABASES). */
  paused(): Promise<boolean>;
  /** Stops PgBouncer and starts it again on the same port and files (its clients' connections close). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function scratchBouncer(stateDir: string): Promise<ScratchBouncer> {
  const state = readState(stackPaths(stateDir, isRoot()));
  if (!state) throw new Error(`no running stack in ${stateDir}`);
  const tls = stackTlsFiles(state.runtimeDir);
  const runAs = serverIdentity();
  const dir = mkdtempSync(join(tmpdir(), 'tenantshift-bouncer-'));
  chmodSync(dir, 0o755); // PgBouncer runs as the server user
  const setup = {
    name: 'pgbouncer-scratch',
    dir: join(dir, 'pgbouncer'),
    tls,
    port: await freePort(),
    sourcePort: state.ports.source,
    appVerifier: await appVerifier(state.ports.source, state.credentials.superPassword.source, tls.caFile),
    adminPassword: state.credentials.pgbouncerAdminPassword,
    logFile: join(dir, 'pgbouncer.log'),
    runAs,
  };
  const files = writePgBouncerConfig(setup);
  let pid = startDaemon(pgbouncerDaemon(setup, files));
  await waitForPgBouncer(setup, pid);
  const password = encodeURIComponent(setup.adminPassword);
  const adminUrl =
    `postgresql://${PGBOUNCER_ADMIN_USER}:${password}@127.0.0.1:${setup.port}/pgbouncer` +
    `?sslmode=verify-full&sslrootcert=${encodeURIComponent(tls.caFile)}`;
  const admin = new PgBouncerAdmin(adminUrl);
  const database = 'scratch_wallet';
  const route = { host: '127.0.0.1', port: state.ports.source, dbname: DATABASE };
  await writeRoutesFile(files.routes, renderRoutes({ [database]: route }));
  await admin.reload();
  return {
    database,
    route,
    routesFile: files.routes,
    adminUrl,
    admin,
    app: {
      host: '127.0.0.1',
      port: setup.port,
      user: APP_USER,
      password: state.credentials.appPassword,
      database,
      ssl: stackSsl(tls.caFile),
    },
    paused: async () => (await admin.routes())[database]?.paused === true,
    restart: async () => {
      await stopDaemon(pid);
      pid = startDaemon(pgbouncerDaemon(setup, files));
      await waitForPgBouncer(setup, pid);
    },
    stop: () => stopDaemon(pid),
  };
}

/** The source's own SCRAM verifier of the application role: PgBouncer passes SCRAM through only with the same one. */
async function appVerifier(sourcePort: number, superPassword: string, caFile: string): Promise<string> {
  const c = new pg.Client({
    host: '127.0.0.1',
    port: sourcePort,
    user: SUPERUSER,
    password: superPassword,
    database: DATABASE,
    ssl: stackSsl(caFile),
  });
  await c.connect();
  try {
    const res = await c.query<{ v: string }>('SELECT rolpassword AS v FROM pg_authid WHERE rolname = $1', [APP_USER]);
    return res.rows[0]?.v as string;
  } finally {
    await c.end();
  }
}

export interface ScratchAgent {
  agent: RouteAgent;
  ref: AgentRef;
}

/** A route agent in this process for the scratch PgBouncer (quiet logs, an ephemeral port on loopback), started. */
export async function startScratchAgent(
  bouncer: ScratchBouncer,
  opts: Pick<RouteAgentOptions, 'kc' | 'pool' | 'identity' | 'token' | 'leaseNamespace'> & Partial<RouteAgentOptions>,
): Promise<ScratchAgent> {
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const agent = new RouteAgent({
    log: quiet,
    adminUrl: bouncer.adminUrl,
    routesFile: bouncer.routesFile,
    listenHost: '127.0.0.1',
    listenPort: 0,
    ...opts,
  });
  const port = await agent.start();
  return { agent, ref: { identity: opts.identity, endpoint: `http://127.0.0.1:${port}` } };
}
