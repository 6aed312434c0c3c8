import assert from 'node:assert/strict';
import { nextPosition, type SequenceValue } from '../../src/postgres/sequences.js';

const seq = (position: number, called: boolean, increment = 1, min = 1, max = 1_000_000): SequenceValue => ({
  name: 's.q',
  lastValue: called ? String(position) : null,
  position: String(position),
  called,
  increment: String(increment),
  min: String(min),
  max: String(max),
});

describe('sequences: where the side taking over must stand', () => {
  it('lies gap increments past the next value of the serving side', () => {
    assert.deepEqual(nextPosition(seq(50, true), seq(1, false), 1000), { value: 1051n, called: false });
  });
  it('counts from a RESTARTed position (not called yet: that value was not handed out)', () => {
    assert.deepEqual(nextPosition(seq(500, false), seq(1, false), 1000), { value: 1500n, called: false });
  });
  it('goes down for a descending sequence', () => {
    assert.deepEqual(nextPosition(seq(1000, true, -5, -100_000, 1_000_000), seq(1_000_000, false, -5, -100_000, 1_000_000), 1000), {
      value: 1000n - 5n - 5000n,
      called: false,
    });
  });
  it('keeps the side taking over where it is when it is further already', () => {
    assert.deepEqual(nextPosition(seq(7, false), seq(900_000, true), 1000), { value: 900_001n, called: false });
  });
  it('shrinks the gap to the bound when it does not fit', () => {
    assert.deepEqual(nextPosition(seq(1000, true, 1, 1, 1200), seq(1, false, 1, 1, 1200), 1000), { value: 1200n, called: false });
  });
  it('stays exhausted when the serving side handed out its last value', () => {
    assert.deepEqual(nextPosition(seq(1200, true, 1, 1, 1200), seq(1, false, 1, 1, 1200), 1000), { value: 1200n, called: true });
  });
});
