// The validation engine's public face (issue 7): prove that the target holds exactly what the
// source holds. The engine lives in ./validation/; reconcilers and the CLI import from here.
export { validateSchemas } from './validation/engine.js';
export { LoadLimiter, type LoadLimits } from './validation/limits.js';
export { renderDifference, renderKey, renderUnsettled, statusSummary, summaryLine, type ValidationSummary } from './validation/format.js';
export {
  DEFAULTS as VALIDATION_DEFAULTS,
  DIFFERENCE_KINDS,
  ValidationError,
  type Difference,
  type DifferenceKind,
  type KeyTuple,
  type LiveReplication,
  type TableReport,
  type ValidateOptions,
  type ValidationReport,
  type ValidationResult,
} from './validation/types.js';
