// How long a failed key waits before its next try: per-key exponential backoff (5 ms doubling to a
// cap), combined with one token bucket shared by every key so that a mass failure cannot stampede.
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';

export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
}

/** Per-key exponential backoff: baseMs * 2^failures, capped at maxMs; forget() starts a key over. */
export class KeyedBackoff<K = string> {
  private readonly failures = new Map<K, number>();
  readonly baseMs: number;
  readonly maxMs: number;

  constructor(opts: BackoffOptions = {}) {
    this.baseMs = opts.baseMs ?? 5;
    this.maxMs = opts.maxMs ?? 5 * 60_000;
  }

  /** The delay for this failure of `key`, counting it. */
  next(key: K): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    // 2^n overflows to Infinity long after it passes the cap; Math.min keeps it finite.
    return Math.min(this.baseMs * 2 ** n, this.maxMs);
  }

  retries(key: K): number {
    return this.failures.get(key) ?? 0;
  }

  forget(key: K): void {
    this.failures.delete(key);
  }
}

export interface TokenBucketOptions {
  /** Tokens added per second. */
  ratePerSecond?: number;
  /** Bucket size: how many retries may go at once after a quiet period. */
  burst?: number;
  clock?: Clock;
}

/** A token bucket that reserves rather than refuses: each call returns how long its caller must wait. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  readonly ratePerSecond: number;
  readonly burst: number;
  private readonly clock: Clock;

  constructor(opts: TokenBucketOptions = {}) {
    this.ratePerSecond = opts.ratePerSecond ?? 10;
    this.burst = opts.burst ?? 100;
    if (this.ratePerSecond <= 0 || this.burst < 1) throw new RangeError('Token bucket needs a positive rate and a burst of at least 1');
    this.clock = opts.clock ?? systemClock;
    this.tokens = this.burst;
    this.last = this.clock.now();
  }

  /** Takes one token and returns the delay in ms until it is really available (0 when it is now). */
  reserve(): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.ratePerSecond) * 1000);
  }
}

export interface RateLimiterOptions {
  backoff?: BackoffOptions;
  bucket?: TokenBucketOptions;
}

/** The work queue's limiter: the longer of the key's backoff and the shared bucket's wait. */
export class RetryRateLimiter<K = string> {
  private readonly backoff: KeyedBackoff<K>;
  private readonly bucket: TokenBucket;

  constructor(opts: RateLimiterOptions = {}, clock: Clock = systemClock) {
    this.backoff = new KeyedBackoff<K>(opts.backoff);
    this.bucket = new TokenBucket({ ...opts.bucket, clock: opts.bucket?.clock ?? clock });
  }

  when(key: K): number {
    return Math.max(this.backoff.next(key), this.bucket.reserve());
  }

  retries(key: K): number {
    return this.backoff.retries(key);
  }

  forget(key: K): void {
    this.backoff.forget(key);
  }
}
