// The keyed work queue: coalescing, one run per key at a time, delays, backoff, shutdown.
import assert from 'node:assert/strict';
import { WorkQueue } from '../../../src/runtime/workqueue.js';
import { FakeClock } from './fakeClock.js';

async function flush(): Promise<void> {
  await new Promise((r) => setImmediate(r));
}

describe('runtime: work queue', () => {
  let clock: FakeClock;
  let queue: WorkQueue;
  beforeEach(() => {
    clock = new FakeClock();
    queue = new WorkQueue({ clock });
  });

  it('coalesces repeated adds of one key', async () => {
    queue.add('ns/a');
    queue.add('ns/a');
    queue.add('ns/b');
    queue.add('ns/a');
    assert.equal(queue.length, 2);
    assert.equal(await queue.get(), 'ns/a');
    assert.equal(await queue.get(), 'ns/b');
    assert.equal(queue.length, 0);
  });

  it('never hands out a key that is being processed; an add meanwhile re-runs it after done', async () => {
    queue.add('ns/a');
    const first = await queue.get();
    assert.equal(first, 'ns/a');
    queue.add('ns/a');
    queue.add('ns/a');
    assert.equal(queue.length, 0, 'the key must wait for done()');
    let second: string | undefined;
    void queue.get().then((k) => (second = k));
    await flush();
    assert.equal(second, undefined, 'a second worker must not get the key while it runs');
    queue.done('ns/a');
    await flush();
    assert.equal(second, 'ns/a', 'the key runs again once, after done()');
    queue.done('ns/a');
    assert.equal(queue.length, 0);
  });

  it('does not re-run a key after done when nothing was added meanwhile', async () => {
    queue.add('ns/a');
    await queue.get();
    queue.done('ns/a');
    assert.equal(queue.length, 0);
    assert.equal(queue.inFlight, 0);
  });

  it('hands a key to a waiting worker as soon as it is added', async () => {
    const got = queue.get();
    queue.add('ns/x');
    assert.equal(await got, 'ns/x');
    assert.ok(queue.isProcessing('ns/x'));
  });

  it('adds after a delay, and an earlier pending delay wins', () => {
    queue.addAfter('ns/a', 100);
    queue.addAfter('ns/a', 300);
    clock.advance(99);
    assert.equal(queue.length, 0);
    clock.advance(1);
    assert.equal(queue.length, 1);
    queue.addAfter('ns/b', 500);
    queue.addAfter('ns/b', 50);
    clock.advance(50);
    assert.equal(queue.length, 2);
    assert.equal(clock.pendingTimers, 0, 'the replaced timer was cleared');
  });

  it('retries a failed key with per-key exponential backoff and forgets it on success', () => {
    let retries = 0;
    queue = new WorkQueue({ clock, hooks: { retry: () => retries++ } });
    assert.deepEqual(
      [1, 2, 3, 4].map(() => queue.addRateLimited('ns/a')),
      [5, 10, 20, 40],
    );
    assert.equal(queue.addRateLimited('ns/b'), 5, 'backoff is per key');
    assert.equal(queue.numRequeues('ns/a'), 4);
    assert.equal(retries, 5);
    queue.forget('ns/a');
    assert.equal(queue.numRequeues('ns/a'), 0);
    assert.equal(queue.addRateLimited('ns/a'), 5);
  });

  it('reports depth changes', async () => {
    const depths: number[] = [];
    queue = new WorkQueue({ clock, hooks: { depth: (n) => depths.push(n) } });
    queue.add('a');
    queue.add('b');
    await queue.get();
    assert.deepEqual(depths, [1, 2, 1]);
  });

  it('a get() aborted by its signal resolves undefined and does not swallow a later key', async () => {
    const abort = new AbortController();
    const pending = queue.get(abort.signal);
    abort.abort();
    assert.equal(await pending, undefined);
    queue.add('ns/a');
    assert.equal(queue.length, 1, 'the aborted getter must not take the key');
    assert.equal(await queue.get(), 'ns/a');
  });

  it('shutdown stops handing out work, drops delayed adds and releases waiting workers', async () => {
    queue.add('ns/a');
    queue.addAfter('ns/b', 1000);
    const key = await queue.get();
    const waiting = queue.get();
    queue.add('ns/c');
    assert.equal(await waiting, 'ns/c');
    const waiting2 = queue.get();
    queue.shutdown();
    assert.equal(await waiting2, undefined);
    assert.equal(await queue.get(), undefined);
    assert.equal(clock.pendingTimers, 0);
    queue.add('ns/d');
    assert.equal(queue.length, 0, 'adds after shutdown are ignored');
    assert.equal(key, 'ns/a');
  });

  it('waitForIdle resolves when in-flight work ends, or false at its deadline', async () => {
    assert.equal(await queue.waitForIdle(10), true);
    queue.add('ns/a');
    await queue.get();
    const idle = queue.waitForIdle(1000);
    queue.done('ns/a');
    assert.equal(await idle, true);

    queue.add('ns/b');
    await queue.get();
    const timedOut = queue.waitForIdle(1000);
    clock.advance(1000);
    assert.equal(await timedOut, false);
  });

  it('with several workers, one key never runs concurrently and every add is reflected', async () => {
    const real = new WorkQueue();
    const running = new Set<string>();
    let overlap = 0;
    let runs = 0;
    const worker = async (): Promise<void> => {
      for (;;) {
        const k = await real.get();
        if (k === undefined) return;
        if (running.has(k)) overlap++;
        running.add(k);
        runs++;
        await new Promise((r) => setTimeout(r, 2));
        running.delete(k);
        real.done(k);
      }
    };
    const workers = Array.from({ length: 4 }, () => worker());
    for (let i = 0; i < 50; i++) {
      real.add(`ns/${i % 3}`);
      if (i % 5 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    while (real.length > 0 || real.inFlight > 0) await new Promise((r) => setTimeout(r, 5));
    real.shutdown();
    await Promise.all(workers);
    assert.equal(overlap, 0);
    assert.ok(runs >= 3 && runs < 50, `adds coalesce (runs=${runs})`);
  });
});
