// What a torture move is, drawn from its seed alone: the move (given the side that serves) and its
// faults (none, one, or in one move of three a second of another family), each with its target and
// its moment. The same seed and side always draw the same plan, so a failing move replays from the
// two values the campaign printed.

export type Side = 'source' | 'target';
export type MoveKind = 'switch' | 'rollback' | 'rehearsal' | 'abort';

export type Fault =
  | { kind: 'none' }
  | { kind: 'operator-failpoint'; point: string }
  | { kind: 'operator-kill'; atMs: number; downMs: number }
  | { kind: 'leadership-change'; atMs: number }
  | { kind: 'agent-kill'; atMs: number; replica: number; downMs: number }
  | { kind: 'agent-failpoint'; point: (typeof AGENT_FAILPOINTS)[number]; replica: number }
  | { kind: 'pgbouncer-restart'; atMs: number; replica: number; downMs: number }
  | { kind: 'postgres-restart'; atMs: number; server: Side; mode: 'fast' | 'immediate'; downMs: number }
  | { kind: 'apiserver-stop'; atMs: number; downMs: number };

export type FaultKind = Fault['kind'];

export interface MovePlan {
  seed: number;
  from: Side;
  kind: MoveKind;
  /** One fault (`none` included), or two of different families; timed ones strike in the order of their moments. */
  faults: Fault[];
}

/** The operator's failpoints a move passes (src/reconcilers/tenantcutover/switch.ts); SIGKILL there. */
export const OPERATOR_FAILPOINTS = [
  'BeforeFreezing',
  'Paused',
  'Fenced',
  'FenceProven',
  'WritesRevoked',
  'Drained',
  'RouteRecorded',
  'RouteWriteAnswered',
  'Resumed',
  'SequencesSynced',
  'BackPathPositioned',
  'GrantsRestored',
  'Revoked',
  'BetweenDirections',
  'Aborted',
] as const;

/** The route agent's failpoints (src/routing/agent.ts): SIGKILL there; the agent is started again as a Deployment would. */
export const AGENT_FAILPOINTS = ['AgentPaused', 'AgentFlipped'] as const;

/** mulberry32: a small, well-mixed 32-bit generator; plenty for drawing test plans. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of move `index` of a campaign: distinct per move, the same on every run. */
export function moveSeed(campaignSeed: number, index: number): number {
  return random((campaignSeed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0)() * 4294967296;
}

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)] as T;
}

function between(next: () => number, lo: number, hi: number): number {
  return Math.round(lo + next() * (hi - lo));
}

/** A fifth of the moves run without a fault, the rest with one drawn evenly from the kinds. */
const FAULT_KINDS: readonly FaultKind[] = [
  'none',
  'none',
  'operator-failpoint',
  'operator-kill',
  'leadership-change',
  'agent-kill',
  'agent-failpoint',
  'pgbouncer-restart',
  'postgres-restart',
  'apiserver-stop',
];

/** Faults that act on the same processes: two of one family in a move would undo each other's doing. */
const FAMILY: Record<FaultKind, string> = {
  none: 'none',
  'operator-failpoint': 'operator',
  'operator-kill': 'operator',
  'leadership-change': 'operator',
  'agent-kill': 'agent',
  'agent-failpoint': 'agent',
  'pgbouncer-restart': 'pgbouncer',
  'postgres-restart': 'postgres',
  'apiserver-stop': 'apiserver',
};

export function drawFault(next: () => number, replicas: number, kinds: readonly FaultKind[] = FAULT_KINDS): Fault {
  const kind = pick(next, kinds);
  // From the request to a little after a typical freeze (it starts some 200-500 ms after the request).
  const atMs = between(next, 0, 1500);
  switch (kind) {
    case 'none':
      return { kind };
    case 'operator-failpoint':
      return { kind, point: pick(next, OPERATOR_FAILPOINTS) };
    case 'operator-kill':
      return { kind, atMs, downMs: between(next, 500, 4000) };
    case 'leadership-change':
      return { kind, atMs };
    case 'agent-kill':
      return { kind, atMs, replica: between(next, 0, replicas - 1), downMs: between(next, 500, 3000) };
    case 'agent-failpoint':
      return { kind, point: pick(next, AGENT_FAILPOINTS), replica: between(next, 0, replicas - 1) };
    case 'pgbouncer-restart':
      return { kind, atMs, replica: between(next, 0, replicas - 1), downMs: between(next, 0, 1500) };
    case 'postgres-restart':
      return {
        kind,
        atMs,
        server: pick(next, ['source', 'target'] as const),
        mode: pick(next, ['fast', 'immediate'] as const),
        downMs: between(next, 0, 2000),
      };
    case 'apiserver-stop':
      return { kind, atMs, downMs: between(next, 2000, 6000) };
  }
}

/**
 * The move from `from`: half real moves, the rest rehearsals and moves that a long transaction aborts
 * first. A move with a fault gets, one time in three, a second one of another family, timed.
 */
export function drawMove(seed: number, from: Side, replicas = 2): MovePlan {
  const next = random(seed);
  const real: MoveKind = from === 'source' ? 'switch' : 'rollback';
  const kind = pick(next, [real, real, 'rehearsal', 'abort'] as const);
  const first = drawFault(next, replicas);
  const faults = [first];
  if (first.kind !== 'none' && next() < 1 / 3) {
    const others = FAULT_KINDS.filter((k) => FAMILY[k] !== FAMILY[first.kind] && k !== 'none' && !k.endsWith('-failpoint'));
    faults.push(drawFault(next, replicas, others));
  }
  return { seed, from, kind, faults };
}

/** The fault a failpoint sets up before the move, if the plan has one (`operator-failpoint` or `agent-failpoint`). */
export function failpointOf<K extends 'operator-failpoint' | 'agent-failpoint'>(
  plan: MovePlan,
  kind: K,
): Extract<Fault, { kind: K }> | undefined {
  return plan.faults.find((f): f is Extract<Fault, { kind: K }> => f.kind === kind);
}

/** One line for the log and the journal: `switch from source, postgres-restart(target, immediate) at 1200 ms + apiserver-stop(...)`. */
export function describePlan(plan: MovePlan): string {
  const one = (f: Fault): string => {
    const detail = Object.entries(f)
      .filter(([k]) => k !== 'kind' && k !== 'atMs')
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(', ');
    const at = 'atMs' in f ? ` at ${f.atMs} ms` : '';
    return f.kind === 'none' ? 'no fault' : `${f.kind}${detail ? `(${detail})` : ''}${at}`;
  };
  return `${plan.kind} from ${plan.from}, ${plan.faults.map(one).join(' + ')}`;
}
