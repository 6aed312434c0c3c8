// Preflight: problems of the world are re-checked on every pass and clear when fixed.
import { ConditionTypes, isTrue, setCondition, type SchemaReplicationStatus } from '../../api/index.js';
import { evaluatePreflight } from '../../postgres/preflight.js';
import { blocked } from './outcome.js';
import { proceed, stop, type Pass, type StepResult } from './pass.js';
import { preflightVerdict, RECHECK_BLOCKED_MS } from './plan.js';

export async function preflightStep(pass: Pass): Promise<StepResult> {
  const { obs, obj } = pass;
  const findings = evaluatePreflight({
    source: obs.sourceFacts,
    target: obs.targetFacts,
    inventory: obs.sourceInventory,
    replicaIdentityFull: obj.spec.replicaIdentityFull ?? [],
  });
  const verdict = preflightVerdict(findings);
  // Streaming forward again (never switched, or rolled back): the target no longer serves.
  const previous: SchemaReplicationStatus = { ...pass.base };
  delete previous.targetServingSince;
  if (isTrue(previous.conditions, ConditionTypes.TargetServing)) {
    const message = 'the source serves the tenant again: forward replication keeps the target current';
    const input = { type: ConditionTypes.TargetServing, status: 'False', reason: 'SourceServing', message } as const;
    previous.conditions = setCondition(previous.conditions, { ...input, observedGeneration: obj.metadata.generation ?? 0 }, pass.ctx.now());
  }
  pass.status = { ...previous, warnings: verdict.warnings };
  if (verdict.blocked) return stop(blocked(obj, pass.status, pass.ctx, verdict.blocked, RECHECK_BLOCKED_MS));
  return proceed;
}
