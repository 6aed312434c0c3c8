// How a pass ends: the status with its Ready condition, and when to look again.
import {
  ConditionTypes,
  knownReason,
  setCondition,
  type Condition,
  type SchemaReplication,
  type SchemaReplicationStatus,
} from '../../api/index.js';
import { isCondition } from '../../errors.js';
import type { Outcome, ReconcileContext } from './index.js';
import type { Summary } from './plan.js';

export function finish(
  obj: SchemaReplication,
  status: SchemaReplicationStatus,
  ctx: ReconcileContext,
  summary: Summary,
  requeueAfterMs: number,
): Outcome {
  const conditions: Condition[] = setCondition(
    status.conditions,
    {
      type: ConditionTypes.Ready,
      status: summary.ready ? 'True' : 'False',
      reason: summary.reason,
      message: summary.message,
      observedGeneration: obj.metadata.generation ?? 0,
    },
    ctx.now(),
  );
  return {
    status: { ...status, phase: summary.phase, conditions, observedGeneration: obj.metadata.generation ?? 0 },
    requeueAfterMs,
  };
}

/** Like finish, with a warning event the first time this reason blocks. */
export function blocked(
  obj: SchemaReplication,
  status: SchemaReplicationStatus,
  ctx: ReconcileContext,
  summary: Summary,
  requeueAfterMs: number,
): Outcome {
  if (!hasReason(obj, summary.reason)) ctx.events.warning(summary.reason, summary.message);
  return finish(obj, status, ctx, summary, requeueAfterMs);
}

/** A condition of the world (OperatorError code 'condition') reported as Ready=False with its reason. */
export function blockedByCondition(obj: SchemaReplication, status: SchemaReplicationStatus, ctx: ReconcileContext, err: unknown): Outcome {
  if (!isCondition(err)) throw err;
  return blocked(
    obj,
    status,
    ctx,
    { phase: 'Blocked', ready: false, reason: knownReason(err.reason, 'ConnectionFailed'), message: err.message },
    err.retryAfterMs,
  );
}

export function hasReason(obj: SchemaReplication, reason: string): boolean {
  return (obj.status?.conditions ?? []).some((c) => c.type === ConditionTypes.Ready && c.reason === reason);
}

export function isReady(obj: SchemaReplication): boolean {
  return (obj.status?.conditions ?? []).some((c) => c.type === ConditionTypes.Ready && c.status === 'True');
}

export function key(obj: SchemaReplication): { namespace: string; name: string } {
  return { namespace: obj.metadata.namespace as string, name: obj.metadata.name as string };
}
