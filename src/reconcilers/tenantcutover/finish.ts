// What a move attempt leaves in status and Events: a rehearsal's figures, an abort and its retry, a
// switch with its position and sequences; and spec.complete, which retires the way back for good.
import { ConditionTypes, type Side, type TenantCutover, type TenantCutoverStatus } from '../../api/index.js';
import { dropPublication, dropSlots } from '../../postgres/replication.js';
import { dropPath } from '../../postgres/reverse.js';
import { STEADY_MS, WAIT_MS, type CutoverContext, type CutoverOutcome } from './context.js';
import type { World } from './observe.js';
import { backoffAfter } from './plan.js';
import { restoreFailedMessage } from './recover.js';
import type { CutoverStatus } from './status.js';
import type { MoveResult } from './switch.js';

type HistoryEntry = NonNullable<TenantCutoverStatus['history']>[number];

export interface Attempt {
  moveId: string;
  to: Side;
  from: Side;
  attempts: number;
  result: MoveResult;
}

export function countedAttempts(obj: TenantCutover): number {
  return obj.status?.attemptsGeneration === obj.metadata.generation ? (obj.status?.attempts ?? 0) : 0;
}

export function abortPatch(obj: TenantCutover, attempts: number, reason: string, now: number): Partial<TenantCutoverStatus> {
  return {
    step: undefined,
    movingTo: undefined,
    attempts,
    attemptsGeneration: obj.metadata.generation ?? 0,
    lastAbortReason: reason.slice(0, 1000),
    nextAttemptAt: new Date(now + backoffAfter(obj, attempts)).toISOString(),
  };
}

function history(st: CutoverStatus, a: Attempt, now: number, entry: Partial<HistoryEntry>): TenantCutoverStatus['history'] {
  const record = {
    moveId: a.moveId,
    to: a.to,
    startedAt: new Date(a.result.startedAt).toISOString(),
    finishedAt: new Date(now).toISOString(),
    writePauseMilliseconds: a.result.writePauseMs,
    steps: a.result.steps,
  };
  return [{ ...record, ...entry } as HistoryEntry, ...(st.status.history ?? [])].slice(0, 20);
}

export async function finishRehearsal(st: CutoverStatus, ctx: CutoverContext, a: Attempt): Promise<CutoverOutcome> {
  const r = a.result;
  const at = new Date(ctx.now()).toISOString();
  await st.persist({
    step: undefined,
    movingTo: undefined,
    rehearsedGeneration: st.generation,
    lastRehearsal: { writePauseMilliseconds: r.writePauseMs, at, result: r.ok ? 'Rehearsed' : 'Aborted' },
    history: history(st, a, ctx.now(), r.ok ? { result: 'Rehearsed' } : { result: 'Aborted', reason: r.reason }),
    ...(r.ok ? {} : { lastAbortReason: r.reason.slice(0, 1000) }),
  });
  const note = r.ok ? `Rehearsal: the freeze and drain took ${r.writePauseMs} ms; nothing was flipped` : `Rehearsal aborted: ${r.reason}`;
  ctx.events.normal('Rehearsed', note);
  const message = `rehearsal done: a move would pause writes for about ${r.writePauseMs} ms; the ${a.from} serves`;
  return st.outcome(true, 'Succeeded', message, WAIT_MS, 'Serving');
}

export async function finishAbort(world: World, st: CutoverStatus, ctx: CutoverContext, a: Attempt): Promise<CutoverOutcome> {
  const r = a.result;
  if (r.ok) throw new Error('finishAbort of a move that succeeded');
  await st.persist({
    ...abortPatch(world.obj, a.attempts, r.reason, ctx.now()),
    history: history(st, a, ctx.now(), { result: 'Aborted', reason: r.reason }),
  });
  ctx.events.warning('MoveAborted', `Move to the ${a.to} aborted after ${r.writePauseMs} ms, the ${a.from} serves again: ${r.reason}`);
  for (const failure of r.cleanupFailures) ctx.events.warning('AbortCleanupFailed', failure.message);
  const restore = r.cleanupFailures.find((f) => f.step === 'restore');
  if (restore) st.condition(ConditionTypes.ServingWritable, false, 'RestoreFailed', restoreFailedMessage(a.from, restore.message));
  return st.outcome(
    false,
    'MoveAborted',
    `the move was aborted (attempt ${a.attempts}): ${r.reason}`,
    backoffAfter(world.obj, a.attempts),
    'Aborted',
  );
}

export async function finishSwitch(st: CutoverStatus, ctx: CutoverContext, a: Attempt): Promise<CutoverOutcome> {
  const r = a.result;
  if (!r.ok) throw new Error('finishSwitch of a move that aborted');
  await st.persist({
    activeSide: a.to,
    step: undefined,
    movingTo: undefined,
    writePause: { milliseconds: r.writePauseMs },
    switchLsn: r.switchLsn,
    sequences: r.sequences.slice(0, 5000),
    lastSwitchTime: new Date(ctx.now()).toISOString(),
    attempts: 0,
    nextAttemptAt: undefined,
    history: history(st, a, ctx.now(), { result: 'Switched', switchLsn: r.switchLsn }),
  });
  const forward = a.to === 'target';
  const what = forward ? 'Switched to the target' : 'Rolled back to the source';
  const where = `${r.writePauseMs} ms write pause`;
  st.condition(ConditionTypes.Switched, forward, forward ? 'Switched' : 'RolledBack', `${what} at position ${r.switchLsn} with a ${where}`);
  ctx.events.normal(forward ? 'Switched' : 'RolledBack', `${what} with a ${where} (position ${r.switchLsn}); the way back is replicating`);
  const message = forward
    ? 'the target serves the tenant; the source is kept current by reverse replication'
    : 'the source serves again; the target is kept current by forward replication';
  return st.outcome(true, 'Succeeded', message, STEADY_MS, 'Serving');
}

/** spec.complete after the switch: the reverse replication and every forward artifact go; the tenant is migrated. */
export async function completeMigration(world: World, st: CutoverStatus, ctx: CutoverContext): Promise<CutoverOutcome> {
  if (!st.status.completed) {
    const { source, target } = world.sides;
    await dropPath(source.client, target.client, world.reverse);
    await dropPublication(source.client, world.forward.publication);
    await dropSlots(source.client, world.forward.slot);
    await st.persist({ completed: true, phase: 'Migrated' });
    ctx.events.normal('Migrated', 'spec.complete: the reverse replication and every forward artifact are gone; the tenant is migrated');
  }
  const message = 'the tenant is migrated: the target serves and the way back was retired (spec.complete)';
  return st.outcome(true, 'Migrated', message, STEADY_MS, 'Migrated');
}
