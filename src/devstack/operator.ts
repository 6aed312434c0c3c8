// Runs the operator as a daemon of the local stack, against the stack's kube-apiserver.
import { join } from 'node:path';
import { OPERATOR_NAMESPACE } from './controlplane.js';
import { packageRoot } from './paths.js';
import { startDaemon, waitUntil } from './process.js';
import type { StackState } from './stack.js';

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

export async function waitForOperator(port: number, pid: number, logFile: string): Promise<void> {
  await waitUntil(
    'operator',
    async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok,
    { timeoutMs: 60_000, pid, logFile },
  );
}
