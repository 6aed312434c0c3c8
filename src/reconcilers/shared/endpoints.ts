// What the SchemaReplication and TenantCutover reconcilers share: the connection Secrets of a
// replication's two servers, resolved through the cluster, and sessions on both that always close.
// Every failure here is a condition of the world (a Secret missing, a wrong password, a server down):
// reported with its reason and checked again later.
import type pg from 'pg';
import type { SchemaReplication } from '../../api/index.js';
import { conditionError } from '../../errors.js';
import { connectionFromSecretData, ConnectionSecretError, type ConnectionInfo } from '../../postgres/connection.js';
import { openSession } from '../../postgres/errors.js';

/** What a reconciler needs from Kubernetes, narrowed so tests can hand in real or fixed answers. */
export interface KubeReader {
  readSecretData(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  /** The connection Secret a LandingZone publishes, once it is Ready. */
  landingZoneSecretName(namespace: string, name: string): Promise<{ secretName?: string; notReadyMessage?: string }>;
}

export interface Endpoints {
  source: ConnectionInfo;
  target: ConnectionInfo;
  targetSecretName: string;
}

export interface Sessions {
  source: pg.Client;
  target: pg.Client;
}

const SECRET_RECHECK_MS = 30_000;
const SECRET_INVALID_RECHECK_MS = 60_000;

export async function resolveEndpoints(obj: SchemaReplication, kube: KubeReader): Promise<Endpoints> {
  const ns = obj.metadata.namespace as string;
  const sourceName = obj.spec.source.secretRef.name;
  let targetName = obj.spec.target.secretRef?.name;
  if (!targetName && obj.spec.target.landingZoneRef) {
    const lz = await kube.landingZoneSecretName(ns, obj.spec.target.landingZoneRef.name);
    if (!lz.secretName) {
      const message = lz.notReadyMessage ?? `LandingZone ${obj.spec.target.landingZoneRef.name} has no connection Secret yet`;
      throw conditionError('ReferenceNotFound', message, SECRET_RECHECK_MS);
    }
    targetName = lz.secretName;
  }
  const read = async (name: string, field: string): Promise<ConnectionInfo> => {
    const data = await kube.readSecretData(ns, name);
    if (!data) throw conditionError('SecretNotFound', `Secret ${name} (${field}) does not exist in namespace ${ns}`, SECRET_RECHECK_MS);
    try {
      return connectionFromSecretData(name, data);
    } catch (err) {
      if (err instanceof ConnectionSecretError)
        throw conditionError('SecretInvalid', `${err.message} (${field})`, SECRET_INVALID_RECHECK_MS);
      throw err;
    }
  };
  return {
    source: await read(sourceName, 'spec.source.secretRef'),
    target: await read(targetName as string, obj.spec.target.secretRef ? 'spec.target.secretRef' : 'spec.target.landingZoneRef'),
    targetSecretName: targetName as string,
  };
}

/** Opens a session on each side, runs `work`, and closes both whatever happens. */
export async function withBothSides<T>(endpoints: Pick<Endpoints, 'source' | 'target'>, work: (s: Sessions) => Promise<T>): Promise<T> {
  let source: pg.Client | undefined;
  let target: pg.Client | undefined;
  try {
    source = await openSession(endpoints.source, 'source');
    target = await openSession(endpoints.target, 'target');
    return await work({ source, target });
  } finally {
    await source?.end().catch(() => undefined);
    await target?.end().catch(() => undefined);
  }
}
