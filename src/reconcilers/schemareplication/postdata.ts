// Post-data (secondary indexes, foreign keys, triggers) once a schema's tables are all ready.
import { proceed, type Pass, type StepResult } from './pass.js';
import { schemasReadyForPostData } from './plan.js';
import { copyPostData } from './steps.js';

export async function postDataStep(pass: Pass): Promise<StepResult> {
  const { spec } = pass.obj;
  pass.postDataDone = (pass.base.postDataSchemas ?? []).filter((x) => spec.schemas.includes(x));
  pass.postDataDue = schemasReadyForPostData(pass.present, pass.sub, pass.published, pass.postDataDone);
  if (pass.postDataDue.length > 0) {
    const due = pass.postDataDue;
    await copyPostData({
      source: pass.source,
      target: pass.target,
      sourceInfo: pass.sourceInfo,
      schemas: due,
      copyRoles: spec.copyRoles ?? true,
    });
    pass.ctx.events.normal('PostDataCopied', `Created indexes, foreign keys and triggers of ${due.join(', ')} on the target`);
  }
  return proceed;
}
