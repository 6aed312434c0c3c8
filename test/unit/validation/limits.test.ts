// The load limiter (on a hand-moved clock) and the work pool.
import assert from 'node:assert/strict';
import { LoadLimiter, WorkPool } from '../../../src/postgres/validation/limits.js';
import type { Clock } from '../../../src/clock.js';

function manualClock(): Clock & { advance(ms: number): void } {
  let t = 1_000_000;
  return {
    now: () => t,
    setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
    clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout),
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe('validation: load limiter', () => {
  it('does not limit without rates', async () => {
    const l = new LoadLimiter();
    assert.equal(l.limited, false);
    l.charge(1e9);
    assert.equal(l.delayMs(), 0);
    await l.acquire();
  });

  it('makes the next read wait until the rows already read are paid for', () => {
    const clock = manualClock();
    const l = new LoadLimiter({ rowsPerSecond: 1000 }, clock);
    assert.equal(l.delayMs(), 0, 'a second of budget is saved up');
    l.charge(3000);
    assert.equal(l.delayMs(), 2000);
    clock.advance(1500);
    assert.equal(l.delayMs(), 500);
    clock.advance(500);
    assert.equal(l.delayMs(), 0);
  });

  it('spaces ranges at the range rate after a one-second burst', async () => {
    const clock = manualClock();
    const l = new LoadLimiter({ rangesPerSecond: 2 }, clock);
    await l.acquire();
    await l.acquire();
    assert.equal(l.delayMs(), 500);
    clock.advance(500);
    assert.equal(l.delayMs(), 0);
  });

  it('refuses a rate that is not positive', () => {
    assert.throws(() => new LoadLimiter({ rowsPerSecond: 0 }), /must be positive/);
  });
});

describe('validation: work pool', () => {
  it('runs jobs (and the jobs they push) on at most as many workers as it has', async () => {
    const pool = new WorkPool(['w1', 'w2']);
    let running = 0;
    let peak = 0;
    const seen: string[] = [];
    const job =
      (name: string, children: string[]) =>
      async (w: string): Promise<void> => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 5));
        seen.push(`${name}@${w}`);
        running -= 1;
        for (const c of children) pool.push(job(c, []));
      };
    pool.push(job('a', ['a1', 'a2']));
    pool.push(job('b', []));
    pool.push(job('c', ['c1']));
    await pool.drain();
    assert.equal(peak, 2);
    assert.deepEqual(seen.map((s) => s.split('@')[0]).sort(), ['a', 'a1', 'a2', 'b', 'c', 'c1']);
  });

  it('stops at the first failure and reports it', async () => {
    const pool = new WorkPool([1]);
    let ran = 0;
    pool.push(async () => {
      throw new Error('boom');
    });
    pool.push(async () => {
      ran += 1;
    });
    await assert.rejects(pool.drain(), /boom/);
    assert.equal(ran, 0);
  });

  it('settles at once with nothing to do, and stops when aborted', async () => {
    await new WorkPool([1]).drain();
    const abort = new AbortController();
    abort.abort(new Error('stop'));
    const pool = new WorkPool([1], abort.signal);
    pool.push(async () => undefined);
    await assert.rejects(pool.drain(), /stop/);
  });
});
