// TenantCutover: owns a tenant's PgBouncer route and moves it, fenced and budgeted. reconcile() reads
// as its steps: locate the tenant, own the route, open both sides, recover an interrupted move,
// decide the intent, gate retries, check preconditions, prepare the way back, move, record.
import { ConditionTypes, type TenantCutover } from '../../api/index.js';
import { isCondition } from '../../errors.js';
import { classifyPgError } from '../../postgres/errors.js';
import { withBothSides } from '../shared/endpoints.js';
import { STEADY_MS, WAIT_MS, type CutoverContext, type CutoverOutcome } from './context.js';
import { firstRoute, releaseAdopted } from './adopt.js';
import { completeMigration } from './finish.js';
import { runMove } from './move.js';
import { locateTenant, observeAgents, observePreconditions, observeWorld, type Located, type World } from './observe.js';
import { completionDue, intentFor, retryGate } from './plan.js';
import { preconditionBlocker } from './preconditions.js';
import { prepareMove } from './prepare.js';
import { recoverInterruptedMove, refenceIdleSide, regrantServingSide } from './recover.js';
import { CutoverStatus } from './status.js';
import { carryServingTables } from './wayback.js';

export type { CutoverContext, CutoverOutcome } from './context.js';

export async function reconcileTenantCutover(obj: TenantCutover, ctx: CutoverContext): Promise<CutoverOutcome> {
  const st = new CutoverStatus(obj, ctx);
  let located: Located;
  try {
    located = await locateTenant(obj, ctx);
  } catch (err) {
    if (isCondition(err)) return st.blocked(err, 'Pending');
    throw err;
  }
  // The route belongs to this object from the moment it exists (adopted from a deleted one's, where kept).
  const route = st.status.route ?? (await firstRoute(obj, located, st, ctx));
  const agents = await observeAgents(obj, ctx, route);
  if (agents.ownership.ok) await releaseAdopted(obj, route, ctx);
  st.condition(
    ConditionTypes.RouteOwned,
    agents.ownership.ok,
    agents.ownership.ok ? 'Succeeded' : agents.ownership.conflict ? 'RouteConflict' : 'RouteAgentsNotReady',
    agents.ownership.message,
  );
  // Another object owns the PgBouncer database: refused before anything happens on either server.
  if (agents.ownership.conflict) return st.outcome(false, 'RouteConflict', agents.ownership.message, WAIT_MS, 'Pending');
  try {
    return await withBothSides(located.endpoints, async (sessions) =>
      converge(await observeWorld(obj, located, agents, sessions), st, ctx),
    );
  } catch (err) {
    // A missing privilege on either server is a condition of the world: reported, checked again later.
    const classified = classifyPgError(err, 'the cutover could not proceed');
    if (isCondition(classified)) return st.blocked(classified);
    throw err;
  }
}

async function converge(world: World, st: CutoverStatus, ctx: CutoverContext): Promise<CutoverOutcome> {
  const obj = world.obj;
  await recoverInterruptedMove(world, st, ctx);
  await refenceIdleSide(world, st, ctx);
  await regrantServingSide(world, st, ctx);
  const from = st.activeSide;
  if (ctx.deleting) return st.outcome(true, 'Deleting', `being deleted: the tenant stays on the ${from}`, 0, 'Serving');
  if (await carryServingTables(world, st, ctx)) {
    const message = 'the target serves; what the application added there is being made on the source and copied back';
    return st.outcome(true, 'Succeeded', message, WAIT_MS, 'Serving');
  }
  reportApproval(st, obj);
  if (completionDue({ ...obj, status: st.status }, from)) return completeMigration(world, st, ctx);
  const intent = intentFor(obj, from);
  if (intent.kind === 'stay') return steady(world, st);
  const gate = intent.rehearse ? ({ kind: 'go' } as const) : retryGate(obj, ctx.now());
  if (gate.kind === 'exhausted') {
    const last = st.status.lastAbortReason ?? 'unknown';
    st.condition(
      ConditionTypes.RetriesExhausted,
      true,
      'RetriesExhausted',
      `${gate.attempts} attempt(s) aborted: ${last}; change the spec to try again`,
    );
    const message = `the move was aborted ${gate.attempts} time(s) (last: ${last}); change the spec to try again`;
    return st.outcome(false, 'RetriesExhausted', message, STEADY_MS, 'Aborted');
  }
  if (gate.kind === 'wait') {
    const message = `retrying at ${new Date(gate.untilMs).toISOString()} after: ${st.status.lastAbortReason ?? ''}`;
    return st.outcome(false, 'RetryScheduled', message, gate.untilMs - ctx.now(), 'Aborted');
  }
  const blocker = preconditionBlocker(await observePreconditions(world, intent.to, ctx.now()));
  if (blocker) {
    st.condition(ConditionTypes.PreconditionsMet, false, blocker.reason, blocker.message);
    return st.outcome(false, blocker.reason, blocker.message, WAIT_MS, 'Pending');
  }
  st.condition(ConditionTypes.PreconditionsMet, true, 'Succeeded', 'replication current, route agents confirmed, the way back possible');
  const fromGrants = await prepareMove(world, st, from, intent.to, intent.rehearse);
  return runMove(world, st, ctx, { from, to: intent.to, rehearse: intent.rehearse, fromGrants });
}

/** Withdrawing spec.approved after the switch moves nothing: it is reported. */
function reportApproval(st: CutoverStatus, obj: TenantCutover): void {
  const withdrawn = st.activeSide === 'target' && !obj.spec.approved;
  const message = withdrawn
    ? 'spec.approved was withdrawn after the switch: nothing moves; set spec.rollback: true to move back'
    : 'approval matches the side served';
  st.condition(ConditionTypes.ApprovalWithdrawn, withdrawn, withdrawn ? 'ApprovalWithdrawn' : 'Succeeded', message);
}

/** Nothing to move: the side asked for serves, or waits for approval. */
function steady(world: World, st: CutoverStatus): CutoverOutcome {
  const { ownership, obj } = world;
  const current = st.activeSide;
  if (!ownership.ok)
    return st.outcome(
      false,
      ownership.conflict ? 'RouteConflict' : 'RouteAgentsNotReady',
      ownership.message,
      STEADY_MS,
      current === 'target' || obj.spec.approved ? 'Serving' : 'WaitingForApproval',
    );
  if (current === 'target')
    return st.outcome(
      true,
      'Succeeded',
      'the target serves the tenant; the source is kept current by reverse replication',
      STEADY_MS,
      'Serving',
    );
  if (obj.spec.approved) return st.outcome(true, 'Succeeded', 'the source serves', STEADY_MS, 'Serving');
  return st.outcome(true, 'Succeeded', 'the source serves; set spec.approved: true to switch', STEADY_MS, 'WaitingForApproval');
}
