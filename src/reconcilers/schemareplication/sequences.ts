// Sequences the tenant uses outside its schemas (spec.extraSequences, or named by a DEFAULT of its
// tables): a schema copy does not carry them, so they are created on the target before the tables
// that name them, and every move sets them like the tenant's own (src/postgres/sequences.ts).
import { ensureSequences, missingSequences, outsideSequences } from '../../postgres/sequences.js';
import { blocked } from './outcome.js';
import { proceed, stop, type Pass, type StepResult } from './pass.js';
import { RECHECK_BLOCKED_MS } from './plan.js';

export async function sequencesStep(pass: Pass): Promise<StepResult> {
  const { spec } = pass.obj;
  const extra = spec.extraSequences ?? [];
  const absent = await missingSequences(pass.source, extra);
  if (absent.length > 0) {
    const message =
      `spec.extraSequences names ${absent.map((a) => JSON.stringify(a)).join(', ')}, not a sequence on the source ` +
      '(schema.sequence, exact names): fix the list or create the sequence; nothing was changed on either server';
    return stop(
      blocked(pass.obj, pass.status, pass.ctx, { phase: 'Blocked', ready: false, reason: 'SequenceNotFound', message }, RECHECK_BLOCKED_MS),
    );
  }
  const created = await ensureSequences(pass.target, await outsideSequences(pass.source, spec.schemas, extra));
  if (created.length > 0)
    pass.ctx.events.normal('SequencesCreated', `Created ${created.join(', ')} on the target (outside spec.schemas; set at every move)`);
  return proceed;
}
