// Shared vocabulary of the pure plan: the input every step reads and small constructors for outcomes.
import { Reasons, type Reason } from '../../api/index.js';
import type { Normalized } from './desired.js';
import type { LandingZoneNames } from './names.js';
import type { Action, Observed, RefusedAction, StepOutcome, Timings } from './types.js';

export interface PlanInput {
  n: Normalized;
  names: LandingZoneNames;
  observed: Observed;
  timings: Timings;
  /** Epoch ms. */
  now: number;
  /** Until when RDS refuses storage changes (learned from its last refusal), epoch ms. */
  storageLockedUntil?: number;
  /** Ready was True at this generation: any difference found now is drift, not a spec change. */
  convergedAtGeneration: boolean;
  /** Actions AWS refused recently at this generation: their parts wait, the others go on. */
  refused?: RefusedAction[];
}

/** The LandingZone's own reasons: they live in the shared Reasons table of src/api/conditions.ts. */
export const LzReasons = {
  PendingAcceptance: Reasons.PendingAcceptance,
  OwnershipConflict: Reasons.OwnershipConflict,
  SecretConflict: Reasons.SecretConflict,
  StorageModificationLocked: Reasons.StorageModificationLocked,
  ManagedPasswordUnavailable: Reasons.ManagedPasswordUnavailable,
  InstanceUnhealthy: Reasons.InstanceUnhealthy,
  NotConfigured: Reasons.NotConfigured,
} as const;

export const DONE: StepOutcome = { state: 'done' };

export function act(action: Action, reason: Reason = Reasons.Reconciling): StepOutcome {
  return { state: 'act', action, reason };
}

/** A correction of something that had converged: marked as drift so it is reported with a Warning Event. */
export function correct(input: PlanInput, action: Action, drift: string): StepOutcome {
  return input.convergedAtGeneration ? act({ ...action, drift }, Reasons.DriftDetected) : act(action, Reasons.Reconciling);
}

export function wait(input: PlanInput, reason: Reason, message: string, requeueAfterMs = input.timings.whileBusyMs): StepOutcome {
  return { state: 'wait', reason, message, requeueAfterMs };
}

/**
 * Waiting on another step of this plan. When that step acts, the pass requeues soon anyway; when it
 * waits on AWS itself, polling faster than it would gains nothing.
 */
export function waitFor(input: PlanInput, what: string): StepOutcome {
  return { state: 'wait', reason: Reasons.Creating, message: `Waiting for ${what}`, requeueAfterMs: input.timings.whileBusyMs };
}

export function blocked(reason: Reason, message: string): StepOutcome {
  return { state: 'blocked', reason, message };
}

/**
 * A part's outcome from its steps: the first action, else the first thing that blocks or waits.
 * Steps guard their own prerequisites, so a later step may act while an earlier one waits on AWS.
 */
export function firstOf(steps: StepOutcome[]): StepOutcome {
  return steps.find((s) => s.state === 'act') ?? steps.find((s) => s.state === 'blocked') ?? steps.find((s) => s.state === 'wait') ?? DONE;
}

export function subnetIdsInSpecOrder(input: PlanInput): { ids: string[]; complete: boolean } {
  const ids: string[] = [];
  for (const s of input.n.subnets) {
    const found = input.observed.subnets.find((x) => x.cidr === s.cidr && x.availabilityZone === s.availabilityZone);
    if (found) ids.push(found.id);
  }
  return { ids, complete: ids.length === input.n.subnets.length };
}

export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((x) => sa.has(x));
}
