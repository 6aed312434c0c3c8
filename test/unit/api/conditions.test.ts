// The pure condition helpers: lastTransitionTime records real transitions only.
import assert from 'node:assert/strict';
import type { Condition } from '../../../src/api/common.js';
import { ConditionTypes, Reasons, findCondition, isTrue, removeCondition, setCondition } from '../../../src/api/conditions.js';

const T0 = new Date('2025-01-01T10:00:00.123Z');
const T1 = new Date('2025-01-01T10:05:00.456Z');

describe('setCondition', () => {
  const lagging = setCondition(
    undefined,
    {
      type: ConditionTypes.Ready,
      status: 'False',
      reason: Reasons.LagAboveThreshold,
      message: 'lag 80 MiB',
      observedGeneration: 1,
    },
    T0,
  );

  it('adds a new condition with the time of now, in Kubernetes second precision', () => {
    assert.deepEqual(lagging, [
      {
        type: 'Ready',
        status: 'False',
        reason: 'LagAboveThreshold',
        message: 'lag 80 MiB',
        lastTransitionTime: '2025-01-01T10:00:00Z',
        observedGeneration: 1,
      },
    ]);
  });

  it('keeps lastTransitionTime when the status does not flip, but updates the rest', () => {
    const next = setCondition(
      lagging,
      {
        type: ConditionTypes.Ready,
        status: 'False',
        reason: Reasons.InitialCopyInProgress,
        message: 'copying 3 tables',
        observedGeneration: 2,
      },
      T1,
    );
    const ready = findCondition(next, ConditionTypes.Ready);
    assert.equal(ready?.lastTransitionTime, '2025-01-01T10:00:00Z');
    assert.equal(ready?.reason, 'InitialCopyInProgress');
    assert.equal(ready?.message, 'copying 3 tables');
    assert.equal(ready?.observedGeneration, 2);
  });

  it('moves lastTransitionTime when the status flips', () => {
    const next = setCondition(
      lagging,
      { type: ConditionTypes.Ready, status: 'True', reason: Reasons.Succeeded, message: 'streaming', observedGeneration: 1 },
      T1,
    );
    assert.equal(findCondition(next, ConditionTypes.Ready)?.lastTransitionTime, '2025-01-01T10:05:00Z');
    assert.equal(isTrue(next, ConditionTypes.Ready), true);
  });

  it('does not modify its input and keeps other conditions in place', () => {
    const before: Condition[] = [
      { type: 'Streaming', status: 'True', reason: 'Succeeded', message: '', lastTransitionTime: '2024-12-31T00:00:00Z' },
      ...lagging,
    ];
    const snapshot = structuredClone(before);
    const next = setCondition(
      before,
      { type: ConditionTypes.Ready, status: 'Unknown', reason: Reasons.Reconciling, message: 'checking' },
      T1,
    );
    assert.deepEqual(before, snapshot);
    assert.deepEqual(
      next.map((c) => c.type),
      ['Streaming', 'Ready'],
    );
    assert.equal(findCondition(next, ConditionTypes.Ready)?.observedGeneration, undefined);
  });

  it('finds, tests and removes by type', () => {
    assert.equal(isTrue(lagging, ConditionTypes.Ready), false);
    assert.equal(isTrue(undefined, ConditionTypes.Ready), false);
    assert.equal(findCondition(lagging, ConditionTypes.SchemaDrift), undefined);
    assert.deepEqual(removeCondition(lagging, ConditionTypes.Ready), []);
  });
});
