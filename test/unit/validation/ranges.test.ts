// Pure planning of a comparison: ranges from boundaries, the step a compared range takes, row diffs
// and the live re-check's verdict.
import assert from 'node:assert/strict';
import {
  diffRows,
  nextStep,
  rangesFromBoundaries,
  rowDifference,
  sameRow,
  splitSide,
  splitStep,
  verdict,
  type Digest,
} from '../../../src/postgres/validation/ranges.js';

const d = (n: number, digest: string | null): Digest => ({ n, digest });

describe('validation: key ranges', () => {
  it('cuts the whole key space at the boundaries, open at both ends', () => {
    assert.deepEqual(rangesFromBoundaries([]), [{}]);
    assert.deepEqual(rangesFromBoundaries([['10'], ['20']]), [{ upper: ['10'] }, { lower: ['10'], upper: ['20'] }, { lower: ['20'] }]);
  });

  it('cuts a bounded range inside its own bounds (composite keys)', () => {
    const within = { lower: ['eu', '1'], upper: ['us', '1'] };
    assert.deepEqual(rangesFromBoundaries([['eu', '50']], within), [
      { lower: ['eu', '1'], upper: ['eu', '50'] },
      { lower: ['eu', '50'], upper: ['us', '1'] },
    ]);
    assert.deepEqual(rangesFromBoundaries([], within), [within]);
  });

  it('splits into fanout pieces of at least one row', () => {
    assert.equal(splitStep(1000, 4), 250);
    assert.equal(splitStep(1001, 4), 251);
    assert.equal(splitStep(3, 4), 1);
    assert.equal(splitStep(10, 1), 5, 'a fanout below 2 would never shrink a range');
  });
});

describe('validation: bisection planning', () => {
  const opts = { live: false, rechecked: false, leafRows: 100 };

  it('is done with equal digests and counts', () => {
    assert.equal(nextStep(d(5, 'a'), d(5, 'a'), opts), 'done');
    assert.equal(nextStep(d(0, null), d(0, null), opts), 'done');
  });

  it('compares small ranges row by row and splits larger ones', () => {
    assert.equal(nextStep(d(100, 'a'), d(100, 'b'), opts), 'rows');
    assert.equal(nextStep(d(100, 'a'), d(101, 'b'), opts), 'split');
    assert.equal(nextStep(d(0, null), d(500, 'b'), opts), 'split');
  });

  it('re-checks a live mismatch once before spending work on it', () => {
    assert.equal(nextStep(d(1, 'a'), d(1, 'b'), { ...opts, live: true }), 'recheck');
    assert.equal(nextStep(d(1, 'a'), d(1, 'b'), { ...opts, live: true, rechecked: true }), 'rows');
  });

  it('takes split points from the side with more rows', () => {
    assert.equal(splitSide(d(10, 'a'), d(3, 'b')), 'source');
    assert.equal(splitSide(d(0, null), d(3, 'b')), 'target');
    assert.equal(splitSide(d(3, 'a'), d(3, 'b')), 'source');
  });
});

describe('validation: row diffs', () => {
  const cols = ['id', 'note', 'amount'];
  const row = (id: string, note: string | null, amount: string) => ({ key: [id], cols: [id, note, amount] });

  it('classifies missing, extra and different rows and names the differing columns', () => {
    const source = [row('1', 'a', '10'), row('2', 'b', '20'), row('3', null, '30')];
    const target = [row('1', 'a', '10'), row('3', 'h(empty)', '31'), row('4', 'd', '40')];
    assert.deepEqual(diffRows(source, target, cols), [
      { kind: 'missing', key: ['2'] },
      { kind: 'different', key: ['3'], columns: ['note', 'amount'] },
      { kind: 'extra', key: ['4'] },
    ]);
  });

  it('tells NULL from anything else', () => {
    assert.equal(sameRow({ key: ['1'], cols: [null] }, { key: ['1'], cols: [null] }), true);
    assert.equal(sameRow({ key: ['1'], cols: [null] }, { key: ['1'], cols: ['d41d8cd98f00b204e9800998ecf8427e'] }), false);
    assert.deepEqual(rowDifference(['1'], { key: ['1'], cols: [null] }, { key: ['1'], cols: ['x'] }, ['c']), {
      kind: 'different',
      key: ['1'],
      columns: ['c'],
    });
    assert.equal(rowDifference(['1'], undefined, undefined, ['c']), undefined);
  });
});

describe('validation: live re-check verdict', () => {
  const same = (a: string | undefined, b: string | undefined): boolean => a === b;

  it('clears a subscriber that holds what the publisher held at either read', () => {
    assert.equal(verdict('x', 'x', 'y', same), 'consistent');
    assert.equal(verdict('x', 'y', 'y', same), 'consistent');
    assert.equal(verdict(undefined, undefined, undefined, same), 'consistent', 'deleted on both sides');
  });

  it('reports a difference only when the publisher held still across the window', () => {
    assert.equal(verdict('x', 'z', 'x', same), 'persistent');
    assert.equal(verdict('x', undefined, 'x', same), 'persistent');
    assert.equal(verdict(undefined, 'z', undefined, same), 'persistent');
  });

  it('asks again when the row changed meanwhile', () => {
    assert.equal(verdict('x', 'z', 'y', same), 'changing');
  });
});
