// Condition types and reasons of every kind, as closed `as const` tables, and the pure helpers
// that maintain a status.conditions list the Kubernetes way.
import type { Condition, ConditionStatus } from './common.js';

export const ConditionStatuses = { True: 'True', False: 'False', Unknown: 'Unknown' } as const satisfies Record<string, ConditionStatus>;

/** Condition types, per kind; Ready is the summary every kind has. */
export const ConditionTypes = {
  Ready: 'Ready',
  // SchemaReplication
  SchemaDrift: 'SchemaDrift',
  SlotRetention: 'SlotRetention',
  TargetServing: 'TargetServing',
  // TenantCutover
  RouteOwned: 'RouteOwned',
  PreconditionsMet: 'PreconditionsMet',
  Switched: 'Switched',
  ApprovalWithdrawn: 'ApprovalWithdrawn',
  RetriesExhausted: 'RetriesExhausted',
  WritesFenced: 'WritesFenced',
  ServingWritable: 'ServingWritable',
  // LandingZone
  NetworkReady: 'NetworkReady',
  TransitGatewayAttached: 'TransitGatewayAttached',
  DatabaseReady: 'DatabaseReady',
  ParametersApplied: 'ParametersApplied',
  ConnectionSecretReady: 'ConnectionSecretReady',
} as const;
export type ConditionType = (typeof ConditionTypes)[keyof typeof ConditionTypes];

/** CamelCase reasons; one table so a reason means the same thing on every kind. */
export const Reasons = {
  // landing zone (AWS)
  PendingAcceptance: 'PendingAcceptance',
  OwnershipConflict: 'OwnershipConflict',
  SecretConflict: 'SecretConflict',
  StorageModificationLocked: 'StorageModificationLocked',
  ManagedPasswordUnavailable: 'ManagedPasswordUnavailable',
  InstanceUnhealthy: 'InstanceUnhealthy',
  NotConfigured: 'NotConfigured',
  // general
  Reconciling: 'Reconciling',
  Succeeded: 'Succeeded',
  Suspended: 'Suspended',
  Deleting: 'Deleting',
  InvalidSpec: 'InvalidSpec',
  ReferenceNotFound: 'ReferenceNotFound',
  SecretNotFound: 'SecretNotFound',
  SecretInvalid: 'SecretInvalid',
  ConnectionFailed: 'ConnectionFailed',
  PermissionDenied: 'PermissionDenied',
  TransientError: 'TransientError',
  TerminalError: 'TerminalError',
  /** A reconcile failed with an error that names no reason of its own (the controllers' fallback). */
  ReconcileError: 'ReconcileError',
  // replication
  SchemaNotFound: 'SchemaNotFound',
  /** A sequence of spec.extraSequences does not exist on the source. */
  SequenceNotFound: 'SequenceNotFound',
  SameDatabase: 'SameDatabase',
  /** The publisher's Secret asks verify-ca/verify-full and names no CA file for the subscribing server. */
  SubscriberCannotVerify: 'SubscriberCannotVerify',
  /** An older SchemaReplication of the same source database replicates the schema. */
  SchemaClaimed: 'SchemaClaimed',
  TableWithoutPrimaryKey: 'TableWithoutPrimaryKey',
  InitialCopyInProgress: 'InitialCopyInProgress',
  LagAboveThreshold: 'LagAboveThreshold',
  SubscriptionFailing: 'SubscriptionFailing',
  DriftDetected: 'DriftDetected',
  SlotRetentionOverBudget: 'SlotRetentionOverBudget',
  SlotLost: 'SlotLost',
  DeletionBlocked: 'DeletionBlocked',
  /** The target served the tenant and its TenantCutover is gone: forward replication stays retired. */
  CutoverDeleted: 'CutoverDeleted',
  LargeObjectsNotReplicated: 'LargeObjectsNotReplicated',
  LongTransactionOnSource: 'LongTransactionOnSource',
  NoFreeReplicationSlot: 'NoFreeReplicationSlot',
  NoFreeWalSender: 'NoFreeWalSender',
  SourceTablesNotOwned: 'SourceTablesNotOwned',
  TargetRoleCannotSubscribe: 'TargetRoleCannotSubscribe',
  UnloggedTable: 'UnloggedTable',
  WalLevelNotLogical: 'WalLevelNotLogical',
  CutoverInProgress: 'CutoverInProgress',
  WaitingForCopySlot: 'WaitingForCopySlot',
  NoFreeLogicalReplicationWorker: 'NoFreeLogicalReplicationWorker',
  SourceRoleCannotReplicate: 'SourceRoleCannotReplicate',
  SourceTablesNotReadable: 'SourceTablesNotReadable',
  // cutover
  AwaitingApproval: 'AwaitingApproval',
  ReplicationNotReady: 'ReplicationNotReady',
  LagAboveGate: 'LagAboveGate',
  ValidationStale: 'ValidationStale',
  WritePauseExceeded: 'WritePauseExceeded',
  MoveAborted: 'MoveAborted',
  RetryScheduled: 'RetryScheduled',
  SourceServing: 'SourceServing',
  TargetServing: 'TargetServing',
  RouteConflict: 'RouteConflict',
  /** Another (older) TenantCutover references the same SchemaReplication. */
  CutoverConflict: 'CutoverConflict',
  RouteAgentsNotReady: 'RouteAgentsNotReady',
  ApprovalWithdrawn: 'ApprovalWithdrawn',
  RetriesExhausted: 'RetriesExhausted',
  ValidationRequired: 'ValidationRequired',
  SchemaDrift: 'SchemaDrift',
  SessionPooling: 'SessionPooling',
  ReverseReplicationNotReady: 'ReverseReplicationNotReady',
  TablesNotCovered: 'TablesNotCovered',
  ReverseReplicationNeedsSuperuser: 'ReverseReplicationNeedsSuperuser',
  /** The target would log CREATE SUBSCRIPTION's connection string and the operator's session may not prevent it. */
  SubscriberLogsStatements: 'SubscriberLogsStatements',
  /** A move's fence locks every table and partition of the tenant in one transaction: the lock table must hold them. */
  LockTableTooSmall: 'LockTableTooSmall',
  Switched: 'Switched',
  RolledBack: 'RolledBack',
  Migrated: 'Migrated',
  RevokeFailed: 'RevokeFailed',
  RestoreFailed: 'RestoreFailed',
  // landing zone
  Creating: 'Creating',
  Modifying: 'Modifying',
  Available: 'Available',
  RebootRequired: 'RebootRequired',
  Throttled: 'Throttled',
  DriftCorrected: 'DriftCorrected',
} as const;
export type Reason = (typeof Reasons)[keyof typeof Reasons];

const KNOWN_REASONS: ReadonlySet<string> = new Set(Object.values(Reasons));

/** A reason carried by an error (OperatorError.reason) as a table reason; one outside the table becomes `fallback`. */
export function knownReason(reason: string | undefined, fallback: Reason): Reason {
  return reason !== undefined && KNOWN_REASONS.has(reason) ? (reason as Reason) : fallback;
}

/** What a reconciler states; lastTransitionTime is the helper's business. New types and reasons go in the tables. */
export interface ConditionInput {
  type: ConditionType;
  status: ConditionStatus;
  /** Closed: every reason is in the Reasons table (knownReason maps one an error carries). */
  reason: Reason;
  message: string;
  observedGeneration?: number;
}

/** RFC 3339 with second precision, as Kubernetes writes metav1.Time. */
export function formatTime(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Returns a new list with `input` set: lastTransitionTime moves to `now` only when the status
 * flips (or the type is new), so reason or message updates keep the time of the real transition.
 */
export function setCondition(conditions: readonly Condition[] | undefined, input: ConditionInput, now: Date): Condition[] {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((c) => c.type === input.type);
  const previous = index >= 0 ? list[index] : undefined;
  const next: Condition = {
    type: input.type,
    status: input.status,
    reason: input.reason,
    message: input.message,
    lastTransitionTime: previous !== undefined && previous.status === input.status ? previous.lastTransitionTime : formatTime(now),
    ...(input.observedGeneration === undefined ? {} : { observedGeneration: input.observedGeneration }),
  };
  if (index >= 0) list[index] = next;
  else list.push(next);
  return list;
}

export function findCondition(conditions: readonly Condition[] | undefined, type: ConditionType): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isTrue(conditions: readonly Condition[] | undefined, type: ConditionType): boolean {
  return findCondition(conditions, type)?.status === ConditionStatuses.True;
}

export function removeCondition(conditions: readonly Condition[] | undefined, type: ConditionType): Condition[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}
