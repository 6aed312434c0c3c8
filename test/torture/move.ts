// One torture move: the workloads run, the move is asked for (with a long transaction first when it
// is to abort), its fault strikes, the move settles, the workloads stop, and every invariant is
// checked on the serving side and, once it caught up, on the side kept warm.
import pg from 'pg';
import type { TenantCutover } from '../../src/api/index.js';
import { replicationNames } from '../../src/postgres/names.js';
import { withConnection } from '../support/databases.js';
import { until } from '../support/operator.js';
import type { TenantFixture } from '../support/tenant.js';
import { artifactsOn, artifactViolations, bookViolations, clientErrorViolations, counterViolations, tenantDigest } from './checks.js';
import { failpointOf, type MovePlan, type Side } from './draw.js';
import { DoomedAgent, runFaults, type Operators } from './faults.js';
import { startWorkloads, stopWorkloads, type Ledger } from './workload.js';

export interface MoveResult {
  to: Side;
  violations: string[];
  faultNote: string;
  pauseMs?: number;
  seconds: number;
}

const SETTLE_MS = 240_000;

function isReady(c: TenantCutover): boolean {
  return c.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') === true;
}

function settledOn(side: Side, generation: number, rehearsal: boolean) {
  return (c: TenantCutover): boolean =>
    c.status?.activeSide === side &&
    !c.status?.step &&
    (c.status?.observedGeneration ?? 0) >= generation &&
    (!rehearsal || (c.status?.rehearsedGeneration ?? 0) >= generation) &&
    isReady(c);
}

/** Patches the spec for the move and returns the generation that asks for it. */
async function requestMove(t: TenantFixture, plan: MovePlan): Promise<number> {
  if (plan.kind === 'rehearsal') {
    if ((await t.cutover()).spec.rehearse) await t.patchCutover({ rehearse: false });
    await t.patchCutover({ rehearse: true });
  } else if (plan.from === 'source') await t.patchCutover({ approved: true, rollback: false });
  else await t.patchCutover({ rollback: true });
  return (await t.cutover()).metadata?.generation ?? 0;
}

/** A transaction through PgBouncer on the serving side that outlives the freeze budget: the move aborts until it ends. */
async function holdTransaction(t: TenantFixture): Promise<pg.Client> {
  const holder = new pg.Client(t.appConnection());
  holder.on('error', () => undefined);
  await holder.connect();
  await holder.query('BEGIN');
  await holder.query(`UPDATE ${pg.escapeIdentifier(t.schemas[1] as string)}.rounds SET payout = payout WHERE id = 1`);
  return holder;
}

async function abortsSeen(t: TenantFixture): Promise<Set<string>> {
  return new Set(((await t.cutover()).status?.history ?? []).filter((h) => h.result === 'Aborted').map((h) => h.moveId));
}

export async function runMove(t: TenantFixture, operators: Operators, ledger: Ledger, plan: MovePlan): Promise<MoveResult> {
  const started = Date.now();
  const to: Side = plan.kind === 'rehearsal' ? plan.from : plan.from === 'source' ? 'target' : 'source';
  const operatorPoint = failpointOf(plan, 'operator-failpoint');
  const doomed = operatorPoint ? await operators.only('torture-a', { TENANTSHIFT_FAILPOINT: operatorPoint.point }) : undefined;
  const agentPoint = failpointOf(plan, 'agent-failpoint');
  const doomedAgent = agentPoint ? await DoomedAgent.start(t.cluster.stateDir, agentPoint) : undefined;
  const notes: string[] = [];
  const workloads = await startWorkloads(t);
  const before = await abortsSeen(t);
  const holder = plan.kind === 'abort' ? await holdTransaction(t) : undefined;
  const violations: string[] = [];
  let final: TenantCutover | undefined;
  try {
    const generation = await requestMove(t, plan);
    const timed = runFaults(plan.faults, { t, operators }).then((note) => notes.push(note));
    if (holder) {
      // A fault can end the long transaction first (a restarted server): then the move goes through.
      await t.waitCutover(
        'the move to abort on the long transaction',
        (c) =>
          (c.status?.history ?? []).some((h) => h.result === 'Aborted' && !before.has(h.moveId)) || settledOn(to, generation, false)(c),
        SETTLE_MS,
      );
      await holder.query('COMMIT').catch(() => undefined);
    }
    if (doomed) {
      const died = await Promise.race([
        doomed.exited.then(() => true),
        t.waitCutover('the move', settledOn(to, generation, plan.kind === 'rehearsal'), SETTLE_MS).then(() => false),
      ]);
      notes.push(died ? 'the operator died there' : 'operator failpoint not on this move’s path');
      await operators.stopAll();
      await operators.ensure();
    }
    await timed;
    final = await t.waitCutover(`the ${plan.kind} to settle on the ${to}`, settledOn(to, generation, plan.kind === 'rehearsal'), SETTLE_MS);
  } catch (err) {
    violations.push(`the move did not settle: ${(err as Error).message}`);
  } finally {
    await holder?.end().catch(() => undefined);
    if (doomedAgent) notes.push(await doomedAgent.finish());
  }
  const reports = await stopWorkloads(workloads);
  ledger.add(reports);
  violations.push(...clientErrorViolations(reports, plan.faults));
  if (final) violations.push(...slowAborts(final, before, plan), ...(await sideViolations(t, ledger, to)));
  const faultNote = notes.filter(Boolean).join('; ');
  return { to, violations, faultNote, pauseMs: final?.status?.writePause?.milliseconds, seconds: (Date.now() - started) / 1000 };
}

/** The budget of the torture's TenantCutover (campaign.ts). */
export const BUDGET_MS = 3000;

/**
 * A freeze that cannot finish in its budget aborts at that budget (spec.maxWritePause): an aborted
 * attempt of a move without other faults ends within it and a margin for a busy machine (10 s; the
 * defect this caught took 65 s).
 */
function slowAborts(final: TenantCutover, before: Set<string>, plan: MovePlan): string[] {
  if (plan.faults.some((f) => f.kind !== 'none')) return [];
  return (final.status?.history ?? [])
    .filter((h) => h.result === 'Aborted' && !before.has(h.moveId))
    .map((h) => ({ h, ms: Date.parse(h.finishedAt ?? '') - Date.parse(h.startedAt ?? '') }))
    .filter(({ ms }) => ms > BUDGET_MS + 10_000)
    .map(({ h, ms }) => `aborted attempt ${h.moveId} took ${ms} ms with a budget of ${BUDGET_MS} ms (${h.reason ?? ''})`);
}

/** The book and the counters on the serving side, the side kept warm caught up to it exactly, replication one way only. */
async function sideViolations(t: TenantFixture, ledger: Ledger, serving: Side): Promise<string[]> {
  const warm: Side = serving === 'source' ? 'target' : 'source';
  const bank = (side: Side, role: string): Promise<string[]> =>
    withConnection(t.db[side], async (c) =>
      [...(await bookViolations(c, t.wallet, t.accounts, ledger)), ...(await counterViolations(c, t.wallet, ledger))].map(
        (v) => `${side} (${role}): ${v}`,
      ),
    );
  const out = await bank(serving, 'serving');
  const want = await withConnection(t.db[serving], (c) => tenantDigest(c, t.wallet));
  const caughtUp = await until(
    'the side kept warm to catch up',
    async () => (await withConnection(t.db[warm], (c) => tenantDigest(c, t.wallet))) === want,
    90_000,
  ).catch(() => false);
  if (!caughtUp) {
    out.push(`${warm} (kept warm) never caught up with the ${serving} within 90 s`);
    out.push(...(await bank(warm, 'kept warm')));
  }
  const n = replicationNames(t.ns, t.name);
  const artifacts = async (): Promise<string[]> =>
    artifactViolations(
      await withConnection(t.db[serving], artifactsOn),
      await withConnection(t.db[warm], artifactsOn),
      { forward: n.slot, reverse: n.reverseSlot },
      serving,
    );
  let left: string[] = [];
  await until('replication to run one way only', async () => (left = await artifacts()).length === 0, 30_000).catch(() => undefined);
  out.push(...left);
  return out;
}
