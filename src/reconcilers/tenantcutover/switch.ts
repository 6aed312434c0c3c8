// A move of a tenant from one side to the other (the switch to the target, or the rollback to the
// source): one budgeted freeze, then the finish. Every step a restarted operator must know about is
// persisted before it is taken: `Freezing` before the first PAUSE (undo on restart), the new route
// before the flip (finish on restart). A rehearsal stops short of the flip, by design.
import type pg from 'pg';
import type { Side, TenantCutoverStatus } from '../../api/index.js';
import type { TableInfo } from '../../postgres/catalog.js';
import type { ConnectionInfo } from '../../postgres/connection.js';
import {
  acquireFence,
  openFenceSession,
  probeFence,
  restoreGrants,
  revokeWrites,
  unfencedTables,
  type FenceSession,
  type SavedGrant,
} from '../../postgres/fence.js';
import { dropSlots, systemIdentifier } from '../../postgres/replication.js';
import { dropPath, enablePath, pathState, positionPath, type ReplicationPath } from '../../postgres/reverse.js';
import { beat, waitForBeat } from '../../postgres/sentinel.js';
import { syncSequences } from '../../postgres/sequences.js';
import type { AgentRef, RoutingPort } from '../../routing/client.js';
import type { RoutedRoute } from '../../routing/protocol.js';
import { claimMove, MoveSuperseded, type MoveClaim } from '../../postgres/claim.js';
import { failpoint, heldFailpoint } from '../../failpoint.js';
import { sleep } from '../../clock.js';
import { OperatorError } from '../../errors.js';

export interface Endpoint {
  client: pg.Client;
  info: ConnectionInfo;
}

export interface MoveInput {
  moveId: string;
  to: Side;
  tenant: string;
  schemas: string[];
  /** spec.extraSequences of the SchemaReplication: set with the tenant's own. */
  extraSequences: string[];
  tables: TableInfo[];
  database: string;
  agents: AgentRef[];
  routing: RoutingPort;
  /** The side that serves now, and the side that takes over. */
  from: Endpoint;
  onto: Endpoint;
  /** The path that carries `from` -> `onto` today: drained in the freeze, retired after the flip. */
  activePath: ReplicationPath;
  /** The way back (`onto` -> `from`), prepared before the freeze: positioned in it, enabled after. */
  backPath: ReplicationPath;
  route: RoutedRoute;
  budgetMs: number;
  sequenceGap: number;
  /** ACLs of `from`'s tables, saved before they are revoked (restored when the tenant comes back). */
  fromGrants: SavedGrant[];
  /** ACLs saved when the tenant last left `onto`: restored once it serves again. */
  ontoGrants: SavedGrant[];
  rehearse: boolean;
  persist(patch: Partial<TenantCutoverStatus>): Promise<void>;
  recordedRoute(): Promise<RoutedRoute | undefined>;
  now(): number;
  /** Aborted when this operator stops leading: the move is abandoned before its point of no return. */
  signal?: AbortSignal;
}

export type MoveResult =
  | {
      ok: true;
      rehearsed: boolean;
      writePauseMs: number;
      switchLsn: string;
      sequences: Array<{ name: string; value: string }>;
      steps: Step[];
      startedAt: number;
    }
  | { ok: false; reason: string; writePauseMs: number; steps: Step[]; startedAt: number; cleanupFailures: CleanupFailure[] };

/** A step of an abort that did not succeed: the reconciler reports each (a failed restore leaves the serving side read-only). */
export interface CleanupFailure {
  step: 'resume' | 'release' | 'restore';
  message: string;
}

export interface Step {
  name: string;
  atMilliseconds: number;
}

class BudgetExceeded extends Error {}

const otherSideOf = (side: Side): Side => (side === 'source' ? 'target' : 'source');

/**
 * The move's step goes to status first (a restart undoes it), then, after that write (which a deposed
 * operator's stale copy fails), both sides name this move as the tenant's owner: an older move's
 * guarded writes fail from here on.
 */
async function claimTenant(input: MoveInput, fenceClient: pg.Client): Promise<MoveClaim> {
  const claim: MoveClaim = { tenant: input.tenant, moveId: input.moveId };
  try {
    await input.persist({
      step: input.rehearse ? 'Rehearsing' : 'Freezing',
      movingTo: input.to,
      moveId: input.moveId,
      freezeStartedAt: new Date(input.now()).toISOString(),
      freezeDeadline: new Date(input.now() + input.budgetMs).toISOString(),
    });
    await Promise.all([claimMove(input.from.client, claim), claimMove(input.onto.client, claim)]);
    return claim;
  } catch (err) {
    await fenceClient.end().catch(() => undefined);
    throw err;
  }
}

export async function moveTenant(input: MoveInput): Promise<MoveResult> {
  const fenceClient = await openFenceSession(input.from.info);
  let fence: FenceSession | undefined;
  const steps: Step[] = [];
  await heldFailpoint('BeforeFreezing');
  const claim = await claimTenant(input, fenceClient);
  const t0 = input.now();
  const deadline = t0 + input.budgetMs;
  let flipped = false;
  let sealed = false;
  const mark = (name: string): void => {
    steps.push({ name, atMilliseconds: input.now() - t0 });
    failpoint(name);
    if (!flipped && input.signal?.aborted)
      throw new Error('this operator stopped leading during the freeze: the move is abandoned (the new leader undoes or retries it)');
  };
  const left = (): number => {
    const ms = deadline - input.now();
    if (ms <= 0) throw new BudgetExceeded(`the write pause budget of ${input.budgetMs} ms ran out`);
    return ms;
  };
  try {
    await input.routing.pause(input.agents, input.database, input.moveId, input.budgetMs);
    mark('Paused');
    fence = await acquireFence(fenceClient, input.tables, left(), claim);
    mark('Fenced');
    const probe = input.tables[0];
    if (probe && !(await probeFence(input.from.client, probe))) throw new Error('the write probe got through the fence');
    const unfenced = await unfencedTables(input.from.client, input.schemas, input.tables);
    if (unfenced.length > 0) throw new Error(`table(s) ${unfenced.join(', ')} appeared since the move began: not fenced, not moved`);
    mark('FenceProven');
    // Durable before anything else: a dead operator, a lost response or the session's timeout cannot reopen the old side.
    sealed = true;
    await fence.seal();
    mark('WritesRevoked');
    const value = await beat(input.from.client, input.tenant);
    if (!(await waitForBeat(input.onto.client, input.tenant, value, deadline)))
      throw new BudgetExceeded(`the ${input.to} did not apply the sentinel within ${input.budgetMs} ms`);
    mark('Drained');
    if (input.rehearse) {
      // Everything but the flip, then the abort by design: the numbers are what a real move would see.
      // The grants first: clients released onto a side still revoked would be refused.
      await restoreGrants(input.from.client, input.fromGrants, claim);
      await input.routing.resume(input.agents, input.database, input.moveId);
      mark('Resumed');
      const writePauseMs = input.now() - t0;
      await fence.release();
      return { ok: true, rehearsed: true, writePauseMs, switchLsn: fence.lsn, sequences: [], steps, startedAt: t0 };
    }
    const sequences = await syncSequences(input.from.client, input.onto.client, input.schemas, input.extraSequences, input.sequenceGap);
    mark('SequencesSynced');
    await positionPath(input.from.client, input.onto.client, input.backPath);
    mark('BackPathPositioned');
    left();
    // The point of no return: from here a restarted operator (and the agents' dead-man) finish the move.
    flipped = await recordRoute(input);
    mark('RouteRecorded');
    // Only now, and before any pooled client is released onto it, does the side taking over get its
    // writes back. Earlier, a writer that bypasses PgBouncer could commit there while the route write
    // fails or its answer is lost, and an abort would leave those commits on a side that does not
    // serve (acknowledged, never replicated: the next attempt positions the way back past them).
    if (input.ontoGrants.length > 0) {
      await restoreGrants(input.onto.client, input.ontoGrants, claim);
      mark('GrantsRestored');
    }
    await input.routing.flip(input.agents, input.database, input.moveId, input.route);
    mark('Resumed');
    const writePauseMs = input.now() - t0;
    await finishMove({ ...input, fence });
    return { ok: true, rehearsed: false, writePauseMs, switchLsn: fence.lsn, sequences, steps, startedAt: t0 };
  } catch (err) {
    const reason = (err as Error).message;
    if (flipped || err instanceof RouteUnknown) {
      // The route already names the new side: agents converge on it; the requeue finishes the move.
      await fence?.release();
      throw err;
    }
    const release = (): Promise<void> => (fence ? fence.release() : fenceClient.end());
    const cleanupFailures = await undoAttempt(input, claim, release, sealed);
    mark('Aborted');
    return { ok: false, reason, writePauseMs: input.now() - t0, steps, startedAt: t0, cleanupFailures };
  }
}

/**
 * The point of no return. A write whose answer is lost may have landed: the API is asked before
 * anything is undone. Landed, the move goes on; not landed, it aborts; no answer either, and it stops
 * as if flipped (nothing given back): the restarted reconcile reads which it was and finishes or
 * undoes it, while the side given up stays closed.
 */
async function recordRoute(input: MoveInput): Promise<true> {
  try {
    failpoint('RouteWrite'); // `:throw`: the write never reached the API
    await input.persist({ step: 'Flipping', route: input.route });
    failpoint('RouteWriteAnswered');
    return true;
  } catch (err) {
    const seen = await readBack(input).catch((e: unknown) => e as Error);
    if (seen instanceof Error)
      throw new RouteUnknown(`the route write's answer was lost and the API cannot say whether it landed: ${seen.message}`);
    if (seen?.revision === input.route.revision) return true;
    throw err;
  }
}

/** `RouteReadBack:throw`: the API cannot say either; `:hold=<file>` parks the move before it asks. */
async function readBack(input: MoveInput): Promise<RoutedRoute | undefined> {
  await heldFailpoint('RouteReadBack');
  return input.recordedRoute();
}

/** The route write may or may not have landed: nothing may be given back until a reconcile knows. */
class RouteUnknown extends Error {
  override name = 'RouteUnknown';
}

/** An abort before the flip: every step runs, and each that fails is returned, never swallowed. */
async function undoAttempt(
  input: MoveInput,
  claim: MoveClaim,
  releaseFence: () => Promise<void>,
  sealed: boolean,
): Promise<CleanupFailure[]> {
  const failures: CleanupFailure[] = [];
  const attempt = async (step: CleanupFailure['step'], what: string, work: () => Promise<unknown>): Promise<void> => {
    await work().catch((e: unknown) => {
      // A newer leader took the tenant over meanwhile: what it did stands, ours is not undone over it.
      if (e instanceof MoveSuperseded) return;
      failures.push({ step, message: `${what} failed: ${(e as Error).message ?? String(e)}` });
    });
  };
  // The serving side gets its writes back before its clients are released (a failure leaves it
  // read-only, never split: reported, retried).
  if (sealed) {
    await attempt('restore', `giving the tenant's writes on the ${otherSideOf(input.to)} back`, () =>
      restoreGrants(input.from.client, input.fromGrants, claim),
    );
  }
  await attempt('resume', `resuming the route agents of ${input.database} (they resume by the deadline)`, () =>
    input.routing.resume(input.agents, input.database, input.moveId),
  );
  await attempt('release', 'releasing the fence session (the server ends it by its timeout)', releaseFence);
  // The side that did not take over was never given its writes (they come back only after the route
  // names it): it stays fenced as it was, with nothing to undo there.
  return failures;
}

/**
 * After the flip (also the restart path), idempotent: the old side stays fenced by privileges, the
 * new side gets its own grants back, the old path is retired (its subscription, its walsender and its
 * slot gone), and only then does the way back flow. PostgreSQL 15 has no `origin = none`: while the
 * old slot is decoded, what the way back applies on the old side would be sent forward again.
 */
export async function finishMove(
  input: Pick<MoveInput, 'from' | 'onto' | 'tables' | 'activePath' | 'backPath' | 'ontoGrants'> & { fence?: FenceSession },
): Promise<void> {
  await revokeWrites(input.from.client, input.tables);
  failpoint('Revoked');
  await input.fence?.release();
  // Idempotent: already done inside the freeze, repeated here for a move finished after a restart.
  if (input.ontoGrants.length > 0) await restoreGrants(input.onto.client, input.ontoGrants);
  await retirePath(input.from.client, input.onto.client, input.activePath);
  failpoint('BetweenDirections');
  const back = await pathState(input.from.client, input.backPath);
  if (back.exists && !back.enabled) await enablePath(input.from.client, input.backPath);
}

const RETIRE_TRIES = 50;
const RETIRE_PAUSE_MS = 100;

/**
 * Drops the path's subscription (on `subscriberSide`), then its slots on the publisher, waiting for
 * the walsender to exit. Throws, so the requeue tries again, while a slot is still held: the other
 * direction must not start before then.
 */
async function retirePath(publisher: pg.Client, subscriberSide: pg.Client, path: ReplicationPath): Promise<void> {
  const active = await pathState(subscriberSide, path);
  const syncOf = active.oid === undefined ? undefined : { oid: active.oid, systemIdentifier: await systemIdentifier(subscriberSide) };
  await dropPath(subscriberSide, undefined, path);
  let left: string[] = [];
  for (let i = 0; i < RETIRE_TRIES; i++) {
    left = await dropSlots(publisher, path.slot, syncOf);
    if (left.length === 0) return;
    await sleep(RETIRE_PAUSE_MS);
  }
  throw new OperatorError(
    'transient',
    `the old direction's slot(s) ${left.join(', ')} are still held by a walsender; the way back starts once they are gone`,
  );
}
