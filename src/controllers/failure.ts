// What every controller does when its domain reconciler throws, as LandingZone does: Ready=False with
// the error's reason (or ReconcileError) and message goes on the status, so no condition is left
// stale, then the error is rethrown for the runtime's backoff. A failed status write never hides the error.
import { ConditionStatuses, ConditionTypes, knownReason, Reasons, setCondition, type Reason } from '../api/conditions.js';
import type { Condition } from '../api/common.js';
import { fromUnknown, type OperatorError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { KubeObject, ResourceType } from '../runtime/resources.js';
import type { StatusWriter } from '../runtime/statusWriter.js';

/** The reason a failed reconcile reports: the error's own, else ReconcileError. */
export function failureReason(e: OperatorError): Reason {
  return knownReason(e.reason, Reasons.ReconcileError);
}

/** `status` with Ready=False for `e`, everything else kept. */
export function failedStatus(
  obj: KubeObject,
  status: Record<string, unknown> | undefined,
  e: OperatorError,
  now: Date,
): Record<string, unknown> {
  const generation = obj.metadata?.generation;
  const conditions = setCondition(
    status?.conditions as Condition[] | undefined,
    {
      type: ConditionTypes.Ready,
      status: ConditionStatuses.False,
      reason: failureReason(e),
      message: e.message,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
    },
    now,
  );
  return { ...(status ?? {}), conditions };
}

/** Writes Ready=False for `err` on `obj` (its status as last written) and throws `err`, classified. */
export async function reportAndRethrow(
  deps: { status: Pick<StatusWriter, 'update'>; now?: () => Date },
  resource: ResourceType,
  obj: KubeObject,
  err: unknown,
  log?: Pick<Logger, 'warn'>,
): Promise<never> {
  const e = fromUnknown(err);
  try {
    await deps.status.update({
      resource,
      object: obj,
      status: failedStatus(obj, obj.status as Record<string, unknown> | undefined, e, (deps.now ?? (() => new Date()))()),
    });
  } catch (writeErr) {
    log?.warn('Could not report the failed reconcile on the status', { writeError: fromUnknown(writeErr).message });
  }
  throw e;
}
