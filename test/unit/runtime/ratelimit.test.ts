// Backoff and the token bucket, on a fake clock.
import assert from 'node:assert/strict';
import { KeyedBackoff, RetryRateLimiter, TokenBucket } from '../../../src/runtime/ratelimit.js';
import { FakeClock } from './fakeClock.js';

describe('runtime: backoff', () => {
  it('doubles from 5 ms per failure of a key', () => {
    const b = new KeyedBackoff();
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5].map(() => b.next('k')),
      [5, 10, 20, 40, 80, 160],
    );
    assert.equal(b.retries('k'), 6);
  });

  it('caps at about five minutes and never overflows', () => {
    const b = new KeyedBackoff();
    let last = 0;
    for (let i = 0; i < 2000; i++) last = b.next('k');
    assert.equal(last, 5 * 60_000);
    assert.ok(Number.isFinite(last));
  });

  it('keeps keys apart and starts a key over after forget', () => {
    const b = new KeyedBackoff({ baseMs: 100, maxMs: 1000 });
    b.next('a');
    b.next('a');
    assert.equal(b.next('b'), 100);
    assert.equal(b.next('a'), 400);
    assert.equal(b.next('a'), 800);
    assert.equal(b.next('a'), 1000);
    b.forget('a');
    assert.equal(b.retries('a'), 0);
    assert.equal(b.next('a'), 100);
  });
});

describe('runtime: token bucket', () => {
  it('lets a burst through, then spaces calls at the rate', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ ratePerSecond: 2, burst: 3, clock });
    assert.deepEqual(
      [0, 1, 2].map(() => bucket.reserve()),
      [0, 0, 0],
    );
    assert.equal(bucket.reserve(), 500);
    assert.equal(bucket.reserve(), 1000, 'reservations queue up behind each other');
  });

  it('refills with time, up to the burst', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 2, clock });
    bucket.reserve();
    bucket.reserve();
    assert.equal(bucket.reserve(), 100);
    clock.advance(60_000);
    assert.deepEqual(
      [0, 1].map(() => bucket.reserve()),
      [0, 0],
    );
    assert.equal(bucket.reserve(), 100, 'a long pause refills only to the burst');
  });

  it('refuses a non-positive rate', () => {
    assert.throws(() => new TokenBucket({ ratePerSecond: 0 }), RangeError);
  });
});

describe('runtime: retry rate limiter', () => {
  it('waits the longer of the key backoff and the shared bucket', () => {
    const clock = new FakeClock();
    const limiter = new RetryRateLimiter<string>({ bucket: { ratePerSecond: 1, burst: 2 } }, clock);
    assert.equal(limiter.when('a'), 5);
    assert.equal(limiter.when('b'), 5);
    // Bucket empty: the third retry, of any key, waits for a token although its backoff is 5 ms.
    assert.equal(limiter.when('c'), 1000);
    limiter.forget('a');
    assert.equal(limiter.retries('a'), 0);
  });
});
