// A torture campaign: one tenant on the torture stack, moves drawn from the campaign's seed one
// after the other, each checked; the journal keeps the running total across runs (--resume), and a
// failing move stops the run with the command that replays it.
import { readFileSync, writeFileSync } from 'node:fs';
import { createCounters } from '../../src/devstack/counters.js';
import { withConnection } from '../support/databases.js';
import { tenantFixture, type TenantFixture } from '../support/tenant.js';
import { describePlan, drawMove, moveSeed, type FaultKind, type MovePlan, type Side } from './draw.js';
import { Operators } from './faults.js';
import { BUDGET_MS, runMove, type MoveResult } from './move.js';
import { COUNTER_CLIENTS, Ledger } from './workload.js';

export interface Journal {
  campaignSeed: number;
  moves: number;
  runs: number;
  movesByKind: Record<string, number>;
  faultsByKind: Partial<Record<FaultKind, number>>;
  /** Failpoints drawn that the move did not pass (a rehearsal has no RouteRecorded, a move that did not abort no Aborted). */
  faultsNotFired: number;
  failures: Array<{ move: number; seed: string; from: Side; plan: string; violations: string[]; replay: string }>;
}

export function newJournal(campaignSeed: number): Journal {
  return { campaignSeed, moves: 0, runs: 0, movesByKind: {}, faultsByKind: {}, faultsNotFired: 0, failures: [] };
}

export function readJournal(file: string): Journal | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Journal;
  } catch {
    return undefined;
  }
}

export function hex(seed: number): string {
  return `0x${(seed >>> 0).toString(16).padStart(8, '0')}`;
}

export function replayCommand(plan: MovePlan): string {
  return `npm run torture -- --replay ${hex(plan.seed)}@${plan.from}`;
}

/** The torture tenant: the wallet estate with its hot counters, replicated, its TenantCutover owning the route, two operators. */
export async function tortureTenant(): Promise<{ t: TenantFixture; operators: Operators }> {
  const t = await tenantFixture('torture', 30);
  await withConnection(t.db.source, (c) => createCounters(c, t.wallet, COUNTER_CLIENTS));
  const operators = new Operators(t);
  await operators.ensure();
  await t.createReplication();
  // A budget the stack keeps on a busy machine, a long transaction still outlives; retries close together.
  await t.createCutover({ maxWritePause: `${BUDGET_MS}ms`, retry: { attempts: 10, backoff: '1s' } });
  await t.waitRouteOwned();
  return { t, operators };
}

function record(journal: Journal, plan: MovePlan, result: MoveResult): void {
  journal.moves += 1;
  journal.movesByKind[plan.kind] = (journal.movesByKind[plan.kind] ?? 0) + 1;
  for (const fault of plan.faults) journal.faultsByKind[fault.kind] = (journal.faultsByKind[fault.kind] ?? 0) + 1;
  journal.faultsNotFired += (result.faultNote.match(/not on this move/g) ?? []).length;
}

export interface CampaignOptions {
  journalFile: string;
  journal: Journal;
  moves: number;
  /** A single move replayed from its seed and starting side (a switch first when it starts on the target). */
  replay?: { seed: number; from: Side };
}

/** Runs the moves; returns whether every invariant held. */
export async function runCampaign(opts: CampaignOptions): Promise<boolean> {
  const { journal } = opts;
  journal.runs += 1;
  const { t, operators } = await tortureTenant();
  const ledger = new Ledger();
  let side: Side = 'source';
  try {
    // A replay starting on the target first switches there without a fault.
    const setup: MovePlan[] =
      opts.replay?.from === 'target' ? [{ seed: 0, from: 'source', kind: 'switch', faults: [{ kind: 'none' }] }] : [];
    const total = opts.replay ? setup.length + 1 : opts.moves;
    for (let i = 0; i < total; i++) {
      const plan = opts.replay
        ? (setup[i] ?? drawMove(opts.replay.seed, opts.replay.from))
        : drawMove(moveSeed(journal.campaignSeed, journal.moves), side);
      const index = journal.moves + 1;
      process.stdout.write(`torture move ${index} (seed ${hex(plan.seed)}): ${describePlan(plan)} ... `);
      const result = await runMove(t, operators, ledger, plan);
      side = result.to;
      record(journal, plan, result);
      const extra = [result.faultNote, result.pauseMs !== undefined ? `pause ${result.pauseMs} ms` : ''].filter(Boolean).join(', ');
      console.log(`${result.violations.length === 0 ? 'ok' : 'FAILED'} in ${result.seconds.toFixed(1)} s${extra ? ` (${extra})` : ''}`);
      if (result.violations.length > 0) {
        for (const v of result.violations) console.log(`    ${v}`);
        console.log(`    replay: ${replayCommand(plan)}`);
        journal.failures.push({
          move: index,
          seed: hex(plan.seed),
          from: plan.from,
          plan: describePlan(plan),
          violations: result.violations,
          replay: replayCommand(plan),
        });
        return false;
      }
      writeFileSync(opts.journalFile, `${JSON.stringify(journal, null, 2)}\n`);
    }
    return true;
  } finally {
    writeFileSync(opts.journalFile, `${JSON.stringify(journal, null, 2)}\n`);
    await operators.stopAll();
    await t.dispose();
  }
}
