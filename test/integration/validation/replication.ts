// Live logical replication for validation tests: a SchemaReplication reconciled directly (fixed
// Kubernetes answers, as in the SchemaReplication engine test) until every table streams.
import { replicationNames } from '../../../src/postgres/names.js';
import { cleanupSchemaReplication } from '../../../src/reconcilers/schemareplication/cleanup.js';
import { reconcileSchemaReplication } from '../../../src/reconcilers/schemareplication/index.js';
import { directContext, directReplication } from '../../support/direct.js';
import type { DatabasePair } from '../../support/databases.js';

export interface Replication {
  slot: string;
  subscription: string;
  stop(): Promise<void>;
}

export async function startReplication(db: DatabasePair, name: string, schemas: string[]): Promise<Replication> {
  const ctx = directContext(db.source, db.target);
  const obj = directReplication('validation-test', name, schemas);
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
