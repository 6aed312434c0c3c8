// Runs the operator as a daemon of the local stack, against the stack's kube-apiserver.
import { join } from 'node:path';
import { OPERATOR_NAMESPACE } from './controlplane.js';
import { packageRoot } from './paths.js';
import { startDaemon, waitUntil } from './process.js';
import type { StackState } from './state.js';

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

/** The route agent of pool "local": owns PgBouncer's included routes file, as root writes it for PgBouncer to read. */
export function startRouteAgent(state: StackState, env: Record<string, string>, logFile: string): number {
  return startDaemon({
    name: 'route-agent',
    command: process.execPath,
    args: [
      '--enable-source-maps',
      join(packageRoot(), 'dist', 'src', 'cli', 'main.js'),
      'route-agent',
      '--pool',
      'local',
      '--routes-file',
      env.PGBOUNCER_ROUTES_FILE as string,
      '--listen',
      `127.0.0.1:${state.ports.routeAgent}`,
    ],
    env: {
      ...process.env,
      KUBECONFIG: env.KUBECONFIG,
      TENANTSHIFT_PGBOUNCER_ADMIN_URL: env.PGBOUNCER_ADMIN_URL,
      TENANTSHIFT_ROUTE_AGENT_TOKEN: env.TENANTSHIFT_ROUTE_AGENT_TOKEN,
      TENANTSHIFT_OPERATOR_NAMESPACE: OPERATOR_NAMESPACE,
      TENANTSHIFT_IDENTITY: 'local-0',
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
