// Deletion of a SchemaReplication: nothing of it may stay on the source (a forgotten slot fills the
// source's disk). The target's copy stays unless deletionPolicy is Delete.
import type pg from 'pg';
import type { Reason, SchemaReplication } from '../../api/index.js';
import { ConditionTypes, knownReason, setCondition } from '../../api/index.js';
import type { ConnectionInfo } from '../../postgres/connection.js';
import { replicationNames, type ReplicationNames } from '../../postgres/names.js';
import { dropPublication, dropSchemas, dropSlots, dropSubscription, readSubscription } from '../../postgres/replication.js';
import { isCondition } from '../../errors.js';
import { openSession } from '../../postgres/errors.js';
import { resolveEndpoints, type Endpoints } from '../shared/endpoints.js';
import type { Outcome, ReconcileContext } from './index.js';

export async function cleanupSchemaReplication(obj: SchemaReplication, ctx: ReconcileContext): Promise<Outcome> {
  const ns = obj.metadata.namespace as string;
  const name = obj.metadata.name as string;
  const names = replicationNames(ns, name);
  const cutover = await ctx.kube.referencingCutover(ns, name);
  if (cutover) {
    return waiting(
      obj,
      ctx,
      'DeletionBlocked',
      `TenantCutover ${cutover} still references this SchemaReplication; delete it first`,
      15_000,
    );
  }
  let endpoints: Endpoints;
  try {
    endpoints = await resolveEndpoints(obj, ctx.kube);
  } catch (err) {
    if (isCondition(err))
      return waiting(obj, ctx, knownReason(err.reason, 'ConnectionFailed'), `cannot clean up: ${err.message}`, err.retryAfterMs);
    throw err;
  }
  // The target first: a subscription left enabled would re-create its sync slots on the source.
  const subscriptionOid = await cleanupTarget(obj, ctx, endpoints.target, names);
  const pending = await cleanupSource(obj, ctx, endpoints.source, names, subscriptionOid);
  if (pending) return pending;
  ctx.metrics.forget({ namespace: ns, name });
  ctx.events.normal('CleanedUp', `Dropped subscription ${names.subscription}, slot ${names.slot} and publication ${names.publication}`);
  return { status: obj.status ?? {}, requeueAfterMs: 0, finalizerDone: true };
}

function waiting(obj: SchemaReplication, ctx: ReconcileContext, reason: Reason, message: string, requeueAfterMs: number): Outcome {
  return {
    status: {
      ...(obj.status ?? {}),
      phase: 'Deleting',
      conditions: setCondition(
        obj.status?.conditions,
        { type: ConditionTypes.Ready, status: 'False', reason, message, observedGeneration: obj.metadata.generation ?? 0 },
        ctx.now(),
      ),
    },
    requeueAfterMs,
  };
}

/**
 * One side at a time: the target may be gone for good while the source must still be cleaned up,
 * so the two sessions are independent (withBothSides would fail both when one is unreachable).
 */
async function withSide<T>(info: ConnectionInfo, side: 'source' | 'target', work: (client: pg.Client) => Promise<T>): Promise<T> {
  let client: pg.Client | undefined;
  try {
    client = await openSession(info, side);
    return await work(client);
  } finally {
    await client?.end().catch(() => undefined);
  }
}

/** Drops the subscription (and under deletionPolicy Delete the schemas); returns the subscription's oid. */
async function cleanupTarget(
  obj: SchemaReplication,
  ctx: ReconcileContext,
  info: ConnectionInfo,
  names: ReplicationNames,
): Promise<number | undefined> {
  let subscriptionOid = obj.status?.subscriptionOid;
  try {
    await withSide(info, 'target', async (target) => {
      subscriptionOid = (await readSubscription(target, names.subscription))?.oid ?? subscriptionOid;
      await dropSubscription(target, names.subscription);
      if (obj.spec.deletionPolicy === 'Delete') {
        await dropSchemas(target, obj.spec.schemas);
        ctx.events.normal('TargetDataDeleted', `Dropped ${obj.spec.schemas.join(', ')} on the target (deletionPolicy Delete)`);
      }
    });
  } catch (err) {
    if (!isCondition(err)) throw err;
    // Source artifacts always go, even when the target is gone for good.
    ctx.events.warning(
      'TargetUnreachable',
      `Could not reach the target to drop subscription ${names.subscription}: ${err.message}; cleaning up the source anyway`,
    );
  }
  return subscriptionOid;
}

/** Drops the slots and the publication; an outcome while something still has to wait. */
async function cleanupSource(
  obj: SchemaReplication,
  ctx: ReconcileContext,
  info: ConnectionInfo,
  names: ReplicationNames,
  subscriptionOid: number | undefined,
): Promise<Outcome | undefined> {
  try {
    return await withSide(info, 'source', async (source) => {
      const remaining = await dropSlots(source, names.slot, subscriptionOid);
      if (remaining.length > 0) {
        return waiting(obj, ctx, 'Deleting', `waiting for slot(s) ${remaining.join(', ')} on the source to be released`, 1_000);
      }
      await dropPublication(source, names.publication);
      return undefined;
    });
  } catch (err) {
    if (isCondition(err))
      return waiting(
        obj,
        ctx,
        knownReason(err.reason, 'ConnectionFailed'),
        `cannot drop the slot ${names.slot} from the source yet: ${err.message}`,
        err.retryAfterMs,
      );
    throw err;
  }
}
