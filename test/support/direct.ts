// Drives the SchemaReplication reconciler without Kubernetes, for tests and benchmarks: fixed answers
// for the two connection Secrets ("src", "tgt"), no LandingZone, no TenantCutover, silent events.
import type { SchemaReplication } from '../../src/api/index.js';
import { connectionSecretStrings } from '../../src/devstack/postgres.js';
import type { ConnectionInfo } from '../../src/postgres/connection.js';
import type { ReconcileContext } from '../../src/reconcilers/schemareplication/index.js';

/** A Secret's data (base64 values, as the API returns them) for these connection settings. */
export function secretData(info: ConnectionInfo): Record<string, string> {
  return Object.fromEntries(Object.entries(connectionSecretStrings(info)).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
}

export function directContext(source: ConnectionInfo, target: ConnectionInfo): ReconcileContext {
  const secrets: Record<string, Record<string, string>> = { src: secretData(source), tgt: secretData(target) };
  return {
    kube: {
      readSecretData: async (_ns, name) => secrets[name],
      landingZoneSecretName: async () => ({ notReadyMessage: 'no LandingZone here' }),
      referencingCutover: async () => undefined,
      cutoverInCharge: async () => undefined,
    },
    events: { normal: () => undefined, warning: () => undefined },
    metrics: { record: () => undefined, forget: () => undefined },
    now: () => new Date(),
  };
}

/** A SchemaReplication reading the Secrets of directContext. */
export function directReplication(
  namespace: string,
  name: string,
  schemas: string[],
  extra: Partial<SchemaReplication['spec']> = {},
): SchemaReplication {
  return {
    apiVersion: 'tenantshift.io/v1alpha1',
    kind: 'SchemaReplication',
    metadata: { name, namespace, generation: 1, uid: name },
    spec: { tenant: name, source: { secretRef: { name: 'src' } }, target: { secretRef: { name: 'tgt' } }, schemas, ...extra },
  } as SchemaReplication;
}
