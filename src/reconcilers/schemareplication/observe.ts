// Observation of a SchemaReplication's world: its connection Secrets, both servers' catalogs, the
// publication, the subscription and the slot. Reads only.
import type pg from 'pg';
import { inventory, type SchemaInventory } from '../../postgres/catalog.js';
import { connect, connectionFromSecretData, ConnectionSecretError, type ConnectionInfo } from '../../postgres/connection.js';
import type { ReplicationNames } from '../../postgres/names.js';
import { observeSource, observeTarget, type SourceFacts, type TargetFacts } from '../../postgres/preflight.js';
import { readSlot, readSubscription, type SlotState, type SubscriptionState } from '../../postgres/replication.js';
import type { SchemaReplication } from '../../api/index.js';

/** What a reconciler needs from Kubernetes, narrowed so tests can hand in real or fixed answers. */
export interface KubeReader {
  readSecretData(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  /** The connection Secret a LandingZone publishes, once it is Ready. */
  landingZoneSecretName(namespace: string, name: string): Promise<{ secretName?: string; notReadyMessage?: string }>;
}

export class ObservationError extends Error {
  constructor(
    readonly reason: string,
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
    this.name = 'ObservationError';
  }
}

export interface Endpoints {
  source: ConnectionInfo;
  target: ConnectionInfo;
  targetSecretName: string;
}

export async function resolveEndpoints(obj: SchemaReplication, kube: KubeReader): Promise<Endpoints> {
  const ns = obj.metadata.namespace as string;
  const sourceName = obj.spec.source.secretRef.name;
  let targetName = obj.spec.target.secretRef?.name;
  if (!targetName && obj.spec.target.landingZoneRef) {
    const lz = await kube.landingZoneSecretName(ns, obj.spec.target.landingZoneRef.name);
    if (!lz.secretName) {
      throw new ObservationError(
        'ReferenceNotFound',
        lz.notReadyMessage ?? `LandingZone ${obj.spec.target.landingZoneRef.name} has no connection Secret yet`,
        30_000,
      );
    }
    targetName = lz.secretName;
  }
  const read = async (name: string, field: string): Promise<ConnectionInfo> => {
    const data = await kube.readSecretData(ns, name);
    if (!data) {
      throw new ObservationError('SecretNotFound', `Secret ${name} (${field}) does not exist in namespace ${ns}`, 30_000);
    }
    try {
      return connectionFromSecretData(name, data);
    } catch (err) {
      if (err instanceof ConnectionSecretError) throw new ObservationError('SecretInvalid', `${err.message} (${field})`, 60_000);
      throw err;
    }
  };
  return {
    source: await read(sourceName, 'spec.source.secretRef'),
    target: await read(targetName as string, obj.spec.target.secretRef ? 'spec.target.secretRef' : 'spec.target.landingZoneRef'),
    targetSecretName: targetName as string,
  };
}

export async function openConnection(info: ConnectionInfo, side: 'source' | 'target'): Promise<pg.Client> {
  try {
    return await connect(info);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    // 28P01 wrong password, 28000 no pg_hba entry: the Secret is wrong, not the network.
    const reason = e.code === '28P01' || e.code === '28000' ? 'PermissionDenied' : 'ConnectionFailed';
    throw new ObservationError(
      reason,
      `cannot connect to the ${side} ${info.host}:${info.port}/${info.dbname} as ${info.user}: ${e.message ?? 'unknown error'}`,
      15_000,
    );
  }
}

export interface Observed {
  sourceInventory: SchemaInventory;
  targetInventory: SchemaInventory;
  sourceFacts: SourceFacts;
  targetFacts: TargetFacts;
  subscription?: SubscriptionState;
  slot: SlotState;
  publicationExists: boolean;
}

export async function observe(source: pg.Client, target: pg.Client, schemas: string[], names: ReplicationNames): Promise<Observed> {
  const sourceInventory = await inventory(source, schemas);
  const targetInventory = await inventory(target, schemas);
  const pub = await source.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [names.publication]);
  const subscription = await readSubscription(target, names.subscription);
  return {
    sourceInventory,
    targetInventory,
    sourceFacts: await observeSource(source, sourceInventory, names.slot),
    targetFacts: await observeTarget(target, names.subscription),
    ...(subscription ? { subscription } : {}),
    slot: await readSlot(source, names.slot),
    publicationExists: (pub.rowCount ?? 0) > 0,
  };
}
