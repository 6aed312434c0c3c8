// Deletion of a SchemaReplication: nothing of it may stay on either server (a forgotten slot fills a
// disk), in either direction. The target's copy stays unless deletionPolicy is Delete, and always once
// the target has served the tenant (status.targetServingSince).
import type pg from 'pg';
import type { Reason, SchemaReplication } from '../../api/index.js';
import { ConditionTypes, knownReason, setCondition } from '../../api/index.js';
import type { ConnectionInfo } from '../../postgres/connection.js';
import { replicationNames, type ReplicationNames, type SyncSlotsOf } from '../../postgres/names.js';
import {
  dropPublication,
  dropSchemas,
  dropSlots,
  dropSubscription,
  readSubscription,
  systemIdentifier,
} from '../../postgres/replication.js';
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
  const target = await cleanupTarget(obj, ctx, endpoints.target, names);
  const pending = await cleanupSource(obj, ctx, endpoints.source, names, target.syncOf);
  if (pending) return pending;
  if (target.held.length > 0)
    return waiting(obj, ctx, 'Deleting', `waiting for slot(s) ${target.held.join(', ')} on the target to be released`, 1_000);
  ctx.metrics.forget({ namespace: ns, name });
  ctx.events.normal(
    'CleanedUp',
    `Dropped subscription ${names.subscription}, slot ${names.slot} and publication ${names.publication}, and the way back's ` +
      `${names.reverseSubscription} where it was left`,
  );
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

/**
 * On the target: the forward subscription, the way back's slot and publication (a TenantCutover deleted
 * with the tenant on the target leaves them to this object), and under deletionPolicy Delete the
 * schemas, unless the target has served the tenant: a serving copy is never dropped. Returns what
 * names the forward subscription's table-sync slots on the source, and the way back's slots still held.
 */
async function cleanupTarget(
  obj: SchemaReplication,
  ctx: ReconcileContext,
  info: ConnectionInfo,
  names: ReplicationNames,
): Promise<{ syncOf?: SyncSlotsOf; held: string[] }> {
  const known = obj.status?.subscriptionOid;
  let syncOf: SyncSlotsOf | undefined =
    known === undefined ? undefined : { oid: known, ...systemIdentifierOf(obj.status?.targetSystemIdentifier) };
  try {
    return await withSide(info, 'target', async (target) => {
      const oid = (await readSubscription(target, names.subscription))?.oid ?? known;
      if (oid !== undefined) syncOf = { oid, systemIdentifier: await systemIdentifier(target) };
      await dropSubscription(target, names.subscription);
      await dropSchemasUnlessServed(obj, ctx, target);
      const held = await dropSlots(target, names.reverseSlot);
      if (held.length === 0) await dropPublication(target, names.reversePublication);
      return { ...(syncOf ? { syncOf } : {}), held };
    });
  } catch (err) {
    if (!isCondition(err)) throw err;
    // Source artifacts always go, even when the target is gone for good.
    ctx.events.warning(
      'TargetUnreachable',
      `Could not reach the target to drop subscription ${names.subscription} and the way back's slot ${names.reverseSlot}: ` +
        `${err.message}; cleaning up the source anyway (drop them by hand if the target comes back)`,
    );
    return { ...(syncOf ? { syncOf } : {}), held: [] };
  }
}

function systemIdentifierOf(id: string | undefined): { systemIdentifier?: string } {
  return id ? { systemIdentifier: id } : {};
}

async function dropSchemasUnlessServed(obj: SchemaReplication, ctx: ReconcileContext, target: pg.Client): Promise<void> {
  if (obj.spec.deletionPolicy !== 'Delete') return;
  const servedSince = obj.status?.targetServingSince;
  if (obj.status?.subscriptionOid === undefined) {
    // Blocked before it copied anything (a schema another SchemaReplication replicates, the same database
    // on both sides): what the target holds under these names is not this object's copy.
    ctx.events.normal(
      'TargetDataKept',
      `Kept ${obj.spec.schemas.join(', ')} on the target although deletionPolicy is Delete: this SchemaReplication never ` +
        'subscribed, so what the target holds there is not its copy',
    );
    return;
  }
  if (servedSince) {
    ctx.events.normal(
      'TargetDataKept',
      `Kept ${obj.spec.schemas.join(', ')} on the target although deletionPolicy is Delete: the target has served the tenant ` +
        `since ${servedSince}, and a copy that served is never dropped (drop the schemas by hand once nothing needs them)`,
    );
    return;
  }
  // public is every database's own schema (a whole-database move replicates it): never dropped.
  const dropped = obj.spec.schemas.filter((s) => s !== 'public');
  await dropSchemas(target, dropped);
  const kept = dropped.length < obj.spec.schemas.length ? '; kept public, which is never dropped' : '';
  ctx.events.normal('TargetDataDeleted', `Dropped ${dropped.join(', ') || 'no schema'} on the target (deletionPolicy Delete)${kept}`);
}

/** On the source: the way back's subscription, then the forward slots and publication; an outcome while something has to wait. */
async function cleanupSource(
  obj: SchemaReplication,
  ctx: ReconcileContext,
  info: ConnectionInfo,
  names: ReplicationNames,
  syncOf: SyncSlotsOf | undefined,
): Promise<Outcome | undefined> {
  try {
    return await withSide(info, 'source', async (source) => {
      await dropSubscription(source, names.reverseSubscription);
      const remaining = await dropSlots(source, names.slot, syncOf);
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
