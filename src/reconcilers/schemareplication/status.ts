// Status: progress, lag, slot retention and drift summed up; the last step, it always ends the pass.
import { setCondition, type SchemaReplicationStatus } from '../../api/index.js';
import { copiedBytes, readSlot, tableProgress, type SlotState } from '../../postgres/replication.js';
import { finish, isReady, key } from './outcome.js';
import { stop, type Pass, type StepResult } from './pass.js';
import {
  DEFAULT_SLOT_RETENTION_BUDGET_BYTES,
  isSlotLost,
  lagOf,
  lagThreshold,
  requeueAfter,
  schemaDriftCondition,
  slotRetentionCondition,
  summarize,
} from './plan.js';

export async function statusStep(pass: Pass): Promise<StepResult> {
  const { obj, ctx, sub, published, drift } = pass;
  const spec = obj.spec;
  const slot = pass.action.kind === 'none' ? pass.obs.slot : await readSlot(pass.source, pass.names.slot);
  const progress = tableProgress(sub, published.length);
  const lag = lagOf(slot);
  const summary = summarize({
    blocking: [],
    suspend: spec.suspend ?? false,
    ...(sub ? { sub } : {}),
    slot,
    published: published.length,
    drift,
    lag,
    threshold: lagThreshold(spec),
    slotLost: isSlotLost(sub, slot, pass.base.subscriptionOid),
  });
  const budget = spec.slotRetentionBudgetBytes ?? DEFAULT_SLOT_RETENTION_BUDGET_BYTES;
  const status: SchemaReplicationStatus = {
    ...pass.status,
    postDataSchemas: [...pass.postDataDone, ...pass.postDataDue],
    ...(sub ? { subscriptionOid: sub.oid, bytesCopied: await copiedBytes(pass.target, sub.oid) } : {}),
    targetSystemIdentifier: pass.obs.servers.target.systemIdentifier,
    lag,
    tables: { total: progress.total, ready: progress.ready, copying: progress.copying },
    slot: { exists: slot.exists, active: slot.active, retainedBytes: slot.retainedBytes },
    sourceFingerprint: pass.obs.sourceInventory.fingerprint,
  };
  status.conditions = withConditions(pass, status, slot, budget);
  ctx.metrics.record(key(obj), {
    lagBytes: lag.bytes,
    lagSeconds: lag.seconds,
    retainedBytes: slot.retainedBytes,
    retentionBudgetBytes: budget,
    tablesReady: progress.ready,
    tablesTotal: progress.total,
    ready: summary.ready,
  });
  if (summary.ready && !isReady(obj)) ctx.events.normal('Streaming', `All ${published.length} tables are streaming`);
  return stop(finish(obj, status, ctx, summary, requeueAfter(summary.phase)));
}

function withConditions(
  pass: Pass,
  status: SchemaReplicationStatus,
  slot: SlotState,
  budget: number,
): SchemaReplicationStatus['conditions'] {
  const observedGeneration = pass.obj.metadata.generation ?? 0;
  const retention = setCondition(
    status.conditions,
    { ...slotRetentionCondition(slot.retainedBytes, budget), observedGeneration },
    pass.ctx.now(),
  );
  return setCondition(retention, { ...schemaDriftCondition(pass.drift), observedGeneration }, pass.ctx.now());
}
