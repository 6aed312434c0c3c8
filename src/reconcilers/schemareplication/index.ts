// SchemaReplication: keeps a tenant's schemas continuously copied from source to target.
// reconcile() reads as its steps: resolve, observe, then STEPS in order (preflight, identity, sequences, schemas,
// drift, publication, subscription, post-data, status); the first step that stops ends the pass.
// Deletion is in cleanup.ts.
import type { SchemaReplication, SchemaReplicationStatus } from '../../api/index.js';
import type { ReplicationMetrics } from '../../observability/replication-metrics.js';
import { heldFailpoint } from '../../failpoint.js';
import { replicationNames } from '../../postgres/names.js';
import { resolveEndpoints, withBothSides, type KubeReader, type Sessions } from '../shared/endpoints.js';
import type { ConnectionInfo } from '../../postgres/connection.js';
import { driftStep } from './drift.js';
import { handOffToCutover } from './handoff.js';
import { replicaIdentityStep } from './identity.js';
import { observe, type Observed } from './observe.js';
import { blockedByCondition } from './outcome.js';
import type { Pass, Step } from './pass.js';
import { postDataStep } from './postdata.js';
import { sequencesStep } from './sequences.js';
import { preflightStep } from './preflight-step.js';
import { publicationStep } from './publication.js';
import { schemasStep } from './schemas.js';
import { statusStep } from './status.js';
import { subscriptionStep } from './subscription.js';

export interface ReplicationEvents {
  normal(reason: string, message: string): void;
  warning(reason: string, message: string): void;
}

export interface ReconcileContext {
  kube: KubeReader & {
    /** The TenantCutover that references this object, if any (deletion waits for it). */
    referencingCutover(namespace: string, name: string): Promise<string | undefined>;
    /** The TenantCutover that references this object (also while it is being deleted), and where it has the tenant. */
    cutoverInCharge(namespace: string, name: string): Promise<{ name: string; activeSide: string; moving: boolean } | undefined>;
  };
  events: ReplicationEvents;
  metrics: ReplicationMetrics;
  /** Other SchemaReplications (any namespace) last seen on the source database `sourceDatabase` (status.sourceDatabase). */
  replicationsOfSource?(sourceDatabase: string): SchemaReplication[];
  /** Initial copies running against a source server (other objects); new ones wait while at the limit. */
  initialCopies?: { running(sourceServer: string): number; limit: number };
  now(): Date;
}

export interface Outcome {
  status: SchemaReplicationStatus;
  requeueAfterMs: number;
  /** Set by cleanup once nothing is left outside the cluster. */
  finalizerDone?: boolean;
}

export { DEFAULT_SLOT_RETENTION_BUDGET_BYTES } from './plan.js';
export type { ReplicationMetrics };

/** The steps of a pass, in order; the last (status) always stops. */
export const STEPS: ReadonlyArray<{ name: string; run: Step }> = [
  { name: 'preflight', run: preflightStep },
  { name: 'replica-identity', run: replicaIdentityStep },
  { name: 'sequences', run: sequencesStep },
  { name: 'schemas', run: schemasStep },
  { name: 'drift', run: driftStep },
  { name: 'publication', run: publicationStep },
  { name: 'subscription', run: subscriptionStep },
  { name: 'post-data', run: postDataStep },
  { name: 'status', run: statusStep },
];

export async function reconcileSchemaReplication(obj: SchemaReplication, ctx: ReconcileContext): Promise<Outcome> {
  const names = replicationNames(obj.metadata.namespace as string, obj.metadata.name as string);
  const base: SchemaReplicationStatus = {
    ...(obj.status ?? {}),
    publicationName: names.publication,
    slotName: names.slot,
    subscriptionName: names.subscription,
  };
  const handedOff = await handOffToCutover(obj, ctx, base);
  if (handedOff) return handedOff;
  await heldFailpoint('ReplicationHandOffChecked');
  try {
    const endpoints = await resolveEndpoints(obj, ctx.kube);
    return await withBothSides(endpoints, async (sides) => {
      // A move may have begun since the check above (resolving the Secrets, opening both servers):
      // asked again, of the API, just before anything on the servers is observed or changed.
      const movedMeanwhile = await handOffToCutover(obj, ctx, base);
      if (movedMeanwhile) return movedMeanwhile;
      return converge(obj, ctx, { ...sides, sourceInfo: endpoints.source, targetInfo: endpoints.target, names, base });
    });
  } catch (err) {
    return blockedByCondition(obj, base, ctx, err);
  }
}

interface Session extends Sessions {
  sourceInfo: ConnectionInfo;
  targetInfo: ConnectionInfo;
  names: ReturnType<typeof replicationNames>;
  base: SchemaReplicationStatus;
}

/** Observes both sides, then runs STEPS until one stops the pass. */

async function converge(obj: SchemaReplication, ctx: ReconcileContext, s: Session): Promise<Outcome> {
  const pass: Pass = {
    obj,
    ctx,
    ...s,
    obs: await observe(s.source, s.target, obj.spec.schemas, s.names, s.targetInfo.privileged !== undefined),
    status: s.base,
    present: [],
    drift: { differences: [], additive: true, newTables: [], newColumns: [] },
    published: [],
    action: { kind: 'none' },
    postDataDone: [],
    postDataDue: [],
  };
  for (const step of STEPS) {
    const result = await step.run(pass);
    if (result.kind === 'stop') return result.outcome;
  }
  throw new Error('SchemaReplication: the status step did not end the pass');
}

export type { Observed };
