// Operator processes for integration tests (spawned from dist/, as the local stack runs them).
import type { OperatorProcess } from '../integration/runtime/helpers.js';

export { startOperator, stopProcess, until, type OperatorProcess } from '../integration/runtime/helpers.js';

export async function metricsText(p: OperatorProcess): Promise<string> {
  return (await fetch(`http://127.0.0.1:${p.port}/metrics`)).text();
}
