// LandingZone status from an observation and a plan: the ids of everything found, the database as RDS
// reports it, one condition per part and the Ready summary. Never a credential.
import {
  type Reason,
  ConditionStatuses,
  ConditionTypes,
  Reasons,
  setCondition,
  type Condition,
  type ConditionType,
  type LandingZone,
  type LandingZoneStatus,
} from '../../api/index.js';
import type { OperatorError } from '../../errors.js';
import { GONE_ATTACHMENT_STATES } from '../../aws/transitgateway.js';
import type { Plan } from './plan.js';
import { LzReasons, subnetIdsInSpecOrder, type PlanInput } from './steps.js';
import { PARTS, type PartName, type StepOutcome } from './types.js';

export const PART_CONDITIONS: Record<PartName, ConditionType> = {
  network: ConditionTypes.NetworkReady,
  transitGateway: ConditionTypes.TransitGatewayAttached,
  database: ConditionTypes.DatabaseReady,
  parameters: ConditionTypes.ParametersApplied,
  connectionSecret: ConditionTypes.ConnectionSecretReady,
};

const PART_LABELS: Record<PartName, string> = {
  network: 'Network',
  transitGateway: 'Transit Gateway',
  database: 'Database',
  parameters: 'Parameters',
  connectionSecret: 'Connection Secret',
};

/** The ids and database fields of status, from what was observed (ids of things not found are left out). */
export function observedFields(i: PlanInput, previous: LandingZoneStatus | undefined): LandingZoneStatus {
  const o = i.observed;
  const attachment = o.attachments.find((a) => a.transitGatewayId === i.n.transitGateway?.id && !GONE_ATTACHMENT_STATES.has(a.state));
  return {
    ...(previous?.conditions ? { conditions: previous.conditions } : {}),
    vpcId: o.vpc?.id ?? '',
    subnetIds: subnetIdsInSpecOrder(i).ids,
    securityGroupId: o.securityGroup?.id ?? '',
    transitGatewayAttachmentId: attachment?.id ?? '',
    dbSubnetGroupName: o.subnetGroup ? i.names.subnetGroup : '',
    parameterGroupName: o.parameterGroup ? i.names.parameterGroup : '',
    database: observedDatabase(i),
  };
}

function observedDatabase(i: PlanInput): NonNullable<LandingZoneStatus['database']> {
  const inst = i.observed.instance;
  return {
    identifier: i.n.identifier,
    endpoint: inst?.endpoint?.address ?? '',
    port: inst?.endpoint?.port ?? 5432,
    status: inst?.status ?? '',
  };
}

function doneMessage(part: PartName, i: PlanInput): string {
  const o = i.observed;
  switch (part) {
    case 'network':
      return (
        `VPC ${o.vpc?.id} with ${i.n.subnets.length} private subnets; ` +
        `security group ${o.securityGroup?.id} admits 5432 from ${i.n.allowedCidrs.join(', ') || 'nowhere'}`
      );
    case 'transitGateway':
      return i.n.transitGateway
        ? `Attached to ${i.n.transitGateway.id}; routes ${i.n.transitGateway.routes.join(', ') || 'none'} go through it`
        : 'spec.network.transitGateway is not set: no attachment';
    case 'database':
      return `DB instance ${i.n.identifier} is available at ${o.instance?.endpoint?.address}:${o.instance?.endpoint?.port}`;
    case 'parameters':
      return `Parameter group ${i.names.parameterGroup} is in sync, logical replication on`;
    case 'connectionSecret':
      return `Secret ${i.n.connectionSecretName} holds the connection settings`;
  }
}

function conditionOf(part: PartName, s: StepOutcome, i: PlanInput): { status: 'True' | 'False'; reason: Reason; message: string } {
  switch (s.state) {
    case 'done': {
      const reason =
        part === 'transitGateway' && !i.n.transitGateway
          ? LzReasons.NotConfigured
          : part === 'database'
            ? Reasons.Available
            : Reasons.Succeeded;
      return { status: ConditionStatuses.True, reason, message: doneMessage(part, i) };
    }
    case 'act':
      return {
        status: ConditionStatuses.False,
        reason: s.reason,
        message: s.action.drift ? `Drift: ${s.action.drift}; correcting` : `${s.action.description}`,
      };
    case 'wait':
    case 'blocked':
      return { status: ConditionStatuses.False, reason: s.reason, message: s.message };
  }
}

export interface StatusInput {
  lz: LandingZone;
  plan: PlanInput;
  result: Plan;
  now: Date;
  /** The action of this pass failed: Ready carries the failure. */
  error?: OperatorError;
  /** Ids learned from this pass's action (e.g. a VPC just created), kept so the next pass finds it by id. */
  created?: { vpcId?: string };
}

export function buildStatus(s: StatusInput): LandingZoneStatus {
  const generation = s.lz.metadata.generation;
  const status = observedFields(s.plan, s.lz.status);
  if (s.created?.vpcId && !status.vpcId) status.vpcId = s.created.vpcId;
  let conditions: Condition[] | undefined = status.conditions;
  let firstProblem: { part: PartName; reason: Reason; message: string } | undefined;
  for (const part of PARTS) {
    const outcome = s.result.parts[part];
    const failed = s.error && outcome.state === 'act' && outcome.action === s.result.action;
    const c =
      failed && s.error
        ? {
            status: ConditionStatuses.False,
            reason: errorReason(s.error),
            message: `${outcome.action.description} failed: ${s.error.message}`,
          }
        : conditionOf(part, outcome, s.plan);
    conditions = setCondition(
      conditions,
      { type: PART_CONDITIONS[part], ...c, ...(generation !== undefined ? { observedGeneration: generation } : {}) },
      s.now,
    );
    if (c.status !== ConditionStatuses.True && !firstProblem) firstProblem = { part, reason: c.reason, message: c.message };
  }
  const ready = readyCondition(firstProblem, s.error);
  conditions = setCondition(
    conditions,
    { type: ConditionTypes.Ready, ...ready, ...(generation !== undefined ? { observedGeneration: generation } : {}) },
    s.now,
  );
  return { ...status, conditions, ...(generation !== undefined ? { observedGeneration: generation } : {}) };
}

export function errorReason(e: OperatorError): Reason {
  switch (e.code) {
    case 'throttled':
      return Reasons.Throttled;
    case 'not-found':
      return Reasons.ReferenceNotFound;
    case 'terminal':
      return Reasons.TerminalError;
    default:
      return Reasons.TransientError;
  }
}

function readyCondition(problem: { part: PartName; reason: Reason; message: string } | undefined, error: OperatorError | undefined) {
  if (error) return { status: ConditionStatuses.False, reason: errorReason(error), message: error.message };
  if (!problem)
    return {
      status: ConditionStatuses.True,
      reason: Reasons.Succeeded,
      message: 'The network, the database and its connection Secret match the spec',
    };
  return { status: ConditionStatuses.False, reason: problem.reason, message: `${PART_LABELS[problem.part]}: ${problem.message}` };
}

/** The status as it was, with only Ready replaced: for refusals, failed observations and deletion. */
export function readyOnlyStatus(lz: LandingZone, reason: Reason, message: string, now: Date): LandingZoneStatus {
  const generation = lz.metadata.generation;
  const conditions = setCondition(
    lz.status?.conditions,
    {
      type: ConditionTypes.Ready,
      status: ConditionStatuses.False,
      reason,
      message,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
    },
    now,
  );
  return { ...(lz.status ?? {}), conditions, ...(generation !== undefined ? { observedGeneration: generation } : {}) };
}

/** A refused spec: Ready=False naming every offending field and value, nothing else touched. */
export function refusedStatus(lz: LandingZone, messages: string[], now: Date): LandingZoneStatus {
  return readyOnlyStatus(lz, Reasons.InvalidSpec, messages.join('; '), now);
}

/** Observing failed (throttled, AWS unreachable): Ready=False with the error, the rest as last seen. */
export function failedStatus(lz: LandingZone, e: OperatorError, now: Date): LandingZoneStatus {
  return readyOnlyStatus(lz, errorReason(e), e.message, now);
}
