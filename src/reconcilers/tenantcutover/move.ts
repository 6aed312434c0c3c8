// The move itself (or its rehearsal), handed to the fenced, budgeted protocol of switch.ts, and the
// attempt it made, recorded by finish.ts.
import { randomBytes } from 'node:crypto';
import type { Side } from '../../api/index.js';
import type { SavedGrant } from '../../postgres/fence.js';
import type { CutoverContext, CutoverOutcome } from './context.js';
import { countedAttempts, finishAbort, finishRehearsal, finishSwitch, type Attempt } from './finish.js';
import { savedGrantsOf } from './grants.js';
import { pathsFor, routeFor, type World } from './observe.js';
import { budgetMs } from './plan.js';
import type { CutoverStatus } from './status.js';
import { moveTenant } from './switch.js';

/** The gap a sequence on the side taking over is set ahead by, so no value is handed out twice. */
const SEQUENCE_GAP = 1000;

export interface MovePlan {
  from: Side;
  to: Side;
  rehearse: boolean;
  fromGrants: SavedGrant[];
}

export async function runMove(world: World, st: CutoverStatus, ctx: CutoverContext, plan: MovePlan): Promise<CutoverOutcome> {
  const moveId = `${ctx.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const paths = pathsFor(world, plan.to);
  const result = await moveTenant({
    moveId,
    to: plan.to,
    tenant: world.replication.spec.tenant,
    schemas: world.replication.spec.schemas,
    extraSequences: world.replication.spec.extraSequences ?? [],
    tables: world.tables,
    database: world.database,
    agents: world.agents,
    routing: ctx.routing,
    from: world.sides[plan.from],
    onto: world.sides[plan.to],
    activePath: paths.active,
    backPath: paths.back,
    route: routeFor(world.endpoints, plan.to, (st.status.route?.revision ?? 1) + 1),
    budgetMs: budgetMs(world.obj),
    sequenceGap: SEQUENCE_GAP,
    fromGrants: plan.fromGrants,
    ontoGrants: await savedGrantsOf(world, st.status, plan.to),
    rehearse: plan.rehearse,
    persist: (patch) => st.persist(patch),
    recordedRoute: () => ctx.recordedRoute(),
    now: ctx.now,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  const attempt: Attempt = { moveId, to: plan.to, from: plan.from, attempts: countedAttempts(world.obj) + 1, result };
  if (plan.rehearse) return finishRehearsal(st, ctx, attempt);
  return result.ok ? finishSwitch(st, ctx, attempt) : finishAbort(world, st, ctx, attempt);
}
