// A move a dead operator left half-done (status.step is set): finished when the route was already
// written for the new side, undone before. Also the retry of a revoke an abort could not do.
import { ConditionTypes } from '../../api/index.js';
import { randomBytes } from 'node:crypto';
import { fromUnknown } from '../../errors.js';
import { claimMove, MoveSuperseded } from '../../postgres/claim.js';
import { fenceIdleSide, restoreGrants } from '../../postgres/fence.js';
import type { RoutedRoute } from '../../routing/protocol.js';
import type { CutoverContext } from './context.js';
import { abortPatch, countedAttempts } from './finish.js';
import { savedGrantsOf } from './grants.js';
import { pathsFor, type World } from './observe.js';
import { otherSide, recoveryFor } from './plan.js';
import type { CutoverStatus } from './status.js';
import { finishMove } from './switch.js';

export async function recoverInterruptedMove(world: World, st: CutoverStatus, ctx: CutoverContext): Promise<void> {
  const recovery = recoveryFor(st.status);
  if (recovery.kind === 'none') return;
  // This operator takes the tenant over on both sides: a deposed one still running that move can
  // no longer seal, give back or take away anything there. The record names this claim from now on
  // (status.moveId), so later guarded steps (refenceIdleSide) know it for their own.
  const claim = {
    tenant: world.replication.spec.tenant,
    moveId: `recovered-${ctx.now().toString(36)}-${randomBytes(3).toString('hex')}`,
  };
  await claimMove(world.sides.source.client, claim);
  await claimMove(world.sides.target.client, claim);
  if (recovery.kind === 'finishMove') {
    const from = otherSide(recovery.to);
    // The agents converge on the recorded route by themselves; the flip only makes it immediate.
    await ctx.routing
      .flip(world.agents, world.database, st.status.moveId ?? 'recovered', st.status.route as RoutedRoute)
      .catch((err: unknown) => ctx.events.warning('FlipDeferred', `Route agents did not take the flip now: ${fromUnknown(err).message}`));
    const paths = pathsFor(world, recovery.to);
    const ontoGrants = await savedGrantsOf(world, st.status, recovery.to);
    await finishMove({
      from: world.sides[from],
      onto: world.sides[recovery.to],
      tables: world.tables,
      activePath: paths.active,
      backPath: paths.back,
      ontoGrants,
    });
    await st.persist({
      activeSide: recovery.to,
      step: undefined,
      movingTo: undefined,
      moveId: claim.moveId,
      lastSwitchTime: new Date(ctx.now()).toISOString(),
    });
    ctx.events.normal('MoveFinished', `Finished a move interrupted after the route changed: the ${recovery.to} serves`);
  } else if (recovery.kind === 'abortInterrupted') {
    // The fence may have been sealed (writes revoked) before the operator stopped: the serving side
    // gets its writes back before its clients are released.
    await restoreGrants(world.sides[st.activeSide].client, await savedGrantsOf(world, st.status, st.activeSide));
    await ctx.routing
      .resume(world.agents, world.database, st.status.moveId ?? '')
      .catch((err: unknown) =>
        ctx.events.warning(
          'ResumeDeferred',
          `Route agents did not take the resume; they resume by the deadline: ${fromUnknown(err).message}`,
        ),
      );
    await (st.status.step === 'Rehearsing' ? abandonRehearsal(st, ctx, claim.moveId) : undoFreeze(world, st, ctx, claim.moveId));
  }
}

async function abandonRehearsal(st: CutoverStatus, ctx: CutoverContext, moveId: string): Promise<void> {
  const lastRehearsal = { writePauseMilliseconds: 0, at: new Date(ctx.now()).toISOString(), result: 'Aborted' };
  await st.persist({
    moveId,
    step: undefined,
    movingTo: undefined,
    rehearsedGeneration: st.generation,
    lastRehearsal,
    lastAbortReason: 'the operator stopped during the rehearsal',
  });
}

async function undoFreeze(world: World, st: CutoverStatus, ctx: CutoverContext, moveId: string): Promise<void> {
  // The side that did not take over was given no writes (a move gives them only after the route names
  // it; one of an earlier version gave them before): refenceIdleSide, next in this pass, closes it if it has any.
  const attempts = countedAttempts(world.obj) + 1;
  const reason =
    `the move was interrupted before its route was recorded (the operator stopped, or the route write's outcome ` +
    `could not be known); the route agents resumed the ${st.activeSide}`;
  await st.persist({ ...abortPatch(world.obj, attempts, reason, ctx.now()), moveId });
  ctx.events.warning(
    'MoveAborted',
    'A move was interrupted before its route was recorded (operator restart or unknown route write); the serving side kept serving',
  );
}

/**
 * Outside a move the side that does not serve takes none of the tenant's writes: checked on every
 * pass and revoked where it does (Event `Refenced`). A SchemaReplication's schema copy brings the
 * source's grants to the target, so before the first switch this is what closes it; an abort of an
 * earlier version could leave it open too (WritesFenced=False, RevokeFailed). The revoke is guarded
 * by the tenant's claim there: it changes nothing once a move newer than this record's claimed it.
 */
export async function refenceIdleSide(world: World, st: CutoverStatus, ctx: CutoverContext): Promise<void> {
  if (st.status.step) return;
  const idle = otherSide(st.activeSide);
  const guard = { tenant: world.replication.spec.tenant, ...(st.status.moveId ? { lastMove: st.status.moveId } : {}) };
  try {
    const revoked = await fenceIdleSide(world.sides[idle].client, world.tables, guard);
    st.condition(
      ConditionTypes.WritesFenced,
      true,
      'Succeeded',
      `the ${idle} takes none of the tenant's writes: only the ${st.activeSide} does`,
    );
    if (revoked)
      ctx.events.normal(
        'Refenced',
        `Revoked the tenant's write privileges on the ${idle}, which does not serve (${world.obj.metadata.name}); ` +
          'they are given at the move that makes it serve',
      );
  } catch (err) {
    // A newer move owns the tenant there: what it does stands.
    if (err instanceof MoveSuperseded) return;
    st.condition(ConditionTypes.WritesFenced, false, 'RevokeFailed', revokeFailedMessage(idle, fromUnknown(err).message));
  }
}

/**
 * The serving side an abort could not give its writes back (ServingWritable=False): the grants saved
 * before the freeze are restored again until it holds. Read-only is never a split, but an outage.
 */
export async function regrantServingSide(world: World, st: CutoverStatus, ctx: CutoverContext): Promise<void> {
  const writable = st.status.conditions?.find((c) => c.type === ConditionTypes.ServingWritable);
  if (writable?.status !== 'False' || st.status.step) return;
  const serving = st.activeSide;
  try {
    await restoreGrants(world.sides[serving].client, await savedGrantsOf(world, st.status, serving));
    st.condition(ConditionTypes.ServingWritable, true, 'Succeeded', `the ${serving} takes the tenant's writes again`);
    ctx.events.normal(
      'WritesRestored',
      `Gave the tenant's writes on the ${serving} back after a failed abort (${world.obj.metadata.name})`,
    );
  } catch (err) {
    st.condition(ConditionTypes.ServingWritable, false, 'RestoreFailed', restoreFailedMessage(serving, fromUnknown(err).message));
  }
}

export function restoreFailedMessage(side: string, error: string): string {
  return (
    `the tenant's write privileges on the ${side}, revoked by the aborted move's fence, could not be given back (${error}): ` +
    `the ${side} serves read-only; the operator retries, or grant them back from tenantshift.saved_grants there`
  );
}

export function revokeFailedMessage(side: string, error: string): string {
  return (
    `the tenant's write privileges on the ${side} could not be revoked (${error}): the ${side} is writable ` +
    'while it does not serve; the operator retries, or revoke them by hand'
  );
}
