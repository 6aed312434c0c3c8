// Time as every layer sees it (a leaf, beside errors.ts): wall-clock milliseconds and timers, injectable so
// that the queue, backoff, rate limiter and validation limits can be unit-tested with a fake clock.

/** Opaque: whatever the clock's setTimeout returns. */
export type TimerHandle = unknown;

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number): TimerHandle => setTimeout(fn, Math.max(0, ms)),
  clearTimeout: (handle: TimerHandle): void => clearTimeout(handle as NodeJS.Timeout),
});

/** Resolves after `ms`, or at once (without rejecting) when `signal` aborts: loops re-check their own state. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** `ms` scaled by a random factor in [1, 1 + maxFactor): spreads periodic work of many objects or replicas. */
export function jitter(ms: number, maxFactor = 0.1, random: () => number = Math.random): number {
  return ms * (1 + random() * maxFactor);
}
