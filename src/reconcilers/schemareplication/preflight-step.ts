// Preflight: problems of the world are re-checked on every pass and clear when fixed.
import { ConditionTypes, isTrue, setCondition, type SchemaReplication, type SchemaReplicationStatus } from '../../api/index.js';
import type { Finding } from '../../postgres/preflight.js';
import { byAge } from '../../routing/owners.js';
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
    servers: obs.servers,
  });
  const sourceDatabase = `${obs.servers.source.systemIdentifier}/${obs.servers.source.database}`;
  const claimed = claimedElsewhere(obj, pass.ctx.replicationsOfSource?.(sourceDatabase) ?? []);
  const verdict = preflightVerdict(claimed ? [claimed, ...findings] : findings);
  // Streaming forward again (never switched, or rolled back): the target no longer serves.
  const previous: SchemaReplicationStatus = { ...pass.base };
  delete previous.targetServingSince;
  if (isTrue(previous.conditions, ConditionTypes.TargetServing)) {
    const message = 'the source serves the tenant again: forward replication keeps the target current';
    const input = { type: ConditionTypes.TargetServing, status: 'False', reason: 'SourceServing', message } as const;
    previous.conditions = setCondition(previous.conditions, { ...input, observedGeneration: obj.metadata.generation ?? 0 }, pass.ctx.now());
  }
  pass.status = { ...previous, warnings: verdict.warnings, sourceDatabase };
  if (verdict.blocked) return stop(blocked(obj, pass.status, pass.ctx, verdict.blocked, RECHECK_BLOCKED_MS));
  return proceed;
}

/** A schema of this object an older SchemaReplication of the same source database already replicates. */
export function claimedElsewhere(obj: SchemaReplication, others: SchemaReplication[]): Finding | undefined {
  const mine = new Set(obj.spec.schemas);
  for (const other of [...others].sort(byAge)) {
    if (other.metadata.uid === obj.metadata.uid || byAge(other, obj) >= 0) continue;
    const shared = other.spec.schemas.filter((s) => mine.has(s));
    if (shared.length === 0) continue;
    return {
      reason: 'SchemaClaimed',
      blocking: true,
      message:
        `schema(s) ${shared.map((s) => JSON.stringify(s)).join(', ')} of this source database are already replicated by ` +
        `SchemaReplication ${other.metadata.namespace}/${other.metadata.name}: a schema has one SchemaReplication; ` +
        'remove them from spec.schemas here (nothing was created for this object)',
    };
  }
  return undefined;
}
