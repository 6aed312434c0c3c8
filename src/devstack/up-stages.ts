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
import { startPgBouncer, waitForPgBouncer, writePgBouncerConfig } from './pgbouncer.js';
import { bootstrapServer, initPostgres, startPostgres, waitForPostgres, type PgServer } from './postgres.js';
import { startDaemon, type DaemonOptions } from './process.js';
import { say } from './progress.js';
import type { StackState } from './state.js';
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

export async function startPostgresServers({ paths, state, runAs, record }: UpContext, appVerifier: string): Promise<void> {
  const servers: Array<{ server: PgServer; password: string }> = (['source', 'target'] as const).map((name) => ({
    server: {
      name,
      port: state.ports[name],
      dataDir: join(paths.runtimeDir, name, 'data'),
      socketDir: join(paths.runtimeDir, name),
      logFile: join(paths.runtimeDir, name, 'postgres.log'),
      runAs,
    },
    password: state.credentials.superPassword[name],
  }));
  for (const { server, password } of servers) initPostgres(server, password);
  const pgPids = servers.map(({ server }) => record(`postgres-${server.name}`, startPostgres(server)));
  await Promise.all(servers.map(({ server, password }, i) => waitForPostgres(server, pgPids[i] as number, password)));
  for (const name of ['source', 'target'] as const) {
    await bootstrapServer(state.ports[name], {
      superPassword: state.credentials.superPassword[name],
      replicatorPassword: state.credentials.replicatorPassword[name],
      appVerifier,
    });
  }
}

export async function startPgBouncerStage({ paths, state, runAs, record }: UpContext, appVerifier: string): Promise<void> {
  say('Starting PgBouncer in front of the source');
  const bouncer = {
    dir: join(paths.runtimeDir, 'pgbouncer'),
    port: state.ports.pgbouncer,
    sourcePort: state.ports.source,
    appVerifier,
    adminPassword: state.credentials.pgbouncerAdminPassword,
    logFile: join(paths.runtimeDir, 'pgbouncer', 'pgbouncer.log'),
    runAs,
  };
  const files = writePgBouncerConfig(bouncer);
  await waitForPgBouncer(bouncer, record('pgbouncer', startPgBouncer(bouncer, files)));
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
