// The stages of `tenantshift dev up` that start daemons: control plane, moto, PostgreSQL servers,
// PgBouncer. Each records what it starts through UpContext.record, so a failed start-up stops it.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ensureBinaries } from './build.js';
import {
  applyCrds,
  apiserverDaemon,
  ensureOperatorNamespace,
  startEtcd,
  waitForApiserver,
  waitForEtcd,
  writeKubeconfig,
  type ControlPlaneSetup,
} from './controlplane.js';
import { startMoto, waitForMoto } from './moto.js';
import type { stackPaths } from './paths.js';
import { pgbouncerDaemon, waitForPgBouncer, writePgBouncerConfig } from './pgbouncer.js';
import { SUPERUSER, TARGET_SUPERUSER, bootstrapServer, initPostgres, postgresDaemon, waitForPostgres, type PgServer } from './postgres.js';
import { startDaemon, type DaemonOptions } from './process.js';
import { say } from './progress.js';
import { bouncerNames, type StackState } from './state.js';
import { createStackTls, type StackTls } from './tls.js';
import type { serverIdentity } from './system.js';

export type Paths = ReturnType<typeof stackPaths>;
export type Binaries = Awaited<ReturnType<typeof ensureBinaries>>;

/** What every start-up stage works with; record() adds a started daemon to the state file. */
export interface UpContext {
  paths: Paths;
  state: StackState;
  bins: Binaries;
  runAs: ReturnType<typeof serverIdentity>;
  record: (name: string, pid: number, launch?: DaemonOptions) => number;
}

/** etcd (waited for) and kube-apiserver (started; waited for in finishControlPlane). */
export async function startControlPlane({
  paths,
  state,
  bins,
  record,
}: UpContext): Promise<{ cp: ControlPlaneSetup; apiserverPid: number }> {
  say('Starting etcd and kube-apiserver');
  const cp: ControlPlaneSetup = {
    dir: join(paths.stateDir, 'controlplane'),
    logDir: paths.logDir,
    etcdBinary: bins.etcd,
    apiserverBinary: bins.kubeApiserver,
    etcdClientPort: state.ports.etcd,
    etcdPeerPort: state.ports.etcdPeer,
    apiserverPort: state.ports.apiserver,
    adminToken: state.credentials.adminToken,
  };
  rmSync(cp.dir, { recursive: true, force: true });
  mkdirSync(cp.dir, { recursive: true, mode: 0o700 });
  await waitForEtcd(cp, record('etcd', startEtcd(cp)));
  const apiserverLaunch = apiserverDaemon(cp);
  const apiserverPid = record('kube-apiserver', startDaemon(apiserverLaunch), apiserverLaunch);
  return { cp, apiserverPid };
}

export interface MotoStarted {
  pid: number;
  log: string;
}

/** moto (started; waited for in finishControlPlane). */
export function startMotoServer({ paths, state, bins, record }: UpContext): MotoStarted {
  const log = join(paths.logDir, 'moto.log');
  return { pid: record('moto', startMoto(bins.motoServer, state.ports.moto, log)), log };
}

/** The stack's CA and server certificate, under the runtime dir (the servers' user reads them). */
export function stackTls({ paths, runAs }: UpContext): StackTls {
  say('Generating the stack CA and server certificate (TLS on PostgreSQL and PgBouncer)');
  return createStackTls(paths.runtimeDir, runAs);
}

/** The source (a superuser, as self-managed servers have) and the RDS-like target (rdsadmin, master user postgres). */
export async function startPostgresServers(ctx: UpContext, tls: StackTls, appVerifier: string): Promise<void> {
  const { paths, state, runAs, record } = ctx;
  const servers: Array<{ server: PgServer; password: string }> = (['source', 'target'] as const).map((name) => ({
    server: {
      name,
      port: state.ports[name],
      dataDir: join(paths.runtimeDir, name, 'data'),
      socketDir: join(paths.runtimeDir, name),
      logFile: join(paths.runtimeDir, name, 'postgres.log'),
      superuser: name === 'target' ? TARGET_SUPERUSER : SUPERUSER,
      tls,
      runAs,
    },
    password: state.credentials.superPassword[name],
  }));
  for (const { server, password } of servers) initPostgres(server, password);
  const pgPids = servers.map(({ server }) => {
    const launch = postgresDaemon(server);
    return record(`postgres-${server.name}`, startDaemon(launch), launch);
  });
  await Promise.all(servers.map(({ server, password }, i) => waitForPostgres(server, pgPids[i] as number, password)));
  for (const { server, password } of servers) {
    await bootstrapServer(
      { port: server.port, user: server.superuser, password, caFile: tls.caFile },
      {
        ...(server.name === 'target' ? { masterPassword: state.credentials.masterPassword } : {}),
        replicatorPassword: state.credentials.replicatorPassword[server.name as 'source' | 'target'],
        appVerifier,
      },
    );
  }
}

export async function startPgBouncerStage(ctx: UpContext, tls: StackTls, appVerifier: string): Promise<void> {
  const { paths, state, runAs, record } = ctx;
  say(`Starting ${state.ports.pgbouncers.length} PgBouncer replicas of pool "local" in front of the source`);
  await Promise.all(
    state.ports.pgbouncers.map(async (port, i) => {
      const name = bouncerNames(i).pgbouncer;
      const dir = join(paths.runtimeDir, name);
      const bouncer = {
        name,
        dir,
        tls,
        port,
        sourcePort: state.ports.source,
        appVerifier,
        adminPassword: state.credentials.pgbouncerAdminPassword,
        logFile: join(dir, 'pgbouncer.log'),
        runAs,
      };
      const launch = pgbouncerDaemon(bouncer, writePgBouncerConfig(bouncer));
      await waitForPgBouncer(bouncer, record(name, startDaemon(launch), launch));
    }),
  );
}

/** kube-apiserver ready, kubeconfig written, CRDs and the operator namespace applied; moto ready. */
export async function finishControlPlane(
  { paths, state, bins }: UpContext,
  cp: ControlPlaneSetup,
  apiserverPid: number,
  moto: MotoStarted,
): Promise<void> {
  await waitForApiserver(cp, apiserverPid);
  writeKubeconfig(paths.kubeconfig, cp);
  say('Applying CRDs');
  applyCrds(bins.kubectl, paths.kubeconfig);
  ensureOperatorNamespace(bins.kubectl, paths.kubeconfig);
  await waitForMoto(state.ports.moto, moto.pid, moto.log);
}
