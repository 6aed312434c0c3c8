// Durations in specs ("2s", "1m30s"): the schema with CEL range checks, and the parser the
// reconcilers use, so both agree on one grammar (a subset of Go's time.ParseDuration).
import { Type } from '@sinclair/typebox';

// At most four parts of at most five digits: large enough for any budget, small enough that
// CEL's duration() can never overflow int64 nanoseconds.
export const DURATION_PATTERN = '^([0-9]{1,5}(ms|s|m|h)){1,4}$';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export interface DurationFieldOptions {
  /** Full field path used in refusal messages, e.g. spec.maxWritePause. */
  path: string;
  description: string;
  min: string;
  max: string;
  default?: string;
}

/** A duration string bounded by CEL; the range rule is skipped when the pattern already failed. */
export function durationField(options: DurationFieldOptions) {
  const { path, min, max } = options;
  return Type.String({
    description: `${options.description} Written like 500ms, 2s or 1m30s (units ms, s, m, h); from ${min} to ${max}.`,
    maxLength: 40,
    pattern: DURATION_PATTERN,
    ...(options.default === undefined ? {} : { default: options.default }),
    'x-kubernetes-validations': [
      {
        rule: `!self.matches('${DURATION_PATTERN}') || ` + `(duration(self) >= duration('${min}') && duration(self) <= duration('${max}'))`,
        messageExpression: `'${path} must be between ${min} and ${max}, got "' + self + '"'`,
      },
    ],
  });
}

/** Milliseconds of a duration written in DURATION_PATTERN's grammar; throws on anything else. */
export function parseDurationMs(text: string): number {
  if (!new RegExp(DURATION_PATTERN).test(text)) {
    throw new Error(`invalid duration "${text}": expected e.g. 500ms, 2s, 1m30s`);
  }
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/([0-9]+)(ms|s|m|h)/g)) {
    total += Number(amount) * (UNIT_MS[unit] ?? Number.NaN);
  }
  return total;
}
