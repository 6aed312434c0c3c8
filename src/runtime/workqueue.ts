// The keyed work queue: a set of "namespace/name" keys waiting for a reconcile. Repeated adds of one
// key coalesce, one key never runs twice at once, failures come back with per-key backoff.
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import { RetryRateLimiter, type RateLimiterOptions } from './ratelimit.js';

export interface WorkQueueHooks {
  /** Called with the number of keys ready to run whenever it changes. */
  depth?(depth: number): void;
  /** Called once per addRateLimited (a retry after an error). */
  retry?(): void;
}

export interface WorkQueueOptions {
  clock?: Clock;
  rateLimiter?: RateLimiterOptions;
  hooks?: WorkQueueHooks;
}

export class WorkQueue {
  /** FIFO of keys ready to run; each key at most once (tracked by `dirty`). */
  private readonly ready: string[] = [];
  /** Keys that must run (again): in `ready`, or added while processing and to be re-run after done(). */
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  /** Delayed adds; only the earliest due time per key is kept. */
  private readonly delayed = new Map<string, { due: number; timer: TimerHandle }>();
  private readonly getters: Array<(key: string | undefined) => void> = [];
  private idleWaiters: Array<() => void> = [];
  private stopped = false;
  private readonly clock: Clock;
  private readonly limiter: RetryRateLimiter<string>;
  private readonly hooks: WorkQueueHooks;

  constructor(opts: WorkQueueOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.limiter = new RetryRateLimiter<string>(opts.rateLimiter, this.clock);
    this.hooks = opts.hooks ?? {};
  }

  /** Keys ready to run (not counting those in progress or waiting for a delay). */
  get length(): number {
    return this.ready.length;
  }

  get inFlight(): number {
    return this.processing.size;
  }

  get isShuttingDown(): boolean {
    return this.stopped;
  }

  isProcessing(key: string): boolean {
    return this.processing.has(key);
  }

  add(key: string): void {
    if (this.stopped || this.dirty.has(key)) return;
    this.dirty.add(key);
    // Added while running: done() queues it again, so the reconcile sees the newest state.
    if (this.processing.has(key)) return;
    this.enqueue(key);
  }

  /** Adds `key` once `delayMs` has passed; an earlier pending delay for the key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    if (delayMs <= 0) return this.add(key);
    const due = this.clock.now() + delayMs;
    const pending = this.delayed.get(key);
    if (pending) {
      if (pending.due <= due) return;
      this.clock.clearTimeout(pending.timer);
    }
    const timer = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delayMs);
    this.delayed.set(key, { due, timer });
  }

  /** Re-adds a failed key after its backoff (and the shared bucket's wait); returns the delay in ms. */
  addRateLimited(key: string): number {
    if (this.stopped) return 0;
    const delay = this.limiter.when(key);
    this.hooks.retry?.();
    this.addAfter(key, delay);
    return delay;
  }

  /** Clears the key's failure count: call after a successful reconcile. */
  forget(key: string): void {
    this.limiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.limiter.retries(key);
  }

  /**
   * The next key to run, marked as processing until done(key). Resolves undefined when the
   * queue shuts down or `signal` aborts (a worker's cue to exit).
   */
  get(signal?: AbortSignal): Promise<string | undefined> {
    if (this.stopped || signal?.aborted) return Promise.resolve(undefined);
    const key = this.ready.shift();
    if (key !== undefined) {
      this.dirty.delete(key);
      this.processing.add(key);
      this.hooks.depth?.(this.ready.length);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => {
      const getter = (k: string | undefined): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(k);
      };
      const onAbort = (): void => {
        const i = this.getters.indexOf(getter);
        if (i >= 0) this.getters.splice(i, 1);
        resolve(undefined);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.getters.push(getter);
    });
  }

  /** Marks the key finished; if it was added meanwhile it runs again. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.stopped) this.enqueue(key);
    if (this.processing.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Stops handing out work: waiting get() calls resolve undefined, delayed adds are dropped. */
  shutdown(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const { timer } of this.delayed.values()) this.clock.clearTimeout(timer);
    this.delayed.clear();
    for (const g of this.getters.splice(0)) g(undefined);
  }

  /** Resolves true once nothing is processing, or false when `timeoutMs` passes first. */
  waitForIdle(timeoutMs: number): Promise<boolean> {
    if (this.processing.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = (): void => {
        this.clock.clearTimeout(timer);
        resolve(true);
      };
      const timer = this.clock.setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.idleWaiters.push(waiter);
    });
  }

  private enqueue(key: string): void {
    const getter = this.getters.shift();
    if (getter) {
      this.dirty.delete(key);
      this.processing.add(key);
      getter(key);
      return;
    }
    this.ready.push(key);
    this.hooks.depth?.(this.ready.length);
  }
}
