// A running stack's state file (ports, pids, credentials; mode 0600), shared by the stack and the
// daemons it starts.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { StackPaths } from './paths.js';
import type { DaemonOptions } from './process.js';

/** What a running stack is: ports, pids and credentials, written to the state dir (mode 0600). */
export interface StackState {
  stateDir: string;
  runtimeDir: string;
  kubeconfig: string;
  kubectl: string;
  ports: {
    etcd: number;
    etcdPeer: number;
    apiserver: number;
    source: number;
    target: number;
    /** One per PgBouncer replica of pool "local", and its route agent's at the same index. */
    pgbouncers: number[];
    moto: number;
    routeAgents: number[];
    operatorHealth?: number;
  };
  /** Start order; `down` stops in reverse. `launch` lets `restartDaemon` start one the same way. */
  pids: Array<{ name: string; pid: number; launch?: DaemonOptions }>;
  credentials: {
    adminToken: string;
    /** The initdb superusers: postgres on the source, rdsadmin on the RDS-like target. */
    superPassword: { source: string; target: string };
    /** The target's RDS-like master user (postgres, member of rds_superuser, not a superuser). */
    masterPassword: string;
    replicatorPassword: { source: string; target: string };
    appPassword: string;
    pgbouncerAdminPassword: string;
    routeAgentToken: string;
  };
}

/** PgBouncer replicas of pool "local" in the stack; every move must pause and flip all of them. */
export const BOUNCER_REPLICAS = 2;

/** The names replica i goes by: its daemon, its directory under the runtime dir, its route agent. */
export function bouncerNames(i: number): { pgbouncer: string; agent: string; identity: string } {
  return i === 0
    ? { pgbouncer: 'pgbouncer', agent: 'route-agent', identity: 'local-0' }
    : { pgbouncer: `pgbouncer-${i}`, agent: `route-agent-${i}`, identity: `local-${i}` };
}

export function readState(paths: StackPaths): StackState | undefined {
  if (!existsSync(paths.stateFile)) return undefined;
  return JSON.parse(readFileSync(paths.stateFile, 'utf8')) as StackState;
}

export function writeState(paths: StackPaths, state: StackState): void {
  writeFileSync(paths.stateFile, JSON.stringify(state, null, 2), { mode: 0o600 });
}
