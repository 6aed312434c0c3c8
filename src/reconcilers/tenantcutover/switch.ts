// The switch of a tenant from source to target: one budgeted freeze, then the finish. Every step that
// a restarted operator must know about is persisted before it is taken: `Freezing` before the first
// PAUSE (undo on restart), the new route before the flip (finish on restart).
import type pg from 'pg';
import type { TenantCutoverStatus } from '../../api/index.js';
import type { TableInfo } from '../../postgres/catalog.js';
import type { ConnectionInfo } from '../../postgres/connection.js';
import { acquireFence, openFenceSession, probeFence, revokeWrites, type FenceSession, type SavedGrant } from '../../postgres/fence.js';
import type { ReplicationNames } from '../../postgres/names.js';
import { dropSlots, dropSubscription, readSubscription } from '../../postgres/replication.js';
import { enableReverse, positionReverse, type ReversePath } from '../../postgres/reverse.js';
import { beat, waitForBeat } from '../../postgres/sentinel.js';
import { applySequences, readSequences } from '../../postgres/sequences.js';
import type { AgentRef, RoutingPort } from '../../routing/client.js';
import type { RoutedRoute } from '../../routing/protocol.js';

export interface SwitchInput {
  moveId: string;
  tenant: string;
  schemas: string[];
  tables: TableInfo[];
  database: string;
  agents: AgentRef[];
  routing: RoutingPort;
  source: pg.Client;
  target: pg.Client;
  sourceInfo: ConnectionInfo;
  names: ReplicationNames;
  reverse: ReversePath;
  targetRoute: RoutedRoute;
  budgetMs: number;
  sequenceGap: number;
  savedGrants: SavedGrant[];
  /** Writes status (merge) and returns once the API has it. */
  persist(patch: Partial<TenantCutoverStatus>): Promise<void>;
  now(): number;
}

export type SwitchResult =
  | { ok: true; writePauseMs: number; switchLsn: string; sequences: Array<{ name: string; value: string }>; steps: Array<{ name: string; atMilliseconds: number }>; startedAt: number }
  | { ok: false; reason: string; writePauseMs: number; steps: Array<{ name: string; atMilliseconds: number }>; startedAt: number };

class BudgetExceeded extends Error {}

export async function switchToTarget(input: SwitchInput): Promise<SwitchResult> {
  const fenceClient = await openFenceSession(input.sourceInfo);
  let fence: FenceSession | undefined;
  const steps: Array<{ name: string; atMilliseconds: number }> = [];
  await input.persist({
    step: 'Freezing',
    movingTo: 'target',
    moveId: input.moveId,
    savedGrants: input.savedGrants.map((g) => ({ table: g.table, ...(g.acl !== null ? { acl: g.acl } : {}) })),
    freezeStartedAt: new Date(input.now()).toISOString(),
    freezeDeadline: new Date(input.now() + input.budgetMs).toISOString(),
  });
  const t0 = input.now();
  const deadline = t0 + input.budgetMs;
  const mark = (name: string): void => {
    steps.push({ name, atMilliseconds: input.now() - t0 });
  };
  const left = (): number => {
    const ms = deadline - input.now();
    if (ms <= 0) throw new BudgetExceeded(`the write pause budget of ${input.budgetMs} ms ran out`);
    return ms;
  };
  let flipped = false;
  try {
    await input.routing.pause(input.agents, input.database, input.moveId, input.budgetMs);
    mark('Paused');
    fence = await acquireFence(fenceClient, input.tables, left());
    mark('Fenced');
    const probe = input.tables[0];
    if (probe && !(await probeFence(input.source, probe))) throw new Error('the write probe got through the fence');
    mark('FenceProven');
    const value = await beat(input.source, input.tenant);
    if (!(await waitForBeat(input.target, input.tenant, value, deadline))) throw new BudgetExceeded(`the target did not apply the sentinel within ${input.budgetMs} ms`);
    mark('Drained');
    const sequences = await applySequences(input.target, await readSequences(input.source, input.schemas), input.sequenceGap);
    mark('SequencesSynced');
    await positionReverse(input.source, input.target, input.reverse);
    mark('ReversePositioned');
    left();
    // The point of no return: from here a restarted operator finishes the switch.
    await input.persist({ step: 'Flipping', route: input.targetRoute });
    mark('RouteRecorded');
    flipped = true;
    await input.routing.flip(input.agents, input.database, input.moveId, input.targetRoute);
    mark('Resumed');
    const writePauseMs = input.now() - t0;
    await finishSwitch({ ...input, fence });
    return { ok: true, writePauseMs, switchLsn: fence.lsn, sequences, steps, startedAt: t0 };
  } catch (err) {
    const reason = (err as Error).message;
    if (flipped) {
      // The route already names the target: agents converge on it; the caller finishes on requeue.
      await fence?.release();
      throw err;
    }
    await input.routing.resume(input.agents, input.database, input.moveId).catch(() => undefined);
    await (fence ? fence.release() : fenceClient.end().catch(() => undefined));
    mark('Aborted');
    return { ok: false, reason, writePauseMs: input.now() - t0, steps, startedAt: t0 };
  }
}

/**
 * After the flip (also the restart path): the source stays fenced by privileges, the reverse path
 * flows, and the forward path is retired so its slot leaves the source. Idempotent.
 */
export async function finishSwitch(input: Pick<SwitchInput, 'source' | 'target' | 'tables' | 'reverse' | 'names'> & { fence?: FenceSession }): Promise<void> {
  await revokeWrites(input.source, input.tables);
  await input.fence?.release();
  await enableReverse(input.source, input.reverse).catch((err: { message?: string }) => {
    if (!/already/i.test(err.message ?? '')) throw err;
  });
  const forward = await readSubscription(input.target, input.names.subscription);
  await dropSubscription(input.target, input.names.subscription);
  await dropSlots(input.source, input.names.slot, forward?.oid);
}
