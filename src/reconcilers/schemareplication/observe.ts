// Observation of a SchemaReplication's world: both servers' catalogs, the publication, the
// subscription and the slot. Reads only (the Secrets are resolved in ../shared/endpoints.ts).
import type pg from 'pg';
import { inventory, type SchemaInventory } from '../../postgres/catalog.js';
import type { ReplicationNames } from '../../postgres/names.js';
import { observeSource, observeTarget, type SourceFacts, type TargetFacts } from '../../postgres/preflight.js';
import {
  publicationExists,
  readSlot,
  readSubscription,
  serverIdentity,
  type ServerIdentity,
  type SlotState,
  type SubscriptionState,
} from '../../postgres/replication.js';

export interface Observed {
  sourceInventory: SchemaInventory;
  targetInventory: SchemaInventory;
  sourceFacts: SourceFacts;
  targetFacts: TargetFacts;
  subscription?: SubscriptionState;
  slot: SlotState;
  publicationExists: boolean;
  servers: { source: ServerIdentity; target: ServerIdentity };
}

/** `privilegedTarget`: the target Secret names a login for CREATE SUBSCRIPTION (vanilla PostgreSQL). */
export async function observe(
  source: pg.Client,
  target: pg.Client,
  schemas: string[],
  names: ReplicationNames,
  privilegedTarget = false,
): Promise<Observed> {
  const sourceInventory = await inventory(source, schemas);
  const targetInventory = await inventory(target, schemas);
  const publication = await publicationExists(source, names.publication);
  const subscription = await readSubscription(target, names.subscription);
  return {
    sourceInventory,
    targetInventory,
    sourceFacts: await observeSource(source, sourceInventory, names.slot),
    targetFacts: await observeTarget(target, names.subscription, privilegedTarget),
    ...(subscription ? { subscription } : {}),
    slot: await readSlot(source, names.slot),
    publicationExists: publication,
    servers: { source: await serverIdentity(source), target: await serverIdentity(target) },
  };
}
