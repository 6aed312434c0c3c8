// Replica identity FULL for the tables the spec opted in (on the source, before publishing).
import { setReplicaIdentityFull } from '../../postgres/replication.js';
import { proceed, reobserve, type Pass, type StepResult } from './pass.js';
import { tablesNeedingFullIdentity } from './plan.js';

export async function replicaIdentityStep(pass: Pass): Promise<StepResult> {
  const needFull = tablesNeedingFullIdentity(pass.obs.sourceInventory, pass.obj.spec.replicaIdentityFull ?? []);
  if (needFull.length > 0) {
    await setReplicaIdentityFull(pass.source, needFull);
    await reobserve(pass);
  }
  return proceed;
}
