// Schema DDL (and roles) for schemas the target lacks: one transaction per pass.
import { proceed, reobserve, type Pass, type StepResult } from './pass.js';
import { schemasToCopy } from './plan.js';
import { copySchemaDefinitions } from './steps.js';

export async function schemasStep(pass: Pass): Promise<StepResult> {
  const { spec } = pass.obj;
  const toCopy = schemasToCopy(spec.schemas, pass.obs.sourceInventory, pass.obs.targetInventory);
  if (toCopy.length === 0) return proceed;
  const roles = await copySchemaDefinitions({
    source: pass.source,
    target: pass.target,
    sourceInfo: pass.sourceInfo,
    schemas: toCopy,
    copyRoles: spec.copyRoles ?? true,
    copyRoleVerifiers: spec.copyRoleVerifiers ?? false,
  });
  const created = roles.created.length ? `; created roles ${roles.created.join(', ')}` : '';
  pass.ctx.events.normal('SchemaCopied', `Copied the DDL of ${toCopy.join(', ')} to the target${created}`);
  await reobserve(pass);
  return proceed;
}
