// Runs the operator as a daemon of the local stack, against the stack's kube-apiserver.
import { join } from 'node:path';
import { OPERATOR_NAMESPACE } from './controlplane.js';
import { packageRoot } from './paths.js';
import { startDaemon, waitUntil } from './process.js';
import { bouncerNames, type StackState } from './state.js';

export function startOperatorDaemon(state: StackState, env: Record<string, string>, logFile: string): number {
  return startDaemon({
    name: 'operator',
    command: process.execPath,
    args: ['--enable-source-maps', join(packageRoot(), 'dist', 'src', 'cli', 'main.js'), 'operator'],
    env: {
      ...process.env,
      ...env,
      TENANTSHIFT_HEALTH_PORT: String(state.ports.operatorHealth),
      TENANTSHIFT_OPERATOR_NAMESPACE: OPERATOR_NAMESPACE,
      TENANTSHIFT_IDENTITY: 'dev-operator',
    },
    logFile,
  });
}

/**
 * The route agent of PgBouncer replica i of pool "local": owns that replica's included routes file
 * (as root writes it for PgBouncer to read) and heartbeats as identity local-i.
 */
export function startRouteAgent(
  state: StackState,
  i: number,
  env: Record<string, string>,
  logFile: string,
  extraEnv: Record<string, string> = {},
): number {
  const names = bouncerNames(i);
  return startDaemon({
    name: names.agent,
    command: process.execPath,
    args: [
      '--enable-source-maps',
      join(packageRoot(), 'dist', 'src', 'cli', 'main.js'),
      'route-agent',
      '--pool',
      'local',
      '--routes-file',
      (env.PGBOUNCER_ROUTES_FILES ?? '').split(' ')[i] as string,
      '--listen',
      `127.0.0.1:${state.ports.routeAgents[i]}`,
    ],
    env: {
      ...process.env,
      KUBECONFIG: env.KUBECONFIG,
      TENANTSHIFT_PGBOUNCER_ADMIN_URL: (env.PGBOUNCER_ADMIN_URLS ?? '').split(' ')[i],
      TENANTSHIFT_ROUTE_AGENT_TOKEN: env.TENANTSHIFT_ROUTE_AGENT_TOKEN,
      TENANTSHIFT_OPERATOR_NAMESPACE: OPERATOR_NAMESPACE,
      TENANTSHIFT_IDENTITY: names.identity,
      ...extraEnv,
    },
    logFile,
  });
}

export async function waitForRouteAgent(port: number, pid: number, logFile: string): Promise<void> {
  await waitUntil('route agent', async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, { timeoutMs: 30_000, pid, logFile });
}

export async function waitForOperator(port: number, pid: number, logFile: string): Promise<void> {
  await waitUntil('operator', async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, { timeoutMs: 60_000, pid, logFile });
}
