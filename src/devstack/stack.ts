// `tenantshift dev up|down|env`: the whole local stack under one state directory. The integration
// tests start their stack through the same functions.
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { scramVerifier } from '../postgres/scram.js';
import { ensureBinaries } from './build.js';
import { OPERATOR_NAMESPACE, newToken } from './controlplane.js';
import { MOTO_ACCESS_KEY_ID, MOTO_REGION, MOTO_SECRET_ACCESS_KEY } from './moto.js';
import { DEFAULT_STATE_DIR, stackPaths } from './paths.js';
import { PGBOUNCER_ADMIN_USER } from './pgbouncer.js';
import { APP_USER, DATABASE, REPLICATION_USER, SUPERUSER, TARGET_SUPERUSER, mkdirOwned } from './postgres.js';
import { freePort, isAlive, startDaemon, stopDaemon, type DaemonOptions } from './process.js';
import { say } from './progress.js';
import { startOperatorDaemon, startRouteAgent, waitForOperator, waitForRouteAgent } from './operator.js';
import { ensureSystemPackages, isRoot, serverIdentity } from './system.js';
import { BOUNCER_REPLICAS, bouncerNames, readState, writeState, type StackState } from './state.js';
import { stackTlsFiles } from './tls.js';
import {
  finishControlPlane,
  startControlPlane,
  startMotoServer,
  startPgBouncerStage,
  startPostgresServers,
  stackTls,
  type Binaries,
  type Paths,
  type UpContext,
} from './up-stages.js';

export { readState, type StackState };

export interface UpOptions {
  stateDir?: string;
  withOperator?: boolean;
}

export async function devUp(opts: UpOptions = {}): Promise<StackState> {
  const paths = stackPaths(opts.stateDir ?? DEFAULT_STATE_DIR, isRoot());
  const existing = runningStack(paths);
  if (existing) return existing;
  ensureSystemPackages();
  const bins = await ensureBinaries();
  const runAs = serverIdentity();
  prepareDirectories(paths, runAs);
  const state = await newState(paths, bins);
  const record = (name: string, pid: number, launch?: DaemonOptions): number => {
    state.pids.push({ name, pid, ...(launch ? { launch: { ...launch, env: undefined } } : {}) });
    writeState(paths, state);
    return pid;
  };
  const ctx: UpContext = { paths, state, bins, runAs, record };
  try {
    const { cp, apiserverPid } = await startControlPlane(ctx);
    const tls = stackTls(ctx);
    say('Starting PostgreSQL source and target (RDS-like: its master user is not a superuser), moto');
    const appVerifier = scramVerifier(state.credentials.appPassword);
    const moto = startMotoServer(ctx);
    await startPostgresServers(ctx, tls, appVerifier);
    await startPgBouncerStage(ctx, tls, appVerifier);
    await finishControlPlane(ctx, cp, apiserverPid, moto);
    await startAgents(ctx, opts.withOperator !== false);
    writeState(paths, state);
    say(`Stack ready in ${paths.stateDir}; \`eval "$(tenantshift dev env --state-dir ${paths.stateDir})"\` to use it`);
    return state;
  } catch (err) {
    say(`Start-up failed; stopping what was started (logs stay in ${paths.logDir} and ${paths.runtimeDir})`);
    await stopAll(state, false);
    rmSync(paths.stateFile, { force: true });
    throw err;
  }
}

/** The stack already running in paths, if all of it runs; throws if part of it is down. */
function runningStack(paths: Paths): StackState | undefined {
  const existing = readState(paths);
  if (!existing) return undefined;
  const dead = existing.pids.filter((p) => !isAlive(p.pid)).map((p) => p.name);
  if (dead.length === 0) {
    say(`The stack in ${paths.stateDir} is already running; nothing changed`);
    return existing;
  }
  throw new Error(
    `The stack in ${paths.stateDir} is partly down (${dead.join(', ')} not running): ` +
      `run \`tenantshift dev down --state-dir ${paths.stateDir}\`, then \`dev up\` again`,
  );
}

function prepareDirectories(paths: Paths, runAs: ReturnType<typeof serverIdentity>): void {
  for (const dir of [paths.stateDir, paths.logDir]) mkdirSync(dir, { recursive: true });
  rmSync(paths.runtimeDir, { recursive: true, force: true });
  mkdirSync(join(paths.runtimeDir, '..'), { recursive: true, mode: 0o755 });
  mkdirOwned(paths.runtimeDir, runAs, 0o700);
}

async function newState(paths: Paths, bins: Binaries): Promise<StackState> {
  const ports = async (n: number): Promise<number[]> => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(await freePort());
    return out;
  };
  return {
    stateDir: paths.stateDir,
    runtimeDir: paths.runtimeDir,
    kubeconfig: paths.kubeconfig,
    kubectl: bins.kubectl,
    ports: {
      etcd: await freePort(),
      etcdPeer: await freePort(),
      apiserver: await freePort(),
      source: await freePort(),
      target: await freePort(),
      pgbouncers: await ports(BOUNCER_REPLICAS),
      moto: await freePort(),
      routeAgents: await ports(BOUNCER_REPLICAS),
    },
    pids: [],
    credentials: {
      adminToken: newToken(),
      superPassword: { source: secret(), target: secret() },
      masterPassword: secret(),
      replicatorPassword: { source: secret(), target: secret() },
      appPassword: secret(),
      pgbouncerAdminPassword: secret(),
      routeAgentToken: secret(),
    },
  };
}

/** One route agent per PgBouncer replica, then (unless withOperator is false) the operator. */
async function startAgents({ paths, state, record }: UpContext, withOperator: boolean): Promise<void> {
  say(`Starting the route agents of PgBouncer pool "local" (${state.ports.routeAgents.length} replicas)`);
  await Promise.all(
    state.ports.routeAgents.map(async (port, i) => {
      const names = bouncerNames(i);
      const agentLog = join(paths.logDir, `${names.agent}.log`);
      const agentPid = record(names.agent, startRouteAgent(state, i, envExports(state), agentLog));
      await waitForRouteAgent(port, agentPid, agentLog);
    }),
  );

  if (withOperator) {
    say('Starting the operator');
    state.ports.operatorHealth = await freePort();
    const operatorLog = join(paths.logDir, 'operator.log');
    const pid = record('operator', startOperatorDaemon(state, operatorEnv(state), operatorLog));
    await waitForOperator(state.ports.operatorHealth, pid, operatorLog);
  }
}

export async function devDown(stateDir: string = DEFAULT_STATE_DIR): Promise<boolean> {
  const paths = stackPaths(stateDir, isRoot());
  const state = readState(paths);
  if (!state) {
    say(`No stack in ${paths.stateDir}; nothing to stop`);
    return false;
  }
  await stopAll(state, true);
  rmSync(paths.stateFile, { force: true });
  say(`Stack in ${paths.stateDir} stopped`);
  return true;
}

async function stopAll(state: StackState, removeData: boolean): Promise<void> {
  for (const { name, pid } of [...state.pids].reverse()) {
    if (isAlive(pid)) say(`Stopping ${name} (pid ${pid})`);
    await stopDaemon(pid);
  }
  if (removeData) {
    keepServerLogs(state);
    rmSync(state.runtimeDir, { recursive: true, force: true });
    rmSync(join(state.stateDir, 'controlplane'), { recursive: true, force: true });
  }
}

/** The servers' logs live beside their data (their user must write them): kept in logs/ for post-mortems. */
function keepServerLogs(state: StackState): void {
  const logDir = join(state.stateDir, 'logs');
  for (const dir of existsSync(state.runtimeDir) ? readdirSync(state.runtimeDir) : []) {
    for (const file of ['postgres.log', 'pgbouncer.log']) {
      const from = join(state.runtimeDir, dir, file);
      if (existsSync(from)) copyFileSync(from, join(logDir, file === 'postgres.log' ? `postgres-${dir}.log` : `${dir}.log`));
    }
  }
}

/**
 * Stops one daemon of a running stack and starts it again with the same command line and ports
 * (tests restart the kube-apiserver under a running operator, PgBouncer and PostgreSQL under a move).
 * `signal` goes to the daemon alone instead of SIGTERM to its group: SIGINT (fast) or SIGQUIT
 * (immediate) shuts a PostgreSQL server down.
 */
export async function restartDaemon(stateDir: string, name: string, downtimeMs = 0, signal?: NodeJS.Signals): Promise<number> {
  const paths = stackPaths(stateDir, isRoot());
  const state = readState(paths);
  const entry = state?.pids.find((p) => p.name === name);
  if (!state || !entry?.launch) throw new Error(`no restartable daemon ${name} in the stack at ${paths.stateDir}`);
  await stopDaemon(entry.pid, 10_000, signal);
  if (downtimeMs > 0) await new Promise((r) => setTimeout(r, downtimeMs));
  entry.pid = startDaemon({ ...entry.launch, env: process.env });
  writeState(paths, state);
  return entry.pid;
}

/**
 * Starts route agent `i` again (stopping it first if it runs): a Deployment's restart after the agent
 * died, or, in tests, the agent with a failpoint in its environment.
 */
export async function restartRouteAgent(stateDir: string, i: number, extraEnv: Record<string, string> = {}): Promise<number> {
  const paths = stackPaths(stateDir, isRoot());
  const state = readState(paths);
  const names = bouncerNames(i);
  const entry = state?.pids.find((p) => p.name === names.agent);
  if (!state || !entry) throw new Error(`no route agent ${names.agent} in the stack at ${paths.stateDir}`);
  if (isAlive(entry.pid)) await stopDaemon(entry.pid);
  const log = join(paths.logDir, `${names.agent}.log`);
  entry.pid = startRouteAgent(state, i, envExports(state), log, extraEnv);
  writeState(paths, state);
  await waitForRouteAgent(state.ports.routeAgents[i] as number, entry.pid, log);
  return entry.pid;
}

/** SIGKILLs route agent `i` (a crash: its heartbeat Lease is left to expire); restartRouteAgent brings it back. */
export function killRouteAgent(stateDir: string, i: number): void {
  const state = readState(stackPaths(stateDir, isRoot()));
  const entry = state?.pids.find((p) => p.name === bouncerNames(i).agent);
  if (!entry) throw new Error(`no route agent ${bouncerNames(i).agent} in the stack at ${stateDir}`);
  if (isAlive(entry.pid)) process.kill(entry.pid, 'SIGKILL');
}

/** The `export` lines of `dev env`; fails with a message on a stopped stack. */
export function devEnv(stateDir: string = DEFAULT_STATE_DIR): Record<string, string> {
  const paths = stackPaths(stateDir, isRoot());
  const state = readState(paths);
  if (!state) {
    throw new Error(`No stack is running in ${paths.stateDir}: start one with \`tenantshift dev up --state-dir ${paths.stateDir}\``);
  }
  const dead = state.pids.filter((p) => !isAlive(p.pid)).map((p) => p.name);
  if (dead.length > 0) {
    throw new Error(
      `The stack in ${paths.stateDir} is stopped or partly down (${dead.join(', ')} not running): ` +
        'run `tenantshift dev down` and `dev up`',
    );
  }
  return envExports(state);
}

/**
 * Every URL asks for verify-full against the stack's CA (TLS_CA_FILE). Lists (PGBOUNCER_URLS, ...)
 * are space-separated, one entry per PgBouncer replica; the singular names are replica 0.
 */
export function envExports(state: StackState): Record<string, string> {
  const c = state.credentials;
  const ca = stackTlsFiles(state.runtimeDir).caFile;
  const tlsQuery = `sslmode=verify-full&sslrootcert=${encodeURIComponent(ca)}`;
  const url = (user: string, password: string, port: number, db: string): string =>
    `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}?${tlsQuery}`;
  const bouncers = state.ports.pgbouncers.map((port, i) => ({
    url: url(APP_USER, c.appPassword, port, DATABASE),
    admin: url(PGBOUNCER_ADMIN_USER, c.pgbouncerAdminPassword, port, 'pgbouncer'),
    routes: join(state.runtimeDir, bouncerNames(i).pgbouncer, 'routes.ini'),
  }));
  const first = bouncers[0] as (typeof bouncers)[number];
  return {
    KUBECONFIG: state.kubeconfig,
    TLS_CA_FILE: ca,
    SOURCE_URL: url(SUPERUSER, c.superPassword.source, state.ports.source, DATABASE),
    TARGET_URL: url(SUPERUSER, c.masterPassword, state.ports.target, DATABASE),
    TARGET_PRIVILEGED_URL: url(TARGET_SUPERUSER, c.superPassword.target, state.ports.target, DATABASE),
    SOURCE_REPLICATION_URL: url(REPLICATION_USER, c.replicatorPassword.source, state.ports.source, DATABASE),
    TARGET_REPLICATION_URL: url(REPLICATION_USER, c.replicatorPassword.target, state.ports.target, DATABASE),
    APP_SOURCE_URL: url(APP_USER, c.appPassword, state.ports.source, DATABASE),
    APP_TARGET_URL: url(APP_USER, c.appPassword, state.ports.target, DATABASE),
    PGBOUNCER_URL: first.url,
    PGBOUNCER_ADMIN_URL: first.admin,
    PGBOUNCER_ROUTES_FILE: first.routes,
    PGBOUNCER_URLS: bouncers.map((b) => b.url).join(' '),
    PGBOUNCER_ADMIN_URLS: bouncers.map((b) => b.admin).join(' '),
    PGBOUNCER_ROUTES_FILES: bouncers.map((b) => b.routes).join(' '),
    AWS_ENDPOINT_URL: `http://127.0.0.1:${state.ports.moto}`,
    AWS_REGION: MOTO_REGION,
    AWS_ACCESS_KEY_ID: MOTO_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: MOTO_SECRET_ACCESS_KEY,
    TENANTSHIFT_KUBECTL: state.kubectl,
    TENANTSHIFT_OPERATOR_NAMESPACE: OPERATOR_NAMESPACE,
    TENANTSHIFT_ROUTE_AGENT_TOKEN: c.routeAgentToken,
    // Every PgBouncer replica of pool "local" has its agent: a move waits for all of them.
    TENANTSHIFT_ROUTE_AGENTS: `local=${state.ports.routeAgents.length}`,
  };
}

/** The operator gets the cluster and AWS endpoints only: database credentials reach it through Secrets. */
function operatorEnv(state: StackState): Record<string, string> {
  const all = envExports(state);
  const keys = [
    'KUBECONFIG',
    'AWS_ENDPOINT_URL',
    'AWS_REGION',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'TENANTSHIFT_ROUTE_AGENT_TOKEN',
    'TENANTSHIFT_ROUTE_AGENTS',
  ];
  return Object.fromEntries(keys.map((k) => [k, all[k] as string]));
}

export function shellExports(vars: Record<string, string>): string {
  return Object.entries(vars)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `export ${k}='${v.replace(/'/g, `'\\''`)}'`)
    .join('\n');
}

function secret(): string {
  return randomBytes(18).toString('hex');
}
