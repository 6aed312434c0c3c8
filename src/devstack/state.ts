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
    pgbouncer: number;
    moto: number;
    routeAgent: number;
    operatorHealth?: number;
  };
  /** Start order; `down` stops in reverse. `launch` lets `restartDaemon` start one the same way. */
  pids: Array<{ name: string; pid: number; launch?: DaemonOptions }>;
  credentials: {
    adminToken: string;
    superPassword: { source: string; target: string };
    replicatorPassword: { source: string; target: string };
    appPassword: string;
    pgbouncerAdminPassword: string;
    routeAgentToken: string;
  };
}

export function readState(paths: StackPaths): StackState | undefined {
  if (!existsSync(paths.stateFile)) return undefined;
  return JSON.parse(readFileSync(paths.stateFile, 'utf8')) as StackState;
}

export function writeState(paths: StackPaths, state: StackState): void {
  writeFileSync(paths.stateFile, JSON.stringify(state, null, 2), { mode: 0o600 });
}
