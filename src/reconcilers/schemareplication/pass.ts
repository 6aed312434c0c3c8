// One pass of the SchemaReplication reconciler: what its steps share, and what a step answers.
// Modelled on CloudNativePG's reconciler phases: every step either lets the pass continue or stops
// it with an outcome; the orchestrator stops at the first that stops.
import type pg from 'pg';
import type { SchemaReplication, SchemaReplicationStatus } from '../../api/index.js';
import type { TableInfo } from '../../postgres/catalog.js';
import type { ConnectionInfo } from '../../postgres/connection.js';
import type { ReplicationNames } from '../../postgres/names.js';
import type { SubscriptionState } from '../../postgres/replication.js';
import type { Outcome, ReconcileContext } from './index.js';
import { observe, type Observed } from './observe.js';
import type { Drift, SubscriptionAction } from './plan.js';

export interface Pass {
  readonly obj: SchemaReplication;
  readonly ctx: ReconcileContext;
  readonly source: pg.Client;
  readonly target: pg.Client;
  readonly sourceInfo: ConnectionInfo;
  readonly targetInfo: ConnectionInfo;
  readonly names: ReplicationNames;
  /** The status this pass started from (with the replication's names). */
  readonly base: SchemaReplicationStatus;
  /** The world as last observed; steps that change it observe again. */
  obs: Observed;
  /** The status being built. */
  status: SchemaReplicationStatus;
  /** Spec schemas on both sides. */
  present: string[];
  drift: Drift;
  published: TableInfo[];
  action: SubscriptionAction;
  /** The subscription after the action, without the sentinel's tables. */
  sub?: SubscriptionState;
  /** Schemas whose post-data is on the target (before this pass, and added by it). */
  postDataDone: string[];
  postDataDue: string[];
}

export type StepResult = { kind: 'continue' } | { kind: 'stop'; outcome: Outcome };

export type Step = (pass: Pass) => Promise<StepResult>;

export const proceed: StepResult = { kind: 'continue' };

export function stop(outcome: Outcome): StepResult {
  return { kind: 'stop', outcome };
}

export async function reobserve(pass: Pass): Promise<void> {
  pass.obs = await observe(pass.source, pass.target, pass.obj.spec.schemas, pass.names, pass.targetInfo.privileged !== undefined);
}
