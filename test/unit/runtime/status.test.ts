// Status helpers: the merge patch that is sent only on change, and the condition rules the runtime relies on.
import assert from 'node:assert/strict';
import { setCondition } from '../../../src/api/conditions.js';
import { deepEqual, mergePatch } from '../../../src/runtime/status.js';

describe('runtime: status merge patch', () => {
  it('is undefined when nothing changed, whatever the key order', () => {
    const cur = { observedGeneration: 2, conditions: [{ type: 'Ready', status: 'True' }], lag: { bytes: 0, seconds: 0 } };
    const des = { lag: { seconds: 0, bytes: 0 }, conditions: [{ status: 'True', type: 'Ready' }], observedGeneration: 2 };
    assert.equal(mergePatch(cur, des), undefined);
    assert.ok(deepEqual(cur, des));
  });

  it('carries only what changed, replaces arrays whole, nulls removed keys', () => {
    const cur = { observedGeneration: 1, lag: { bytes: 10, seconds: 1 }, tables: [1, 2], stale: 'x' };
    const des = { observedGeneration: 2, lag: { bytes: 10, seconds: 3 }, tables: [1, 2, 3] };
    assert.deepEqual(mergePatch(cur, des), { observedGeneration: 2, lag: { seconds: 3 }, tables: [1, 2, 3], stale: null });
  });

  it('treats undefined values as absent', () => {
    assert.equal(mergePatch({ a: 1 }, { a: 1, b: undefined }), undefined);
    assert.deepEqual(mergePatch({}, { a: { b: 1 } }), { a: { b: 1 } });
  });
});

describe('runtime: condition helper (src/api/conditions)', () => {
  const t0 = new Date('2025-01-01T00:00:00.123Z');
  const t1 = new Date('2025-01-01T00:05:00Z');

  it('sets lastTransitionTime on a new condition, at second precision', () => {
    const list = setCondition(
      undefined,
      { type: 'Ready', status: 'False', reason: 'Reconciling', message: 'm', observedGeneration: 1 },
      t0,
    );
    assert.equal(list.length, 1);
    assert.equal(list[0]?.lastTransitionTime, '2025-01-01T00:00:00Z');
    assert.equal(list[0]?.observedGeneration, 1);
  });

  it('keeps lastTransitionTime when only reason, message or generation change', () => {
    const a = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'Reconciling', message: 'm1' }, t0);
    const b = setCondition(a, { type: 'Ready', status: 'False', reason: 'ConnectionFailed', message: 'm2', observedGeneration: 2 }, t1);
    assert.equal(b[0]?.lastTransitionTime, a[0]?.lastTransitionTime);
    assert.equal(b[0]?.reason, 'ConnectionFailed');
    assert.equal(b[0]?.message, 'm2');
    assert.equal(b[0]?.observedGeneration, 2);
  });

  it('moves lastTransitionTime when the status flips, and leaves other conditions alone', () => {
    let list = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'Reconciling', message: '' }, t0);
    list = setCondition(list, { type: 'SlotRetention', status: 'True', reason: 'Succeeded', message: '' }, t0);
    const flipped = setCondition(list, { type: 'Ready', status: 'True', reason: 'Succeeded', message: '' }, t1);
    assert.equal(flipped[0]?.lastTransitionTime, '2025-01-01T00:05:00Z');
    assert.deepEqual(flipped[1], list[1]);
    assert.equal(list[0]?.status, 'False', 'the input list is not mutated');
  });

  it('gives an unchanged condition list, so a converged status patches nothing', () => {
    const a = setCondition(undefined, { type: 'Ready', status: 'True', reason: 'Succeeded', message: 'ok', observedGeneration: 3 }, t0);
    const b = setCondition(a, { type: 'Ready', status: 'True', reason: 'Succeeded', message: 'ok', observedGeneration: 3 }, t1);
    assert.equal(mergePatch({ conditions: a }, { conditions: b }), undefined);
  });
});
