// The pure plan of a LandingZone: every part's outcome from (spec, observation), the one action to take
// this pass (network first: an opened security group is fixed before anything else), and when to look again.
import { connectionSecretSteps, databaseSteps, parameterSteps } from './plan-database.js';
import { networkSteps } from './plan-network.js';
import { transitGatewaySteps } from './plan-transit.js';
import { firstOf, type PlanInput } from './steps.js';
import { PARTS, type Action, type PartName, type StepOutcome } from './types.js';

export interface Plan {
  parts: Record<PartName, StepOutcome>;
  action?: Action;
  requeueAfterMs: number;
  /** Findings that need no action but a human's attention (reported as Warning Events). */
  warnings: string[];
}

export function planLandingZone(i: PlanInput): Plan {
  const parts: Record<PartName, StepOutcome> = {
    network: firstOf(networkSteps(i)),
    transitGateway: firstOf(transitGatewaySteps(i)),
    database: firstOf(databaseSteps(i)),
    parameters: firstOf(parameterSteps(i)),
    connectionSecret: firstOf(connectionSecretSteps(i)),
  };
  for (const p of PARTS) parts[p] = holdRefused(i, p, parts[p]);
  const acting = PARTS.map((p) => parts[p]).find((s): s is Extract<StepOutcome, { state: 'act' }> => s.state === 'act');
  const warnings =
    i.observed.duplicateVpcIds.length > 0
      ? [`VPCs ${i.observed.duplicateVpcIds.join(', ')} also carry this LandingZone's tag (left in place; ${i.observed.vpc?.id} is used)`]
      : [];
  return { parts, ...(acting ? { action: acting.action } : {}), requeueAfterMs: requeueAfter(i, parts, acting !== undefined), warnings };
}

/** A part whose next action AWS refused moments ago waits, with AWS's answer, instead of asking again. */
function holdRefused(i: PlanInput, part: PartName, s: StepOutcome): StepOutcome {
  if (s.state !== 'act') return s;
  const r = i.refused?.find((x) => x.part === part && x.kind === s.action.kind && x.until > i.now);
  return r ? { state: 'wait', reason: r.reason, message: r.message, requeueAfterMs: r.until - i.now } : s;
}

export function requeueAfter(i: PlanInput, parts: Record<PartName, StepOutcome>, acted: boolean): number {
  if (acted) return i.timings.afterActionMs;
  let next = i.timings.driftCheckMs;
  for (const p of PARTS) {
    const s = parts[p];
    if (s.state === 'wait') next = Math.min(next, s.requeueAfterMs);
    if (s.state === 'blocked') next = Math.min(next, i.timings.blockedMs);
  }
  return next;
}
