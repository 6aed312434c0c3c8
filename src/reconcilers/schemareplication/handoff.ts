// The hand-off to the TenantCutover: once a move begins (and after a switch) the forward path is the
// cutover's, and the SchemaReplication only reports. Decided on the API's copy of the cutover, at
// the start of a pass and again just before anything forward is created or enabled.
import { ConditionTypes, setCondition, type SchemaReplication, type SchemaReplicationStatus } from '../../api/index.js';
import type { Outcome, ReconcileContext } from './index.js';
import { finish, key } from './outcome.js';
import { cutoverHandoff, WHILE_STREAMING_MS, type Summary } from './plan.js';

/** After a switch (or during a move) the forward path belongs to the TenantCutover: hands off. */
export async function handOffToCutover(
  obj: SchemaReplication,
  ctx: ReconcileContext,
  base: SchemaReplicationStatus,
): Promise<Outcome | undefined> {
  const cutover = await ctx.kube.cutoverInCharge(obj.metadata.namespace as string, obj.metadata.name as string);
  const handoff = cutover ? cutoverHandoff(cutover) : servedWithoutCutover(base);
  if (!handoff) return undefined;
  ctx.metrics.forget(key(obj));
  const { serving, summary } = handoff;
  const conditions = setCondition(
    base.conditions,
    {
      type: ConditionTypes.TargetServing,
      status: serving ? 'True' : 'False',
      reason: summary.reason,
      message: summary.message,
      observedGeneration: obj.metadata.generation ?? 0,
    },
    ctx.now(),
  );
  const since = serving ? (base.targetServingSince ?? ctx.now().toISOString()) : undefined;
  return finish(obj, { ...base, conditions, ...(since ? { targetServingSince: since } : {}) }, ctx, summary, WHILE_STREAMING_MS);
}

/**
 * The target served and no TenantCutover references this object any more (it was deleted): the target
 * still serves. Only this object's own status knows it now, so that status is what keeps forward
 * replication (an initial copy into the serving data) from starting again.
 */
function servedWithoutCutover(status: SchemaReplicationStatus): { serving: boolean; summary: Summary } | undefined {
  const since = status.targetServingSince;
  if (!since) return undefined;
  return {
    serving: true,
    summary: {
      phase: 'TargetServing',
      ready: true,
      reason: 'CutoverDeleted',
      message:
        `the target has served the tenant since ${since} and its TenantCutover was deleted: forward replication stays retired ` +
        '(it would copy over the serving data), reverse replication keeps the source current, and deleting this ' +
        "SchemaReplication keeps the target's schemas whatever deletionPolicy says",
    },
  };
}
