// Source DDL drift on schemas the target already has: applied when additive and allowed, else reported.
import { hasReason } from './outcome.js';
import { proceed, reobserve, type Pass, type StepResult } from './pass.js';
import { detectDrift, driftResponse, schemasOnBothSides } from './plan.js';
import { applyAdditiveDrift } from './steps.js';

export async function driftStep(pass: Pass): Promise<StepResult> {
  const { obj, ctx } = pass;
  pass.present = schemasOnBothSides(obj.spec.schemas, pass.obs.sourceInventory, pass.obs.targetInventory);
  pass.drift = detectDrift(pass.obs.sourceInventory, pass.obs.targetInventory, pass.present);
  const response = driftResponse(pass.drift, obj.spec.applyAdditiveDDL ?? false, hasReason(obj, 'DriftDetected'));
  if (response === 'apply') {
    await applyAdditiveDrift({
      source: pass.source,
      target: pass.target,
      sourceInfo: pass.sourceInfo,
      newTables: pass.drift.newTables,
      newColumns: pass.drift.newColumns,
    });
    ctx.events.normal('DriftApplied', `Applied additive source DDL to the target: ${pass.drift.differences.join('; ')}`);
    await reobserve(pass);
    pass.drift = detectDrift(pass.obs.sourceInventory, pass.obs.targetInventory, pass.present);
  } else if (response === 'warn') {
    ctx.events.warning('DriftDetected', `The source schema changed: ${pass.drift.differences.join('; ')}`);
  }
  return proceed;
}
