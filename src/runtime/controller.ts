// One controller: an informer's changes become keys in a work queue, and N workers run the reconciler
// for each key, with metrics, a child logger per reconcile, backoff on error and requeueAfter.
import type { Logger } from '../observability/logger.js';
import type { OperatorMetrics } from '../observability/metrics.js';
import { fromUnknown } from '../errors.js';
import type { Clock } from '../clock.js';
import type { Informer } from './informer.js';
import type { RateLimiterOptions } from './ratelimit.js';
import type { Reconciler } from './reconciler.js';
import { splitKey, type KubeObject } from './resources.js';
import { WorkQueue } from './workqueue.js';

export interface ControllerOptions<T extends KubeObject> {
  name: string;
  informer: Informer<T>;
  reconciler: Reconciler<T>;
  log: Logger;
  metrics: OperatorMetrics;
  workers?: number;
  rateLimiter?: RateLimiterOptions;
  clock?: Clock;
  /** When a reconcile blocked by a condition of the world (code `condition`) is retried, if the error names no time. */
  conditionRecheckMs?: number;
}

type Result = 'success' | 'requeue' | 'error' | 'terminal';

export class Controller<T extends KubeObject = KubeObject> {
  readonly name: string;
  readonly queue: WorkQueue;
  private readonly workers: number;
  private term: { abort: AbortController; loops: Promise<void>[] } | undefined;

  constructor(private readonly opts: ControllerOptions<T>) {
    this.name = opts.name;
    this.workers = Math.max(1, opts.workers ?? 2);
    const depth = opts.metrics.workqueueDepth.labels({ controller: opts.name });
    const retries = opts.metrics.workqueueRetries.labels({ controller: opts.name });
    depth.set(0);
    this.queue = new WorkQueue({
      ...(opts.clock ? { clock: opts.clock } : {}),
      ...(opts.rateLimiter ? { rateLimiter: opts.rateLimiter } : {}),
      hooks: { depth: (n) => depth.set(n), retry: () => retries.inc() },
    });
    // Keys, not events: whatever happened to the object, its key is reconciled against current state.
    opts.informer.addHandler((key) => this.queue.add(key));
  }

  /** True while workers are taking keys (this process leads). */
  get running(): boolean {
    return this.term !== undefined;
  }

  /** Starts the workers; every cached key is queued so a new leader looks at everything once. */
  startWorkers(): void {
    if (this.term || this.queue.isShuttingDown) return;
    for (const key of this.opts.informer.keys()) this.queue.add(key);
    const abort = new AbortController();
    const loops = Array.from({ length: this.workers }, () => this.work(abort.signal));
    this.term = { abort, loops };
    this.opts.log.info('Workers started', { controller: this.name, workers: this.workers });
  }

  /**
   * Stops taking keys and waits up to `graceMs` for reconciles in flight; returns false when some were
   * abandoned (their signal is aborted and their results still land in the queue when they end).
   */
  async stopWorkers(graceMs: number): Promise<boolean> {
    const term = this.term;
    if (!term) return true;
    this.term = undefined;
    term.abort.abort();
    const drained = await this.queue.waitForIdle(graceMs);
    if (!drained) this.opts.log.warn('Abandoned reconciles still running', { controller: this.name, inFlight: this.queue.inFlight });
    return drained;
  }

  /** Stops for good: no more keys, in-flight reconciles get `graceMs`. */
  async shutdown(graceMs: number): Promise<boolean> {
    const drained = await this.stopWorkers(graceMs);
    this.queue.shutdown();
    return drained;
  }

  private async work(signal: AbortSignal): Promise<void> {
    for (;;) {
      const key = await this.queue.get(signal);
      if (key === undefined) return;
      try {
        await this.reconcileKey(key, signal);
      } finally {
        this.queue.done(key);
      }
    }
  }

  private async reconcileKey(key: string, signal: AbortSignal): Promise<void> {
    const object = this.opts.informer.get(key);
    const { namespace, name } = splitKey(key);
    if (!object) {
      // Gone from the cache: deleted without a finalizer, nothing left to converge.
      this.queue.forget(key);
      return;
    }
    const controller = this.name;
    const log = this.opts.log.child({ controller, namespace, name, generation: object.metadata?.generation });
    const stopTimer = this.opts.metrics.reconcileDuration.startTimer({ controller });
    let result: Result = 'success';
    try {
      const res = await this.opts.reconciler.reconcile({ key, namespace, name, object, log, signal });
      this.queue.forget(key);
      if (res?.requeueAfterMs !== undefined && res.requeueAfterMs >= 0) {
        result = 'requeue';
        this.queue.addAfter(key, res.requeueAfterMs);
      }
    } catch (err) {
      const e = fromUnknown(err);
      this.opts.metrics.reconcileErrors.inc({ controller });
      if (e.code === 'terminal') {
        result = 'terminal';
        this.queue.forget(key);
        log.error('Reconcile failed and will not be retried until the object changes', e.toLogFields());
      } else if (e.code === 'condition') {
        // A condition of the world (already on the object's status): checked again on the slow resync.
        result = 'requeue';
        this.queue.forget(key);
        const retryInMs = e.retryAfterMs ?? this.opts.conditionRecheckMs ?? 60_000;
        this.queue.addAfter(key, retryInMs);
        log.warn('Reconcile blocked by a condition; checking again later', { ...e.toLogFields(), retryInMs });
      } else {
        result = 'error';
        const retryInMs = this.queue.addRateLimited(key);
        log.warn('Reconcile failed; retrying', { ...e.toLogFields(), retryInMs, retries: this.queue.numRequeues(key) });
      }
    } finally {
      stopTimer();
      this.opts.metrics.reconcileTotal.inc({ controller, result });
    }
  }
}
