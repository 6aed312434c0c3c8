// The preconditions of a move, as a pure function over observed facts: the first that fails names
// what to fix. Rolling back rides the reverse replication; moving forward needs a Ready, undrifted,
// validated, current replication, every route agent confirmed, transaction pooling and a way back.
import {
  ConditionTypes,
  parseDurationMs,
  type Reason,
  type SchemaReplicationStatus,
  type Side,
  type TenantCutover,
} from '../../api/index.js';
import type { Ownership } from './routes.js';

export interface PreconditionFacts {
  to: Side;
  now: number;
  spec: Pick<TenantCutover['spec'], 'requireValidationWithin' | 'maxLagBytes'>;
  replicationName: string;
  replication: SchemaReplicationStatus;
  database: string;
  ownership: Ownership;
  /** Agents whose PgBouncer does not run the database in transaction pooling, with the mode it runs. */
  sessionPooled: Array<{ identity: string; mode: string }>;
  /** The reverse subscription on the source (observed for a rollback). */
  reversePath?: { subscription: string; exists: boolean; enabled: boolean };
  /** Whether the source role can create the reverse subscription (observed for a switch). */
  sourceIsSuperuser?: boolean;
  /**
   * The tenant's tables on the serving side that the path carrying it to `to` does not publish, and
   * those the subscriber still copies (state other than ready).
   */
  coverage?: { notPublished: string[]; notReady: string[] };
}

export interface Blocker {
  reason: Reason;
  message: string;
}

type Check = (f: PreconditionFacts) => Blocker | undefined;

const reversePathFlowing: Check = (f) => {
  if (f.reversePath?.exists && f.reversePath.enabled) return undefined;
  const sub = f.reversePath?.subscription ?? 'of the way back';
  return {
    reason: 'ReverseReplicationNotReady',
    message: `reverse subscription ${sub} on the source is missing or disabled; a rollback needs it`,
  };
};

const replicationReady: Check = (f) => {
  const ready = f.replication.conditions?.find((c) => c.type === ConditionTypes.Ready);
  if (ready?.status === 'True') return undefined;
  return {
    reason: 'ReplicationNotReady',
    message: `SchemaReplication ${f.replicationName} is not Ready: ${ready?.message ?? 'no status yet'}`,
  };
};

const noSchemaDrift: Check = (f) =>
  f.replication.conditions?.some((c) => c.type === ConditionTypes.SchemaDrift && c.status === 'True')
    ? { reason: 'SchemaDrift', message: 'the source schema differs from the target; the SchemaReplication must match first' }
    : undefined;

const validatedRecently: Check = (f) => {
  const within = f.spec.requireValidationWithin;
  if (!within) return undefined;
  const v = f.replication.validation;
  const age = v?.finishedAt ? f.now - Date.parse(v.finishedAt) : Number.POSITIVE_INFINITY;
  if (v?.result === 'identical' && age <= parseDurationMs(within)) return undefined;
  const name = f.replicationName;
  const last = v ? `${v.result ?? v.state}${v.finishedAt ? ` from ${v.finishedAt}` : ''}` : 'missing';
  const request = `kubectl annotate schemareplication ${name} tenantshift.io/validate=$(date +%s) --overwrite`;
  const message =
    `spec.requireValidationWithin is ${within} but the last validation of SchemaReplication ${name} is ${last}; ` +
    `request one: ${request}`;
  return { reason: 'ValidationRequired', message };
};

const lagUnderGate: Check = (f) => {
  const gate = f.spec.maxLagBytes;
  const lag = f.replication.lag?.bytes ?? 0;
  if (gate === undefined || lag <= gate) return undefined;
  return { reason: 'LagAboveGate', message: `replication lag ${lag} bytes is above spec.maxLagBytes ${gate}` };
};

const routeAgentsConfirmed: Check = (f) =>
  f.ownership.ok ? undefined : { reason: f.ownership.conflict ? 'RouteConflict' : 'RouteAgentsNotReady', message: f.ownership.message };

const transactionPooling: Check = (f) => {
  const first = f.sessionPooled[0];
  if (!first) return undefined;
  const where = f.sessionPooled.map((s) => s.identity).join(', ');
  const message =
    `PgBouncer database ${f.database} runs in ${first.mode} pooling at ${where}: ` +
    'PAUSE would wait for clients to disconnect; use pool_mode=transaction';
  return { reason: 'SessionPooling', message };
};

const wayBackPossible: Check = (f) =>
  f.sourceIsSuperuser
    ? undefined
    : {
        reason: 'ReverseReplicationNeedsSuperuser',
        message: 'the source role cannot create the reverse subscription (superuser needed on PostgreSQL 15): no switch without a way back',
      };

const names = (list: string[]): string => list.slice(0, 10).join(', ') + (list.length > 10 ? ` and ${list.length - 10} more` : '');

const everyTableCarried: Check = (f) => {
  const c = f.coverage;
  const from = f.to === 'target' ? 'source' : 'target';
  if (c && c.notPublished.length > 0)
    return {
      reason: 'TablesNotCovered',
      message:
        `table(s) ${names(c.notPublished)} of the tenant on the ${from} are not replicated to the ${f.to} (created since the ` +
        `path was set up?): a move would leave their rows behind. The SchemaReplication adds a new source table on its next ` +
        `pass; one created on the serving target is made on the source while spec.applyAdditiveDDL is set (else create it there by hand)`,
    };
  if (c && c.notReady.length > 0)
    return {
      reason: 'InitialCopyInProgress',
      message: `table(s) ${names(c.notReady)} are still being copied to the ${f.to}: the move waits until they are ready`,
    };
  return undefined;
};

/** In the order they are reported: the first failing one blocks the move. */
export const PRECONDITIONS: Readonly<Record<Side, readonly Check[]>> = {
  source: [reversePathFlowing, everyTableCarried, routeAgentsConfirmed, transactionPooling],
  target: [
    replicationReady,
    noSchemaDrift,
    everyTableCarried,
    validatedRecently,
    lagUnderGate,
    routeAgentsConfirmed,
    transactionPooling,
    wayBackPossible,
  ],
};

export function preconditionBlocker(facts: PreconditionFacts): Blocker | undefined {
  for (const check of PRECONDITIONS[facts.to]) {
    const blocker = check(facts);
    if (blocker) return blocker;
  }
  return undefined;
}
