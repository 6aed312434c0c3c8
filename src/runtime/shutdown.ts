// Signals that end the operator: the first SIGTERM or SIGINT starts a graceful shutdown; a second one
// (an impatient Ctrl-C) exits at once.
import type { Logger } from '../observability/logger.js';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** Resolves with the first shutdown signal received. */
export function shutdownSignal(log: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received: NodeJS.Signals | undefined;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (received) {
        log.warn('Second signal during shutdown; exiting now', { signal });
        process.exit(1);
      }
      received = signal;
      resolve(signal);
    };
    for (const s of SIGNALS) process.on(s, onSignal);
  });
}
