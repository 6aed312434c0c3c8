// Live logical replication for validation tests: a SchemaReplication reconciled directly (fixed
// Kubernetes answers, as in the SchemaReplication engine test) until every table streams.
import type { SchemaReplication } from '../../../src/api/index.js';
import { replicationNames } from '../../../src/postgres/names.js';
import { cleanupSchemaReplication } from '../../../src/reconcilers/schemareplication/cleanup.js';
import { reconcileSchemaReplication, type ReconcileContext } from '../../../src/reconcilers/schemareplication/index.js';
import { secretData, type DatabasePair } from '../../support/databases.js';

export interface Replication {
  slot: string;
  subscription: string;
  stop(): Promise<void>;
}

export async function startReplication(db: DatabasePair, name: string, schemas: string[]): Promise<Replication> {
  const secrets: Record<string, Record<string, string>> = { src: secretData(db.source), tgt: secretData(db.target) };
  const ctx: ReconcileContext = {
    kube: {
      readSecretData: async (_ns, secret) => secrets[secret],
      landingZoneSecretName: async () => ({ notReadyMessage: 'no LandingZone here' }),
      referencingCutover: async () => undefined,
      cutoverInCharge: async () => undefined,
    },
    events: { normal: () => undefined, warning: () => undefined },
    metrics: { record: () => undefined, forget: () => undefined },
    now: () => new Date(),
  };
  const obj = {
    apiVersion: 'tenantshift.io/v1alpha1',
    kind: 'SchemaReplication',
    metadata: { name, namespace: 'validation-test', generation: 1, uid: name },
    spec: { tenant: name, source: { secretRef: { name: 'src' } }, target: { secretRef: { name: 'tgt' } }, schemas },
  } as SchemaReplication;
  let ready = false;
  for (let i = 0; i < 120 && !ready; i++) {
    const outcome = await reconcileSchemaReplication(obj, ctx);
    obj.status = outcome.status;
    ready = outcome.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    if (!ready) await new Promise((r) => setTimeout(r, 500));
  }
  if (!ready) throw new Error(`replication ${name} did not become Ready: ${JSON.stringify(obj.status?.conditions)}`);
  const names = replicationNames('validation-test', name);
  return {
    slot: names.slot,
    subscription: names.subscription,
    async stop() {
      for (let i = 0; i < 20; i++) {
        if ((await cleanupSchemaReplication(obj, ctx)).finalizerDone) return;
      }
    },
  };
}
