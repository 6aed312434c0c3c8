// LandingZone: converges the governed AWS foundation of a tenant. reconcileLandingZone reads as its
// steps: guardrails (no AWS call on a refused spec), observe, plan (pure), apply one action, status.
// finalizeLandingZone does the same for deletion under the object's deletionPolicy.
import { ConditionStatuses, ConditionTypes, findCondition, Reasons, type LandingZone, type LandingZoneStatus } from '../../api/index.js';
import type { LandingZoneAws } from '../../aws/index.js';
import { isAwsError } from '../../aws/errors.js';
import { fromUnknown, type OperatorError } from '../../errors.js';
import { applyAction, type Applied } from './apply.js';
import { planDeletion } from './delete.js';
import { normalize, type Normalized } from './desired.js';
import { checkGuardrails } from './guardrails.js';
import { landingZoneNames, type LandingZoneNames } from './names.js';
import { observe, type Observation } from './observe.js';
import { planLandingZone, type Plan } from './plan.js';
import { identityEndpoint, type EndpointMapper, type ManagedPasswordReader, type SecretStore, type TrustStore } from './secrets.js';
import { buildStatus, errorReason, failedStatus, readyOnlyStatus, refusedStatus } from './status.js';
import type { PlanInput } from './steps.js';
import { DEFAULT_TIMINGS, PARTS, type Action, type RefusedAction, type Timings } from './types.js';

export interface LandingZoneEvents {
  normal(reason: string, note: string): void;
  warning(reason: string, note: string): void;
}

/**
 * What the reconciler remembers of one object between passes, in memory: losing it on a restart costs
 * one refused storage call, or one drift correction reported as an update.
 */
export interface ObjectMemory {
  /** RDS refused a storage change until then (epoch ms): storage waits, the rest converges. */
  storageLockedUntil?: number;
  /** The generation last seen fully converged: later differences at that generation are drift. */
  convergedGeneration?: number;
  /** Actions AWS refused (not found, invalid), held back for a while so the other parts converge. */
  refused?: RefusedAction[];
}

export interface LandingZoneContext {
  aws: LandingZoneAws;
  secrets: SecretStore;
  events: LandingZoneEvents;
  endpoints?: EndpointMapper;
  trustStore?: TrustStore;
  managedPasswords?: ManagedPasswordReader;
  /** Per-object memory kept by the caller across passes; a fresh object when absent. */
  memory?: ObjectMemory;
  now(): Date;
  timings?: Partial<Timings>;
}

export interface Outcome {
  status: LandingZoneStatus;
  requeueAfterMs?: number;
  /** Set when this pass failed: the status says so, and the caller rethrows it for backoff. */
  error?: OperatorError;
  /** What this pass did, for logs. */
  action?: string;
  /** Deletion only: nothing of this LandingZone is left to clean up. */
  finalizerDone?: boolean;
}

interface Pass {
  lz: LandingZone;
  n: Normalized;
  names: LandingZoneNames;
  timings: Timings;
  now: Date;
}

function startPass(lz: LandingZone, ctx: LandingZoneContext): Pass {
  return { lz, n: normalize(lz.spec), names: landingZoneNames(lz), timings: { ...DEFAULT_TIMINGS, ...ctx.timings }, now: ctx.now() };
}

async function observeWorld(p: Pass, ctx: LandingZoneContext): Promise<Observation> {
  return observe(
    p.lz.metadata.name ?? '',
    p.n,
    p.names,
    {
      aws: ctx.aws,
      secrets: ctx.secrets,
      endpoints: ctx.endpoints ?? identityEndpoint,
      ...(ctx.trustStore ? { trustStore: ctx.trustStore } : {}),
      ...(ctx.managedPasswords ? { managedPasswords: ctx.managedPasswords } : {}),
    },
    p.lz.status?.vpcId ? { vpcId: p.lz.status.vpcId } : {},
  );
}

function planInput(p: Pass, obs: Observation, memory: ObjectMemory): PlanInput {
  const ready = findCondition(p.lz.status?.conditions, ConditionTypes.Ready);
  const generation = p.lz.metadata.generation;
  const readyNow = ready?.status === ConditionStatuses.True && ready.observedGeneration === generation;
  const lockedUntil = memory.storageLockedUntil;
  return {
    n: p.n,
    names: p.names,
    observed: obs.observed,
    timings: p.timings,
    now: p.now.getTime(),
    ...(lockedUntil !== undefined ? { storageLockedUntil: lockedUntil } : {}),
    convergedAtGeneration: readyNow || (generation !== undefined && memory.convergedGeneration === generation),
    refused: (memory.refused ?? []).filter((r) => r.generation === generation),
  };
}

export async function reconcileLandingZone(lz: LandingZone, ctx: LandingZoneContext): Promise<Outcome> {
  const p = startPass(lz, ctx);
  const violations = checkGuardrails(p.n);
  if (violations.length > 0) {
    // Refused before any AWS call; a new generation brings the object back.
    return {
      status: refusedStatus(
        lz,
        violations.map((v) => v.message),
        p.now,
      ),
    };
  }
  let obs: Observation;
  try {
    obs = await observeWorld(p, ctx);
  } catch (e) {
    const error = fromUnknown(e);
    return { status: failedStatus(lz, error, p.now), error };
  }
  const memory = ctx.memory ?? {};
  const input = planInput(p, obs, memory);
  const plan = planLandingZone(input);
  for (const w of plan.warnings) ctx.events.warning('DuplicateResources', w);
  if (!plan.action) {
    const status = buildStatus({ lz, plan: input, result: plan, now: p.now });
    if (findCondition(status.conditions, ConditionTypes.Ready)?.status === ConditionStatuses.True)
      memory.convergedGeneration = lz.metadata.generation;
    return { status, requeueAfterMs: plan.requeueAfterMs };
  }

  const action = plan.action;
  let applied: Applied;
  try {
    applied = await applyAction(action, {
      lz,
      n: p.n,
      names: p.names,
      observed: obs.observed,
      ...(obs.connection ? { connection: obs.connection } : {}),
      aws: ctx.aws,
      secrets: ctx.secrets,
    });
  } catch (e) {
    const error = fromUnknown(e);
    if (
      action.kind === 'modifyInstance' &&
      action.touchesStorage &&
      isAwsError(error, 'terminal', 'InvalidParameterCombination', 'InvalidDBInstanceStateFault')
    ) {
      // RDS refuses storage changes for hours after the last one: remember, and plan around storage meanwhile.
      memory.storageLockedUntil = p.now.getTime() + p.timings.storageCooldownMs;
      ctx.events.warning(
        'StorageModificationLocked',
        `${action.description} was refused; retrying in ${Math.round(p.timings.storageCooldownMs / 60_000)} min: ${error.message}`,
      );
      return {
        status: buildStatus({ lz, plan: input, result: plan, now: p.now, error }),
        requeueAfterMs: p.timings.afterActionMs,
        action: action.description,
      };
    }
    rememberRefusal(memory, plan, action, error, p);
    return { status: buildStatus({ lz, plan: input, result: plan, now: p.now, error }), error, action: action.description };
  }
  memory.refused = (memory.refused ?? []).filter((r) => r.kind !== action.kind);
  recordEvent(action, ctx);
  return {
    status: buildStatus({ lz, plan: input, result: plan, now: p.now, created: applied }),
    requeueAfterMs: plan.requeueAfterMs,
    action: action.description,
  };
}

/** Not found or invalid: retrying at once cannot help, and must not stall the other parts. */
function rememberRefusal(memory: ObjectMemory, plan: Plan, action: Action, error: OperatorError, p: Pass): void {
  if (error.code !== 'not-found' && error.code !== 'terminal') return;
  const part = PARTS.find((x) => {
    const s = plan.parts[x];
    return s.state === 'act' && s.action === action;
  });
  if (!part) return;
  const generation = p.lz.metadata.generation;
  const kept = (memory.refused ?? []).filter((r) => !(r.part === part && r.kind === action.kind));
  memory.refused = [
    ...kept,
    {
      part,
      kind: action.kind,
      ...(generation !== undefined ? { generation } : {}),
      until: p.now.getTime() + p.timings.blockedMs,
      reason: errorReason(error),
      message: `${action.description} failed: ${error.message}`,
    },
  ];
}

function recordEvent(action: Action, ctx: LandingZoneContext): void {
  if (action.drift) ctx.events.warning('DriftCorrected', `${action.drift}: ${action.description}`);
  else if (action.kind.startsWith('create')) ctx.events.normal('Created', action.description);
  else if (action.kind === 'rebootInstance') ctx.events.normal('Rebooted', action.description);
  else if (action.kind.startsWith('delete')) ctx.events.normal('Deleted', action.description);
  else ctx.events.normal('Updated', action.description);
}

/** Everything in AWS is gone: the Secrets this LandingZone created go last; one it did not create stays. */
async function deleteSecretsLast(lz: LandingZone, p: Pass, obs: Observation, ctx: LandingZoneContext): Promise<Outcome> {
  await applyAction(
    { kind: 'deleteSecrets', description: 'Delete the Secrets' },
    { lz, n: p.n, names: p.names, observed: obs.observed, aws: ctx.aws, secrets: ctx.secrets },
  );
  for (const name of [p.n.connectionSecretName, p.names.masterSecret]) {
    if (await ctx.secrets.read(name))
      ctx.events.normal('SecretKept', `Kept Secret ${name}: this LandingZone did not create it (no tenantshift ownership labels)`);
  }
  ctx.events.normal(
    'Deleted',
    `deletionPolicy Delete: every AWS resource of this LandingZone is gone (final snapshot ${p.names.finalSnapshot} kept)`,
  );
  return { status: lz.status ?? {}, finalizerDone: true };
}

/** Deletion: Retain leaves AWS as it is (no AWS call); Delete removes it in dependency order, one step per pass. */
export async function finalizeLandingZone(lz: LandingZone, ctx: LandingZoneContext): Promise<Outcome> {
  const p = startPass(lz, ctx);
  if (p.n.deletionPolicy === 'Retain') {
    const s = lz.status ?? {};
    const kept = [
      s.vpcId && `VPC ${s.vpcId}`,
      `DB instance ${p.n.identifier}`,
      p.n.masterPassword === 'operator' && `Secret ${p.names.masterSecret}`,
    ].filter(Boolean);
    ctx.events.normal('Retained', `deletionPolicy Retain: left ${kept.join(', ')} in place; re-creating this LandingZone adopts them`);
    return { status: lz.status ?? {}, finalizerDone: true };
  }
  let obs: Observation;
  try {
    obs = await observeWorld(p, ctx);
  } catch (e) {
    const error = fromUnknown(e);
    return { status: failedStatus(lz, error, p.now), error };
  }
  const input = planInput(p, obs, ctx.memory ?? {});
  const { next } = planDeletion(input);
  const deleting = (message: string): LandingZoneStatus => readyOnlyStatus(lz, Reasons.Deleting, message, p.now);
  if (!next) return deleteSecretsLast(lz, p, obs, ctx);
  if (next.state !== 'act') {
    const message = next.state === 'done' ? 'Deleting' : next.message;
    return { status: deleting(message), requeueAfterMs: next.state === 'wait' ? next.requeueAfterMs : p.timings.whileBusyMs };
  }
  try {
    await applyAction(next.action, { lz, n: p.n, names: p.names, observed: obs.observed, aws: ctx.aws, secrets: ctx.secrets });
  } catch (e) {
    const error = fromUnknown(e);
    return { status: deleting(`${next.action.description} failed: ${error.message}`), error, action: next.action.description };
  }
  recordEvent(next.action, ctx);
  return { status: deleting(next.action.description), requeueAfterMs: p.timings.afterActionMs, action: next.action.description };
}
