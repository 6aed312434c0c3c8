// The publication on the source, and the sentinel row on both sides.
import { alignPublication } from '../../postgres/replication.js';
import { ensureSentinel, SENTINEL_SCHEMA, SENTINEL_TABLE, sentinelPublicationEntry } from '../../postgres/sentinel.js';
import { proceed, type Pass, type StepResult } from './pass.js';
import { tablesToPublish } from './plan.js';

export const SENTINEL = { schema: SENTINEL_SCHEMA, name: SENTINEL_TABLE } as const;

export async function publicationStep(pass: Pass): Promise<StepResult> {
  const { tenant } = pass.obj.spec;
  pass.published = tablesToPublish(pass.obs.sourceInventory, pass.obs.targetInventory);
  // The tenant's sentinel row travels with its tables: the cutover's drain proof and a lag probe.
  await ensureSentinel(pass.source, tenant);
  await ensureSentinel(pass.target);
  if (pass.published.length > 0) {
    await alignPublication(pass.source, pass.names.publication, pass.published, {
      entries: [sentinelPublicationEntry(tenant)],
      tables: [{ ...SENTINEL }],
    });
  }
  return proceed;
}
