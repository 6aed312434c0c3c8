// Deletion of a SchemaReplication: nothing of it may stay on the source (a forgotten slot fills the
// source's disk). The target's copy stays unless deletionPolicy is Delete.
import pg from 'pg';
import type { SchemaReplication } from '../../api/index.js';
import { ConditionTypes, setCondition } from '../../api/index.js';
import { replicationNames } from '../../postgres/names.js';
import { dropPublication, dropSlots, dropSubscription, readSubscription } from '../../postgres/replication.js';
import { isCondition } from '../../errors.js';
import { openSession } from '../../postgres/errors.js';
import { resolveEndpoints } from '../shared/endpoints.js';
import type { Outcome, ReconcileContext } from './index.js';

export async function cleanupSchemaReplication(obj: SchemaReplication, ctx: ReconcileContext): Promise<Outcome> {
  const ns = obj.metadata.namespace as string;
  const name = obj.metadata.name as string;
  const names = replicationNames(ns, name);
  const waiting = (reason: string, message: string, requeueAfterMs: number): Outcome => ({
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
  });

  const cutover = await ctx.kube.referencingCutover(ns, name);
  if (cutover) {
    return waiting('DeletionBlocked', `TenantCutover ${cutover} still references this SchemaReplication; delete it first`, 15_000);
  }
  let endpoints;
  try {
    endpoints = await resolveEndpoints(obj, ctx.kube);
  } catch (err) {
    if (isCondition(err)) return waiting(err.reason, `cannot clean up: ${err.message}`, err.retryAfterMs);
    throw err;
  }

  // The target first: a subscription left enabled would re-create its sync slots on the source.
  let subscriptionOid = obj.status?.subscriptionOid;
  let target: pg.Client | undefined;
  try {
    target = await openSession(endpoints.target, 'target');
    subscriptionOid = (await readSubscription(target, names.subscription))?.oid ?? subscriptionOid;
    await dropSubscription(target, names.subscription);
    if (obj.spec.deletionPolicy === 'Delete') {
      for (const schema of obj.spec.schemas) await target.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
      ctx.events.normal('TargetDataDeleted', `Dropped ${obj.spec.schemas.join(', ')} on the target (deletionPolicy Delete)`);
    }
  } catch (err) {
    if (!isCondition(err)) throw err;
    // Source artifacts always go, even when the target is gone for good.
    ctx.events.warning(
      'TargetUnreachable',
      `Could not reach the target to drop subscription ${names.subscription}: ${err.message}; cleaning up the source anyway`,
    );
  } finally {
    await target?.end().catch(() => undefined);
  }

  let source: pg.Client | undefined;
  try {
    source = await openSession(endpoints.source, 'source');
    const remaining = await dropSlots(source, names.slot, subscriptionOid);
    if (remaining.length > 0) return waiting('Deleting', `waiting for slot(s) ${remaining.join(', ')} on the source to be released`, 1_000);
    await dropPublication(source, names.publication);
  } catch (err) {
    if (isCondition(err))
      return waiting(err.reason, `cannot drop the slot ${names.slot} from the source yet: ${err.message}`, err.retryAfterMs);
    throw err;
  } finally {
    await source?.end().catch(() => undefined);
  }
  ctx.metrics.forget({ namespace: ns, name });
  ctx.events.normal('CleanedUp', `Dropped subscription ${names.subscription}, slot ${names.slot} and publication ${names.publication}`);
  return { status: obj.status ?? {}, requeueAfterMs: 0, finalizerDone: true };
}
