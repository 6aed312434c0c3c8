// Bounded load: a limiter of ranges and rows per second (shareable by every run against one source)
// and a pool that runs comparison jobs on a fixed set of connections.
import { sleep, systemClock, type Clock } from '../../clock.js';

export interface LoadLimits {
  rowsPerSecond?: number;
  rangesPerSecond?: number;
}

interface Bucket {
  rate: number;
  /** At most one second's worth is saved up, so a quiet spell allows only a short burst. */
  capacity: number;
  tokens: number;
}

/**
 * Ranges are paid before a query (one token each); rows after it, when the count is known, which
 * may overdraw the bucket: the next query then waits until the debt is repaid. Over any stretch
 * longer than a second the average stays under both rates.
 */
export class LoadLimiter {
  private readonly buckets: { rows?: Bucket; ranges?: Bucket } = {};
  private last: number;

  constructor(
    limits: LoadLimits = {},
    private readonly clock: Clock = systemClock,
  ) {
    for (const [name, rate] of [
      ['rows', limits.rowsPerSecond],
      ['ranges', limits.rangesPerSecond],
    ] as const) {
      if (rate === undefined) continue;
      if (!(rate > 0)) throw new RangeError(`the ${name} rate limit must be positive, not ${rate}`);
      this.buckets[name] = { rate, capacity: Math.max(1, rate), tokens: Math.max(1, rate) };
    }
    this.last = clock.now();
  }

  get limited(): boolean {
    return this.buckets.rows !== undefined || this.buckets.ranges !== undefined;
  }

  private refill(): void {
    const now = this.clock.now();
    const seconds = (now - this.last) / 1000;
    this.last = now;
    for (const b of [this.buckets.rows, this.buckets.ranges]) {
      if (b) b.tokens = Math.min(b.capacity, b.tokens + seconds * b.rate);
    }
  }

  /** Milliseconds until one more range may be read (0: now). */
  delayMs(): number {
    this.refill();
    const rows = this.buckets.rows;
    const ranges = this.buckets.ranges;
    const rowsWait = rows && rows.tokens < 0 ? (-rows.tokens / rows.rate) * 1000 : 0;
    const rangesWait = ranges && ranges.tokens < 1 ? ((1 - ranges.tokens) / ranges.rate) * 1000 : 0;
    return Math.ceil(Math.max(rowsWait, rangesWait));
  }

  /** Waits for the budget of one range read, then takes it. */
  async acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const wait = this.delayMs();
      if (wait <= 0) break;
      await sleep(wait, signal);
    }
    if (this.buckets.ranges) this.buckets.ranges.tokens -= 1;
  }

  /** Charges the rows a read returned or scanned. */
  charge(rows: number): void {
    this.refill();
    if (this.buckets.rows) this.buckets.rows.tokens -= rows;
  }
}

export type Job<W> = (worker: W) => Promise<void>;

/**
 * Runs jobs on a fixed set of workers (each one a connection per side); jobs may push more jobs.
 * drain() settles once nothing is queued or running; the first failure stops the rest.
 */
export class WorkPool<W> {
  private readonly queue: Array<Job<W>> = [];
  private readonly idle: W[];
  private running = 0;
  private failure: { error: unknown } | undefined;
  private waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];

  constructor(
    workers: W[],
    private readonly signal?: AbortSignal,
  ) {
    if (workers.length === 0) throw new RangeError('a work pool needs at least one worker');
    this.idle = [...workers];
  }

  /** Queues a job; `first` runs it before everything queued (depth-first searches reach their leaves early). */
  push(job: Job<W>, order: 'last' | 'first' = 'last'): void {
    if (this.failure) return;
    if (order === 'first') this.queue.unshift(job);
    else this.queue.push(job);
    this.pump();
  }

  drain(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.settleIfDone();
    });
  }

  private pump(): void {
    while (!this.failure && this.queue.length > 0 && this.idle.length > 0) {
      const job = this.queue.shift() as Job<W>;
      const worker = this.idle.pop() as W;
      this.running += 1;
      void this.run(job, worker);
    }
  }

  private async run(job: Job<W>, worker: W): Promise<void> {
    try {
      this.signal?.throwIfAborted();
      await job(worker);
    } catch (error) {
      if (!this.failure) this.failure = { error };
      this.queue.length = 0;
    } finally {
      this.running -= 1;
      this.idle.push(worker);
      this.pump();
      this.settleIfDone();
    }
  }

  private settleIfDone(): void {
    if (this.running > 0 || (this.queue.length > 0 && !this.failure)) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      if (this.failure) w.reject(this.failure.error);
      else w.resolve();
    }
  }
}
