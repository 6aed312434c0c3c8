// Operator processes for integration tests (spawned from dist/, as the local stack runs them).
import assert from 'node:assert/strict';
import type { OperatorProcess } from '../integration/runtime/helpers.js';

export { startOperator, stopProcess, until, type OperatorProcess } from '../integration/runtime/helpers.js';

export async function metricsText(p: OperatorProcess): Promise<string> {
  return (await fetch(`http://127.0.0.1:${p.port}/metrics`)).text();
}

/** Waits for an operator started with TENANTSHIFT_FAILPOINT to kill itself there; fails if it never does. */
export async function diesAt(p: OperatorProcess, point: string, timeoutMs = 60_000): Promise<void> {
  const code = await Promise.race([p.exited, new Promise((r) => setTimeout(() => r('alive'), timeoutMs))]);
  assert.notEqual(code, 'alive', `the operator never reached ${point}`);
}
