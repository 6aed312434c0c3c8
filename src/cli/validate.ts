// `tenantshift validate`: compares schemas on two servers directly (no cluster needed), in the form
// DESIGN.md fixes: exit 0 identical, 1 not, 2 could not compare; one line per difference.
import { writeFileSync } from 'node:fs';
import { ConnectionUrlError, parseConnectionUrl, type ConnectionInfo } from '../postgres/connection.js';
import {
  renderDifference,
  renderUnsettled,
  summaryLine,
  validateSchemas,
  type ValidateOptions,
  type ValidationReport,
} from '../postgres/validate.js';
import { exitCodeOf, helpText, parseOrError, SILENT, underTenantshift, usageMessage } from '../runtime/commandLine.js';
import { validateCommand } from './commands.js';
import { redact } from '../redact.js';

const usage = (): string => helpText(underTenantshift(validateCommand()));

export interface ValidateIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/** Connection settings from a URL given as `flag`; a bad URL is a usage error. */
export function connectionFromUrl(url: string, flag: string): ConnectionInfo {
  try {
    return parseConnectionUrl(url, flag);
  } catch (err) {
    if (err instanceof ConnectionUrlError) throw new UsageError(err.message);
    throw err;
  }
}

function positiveNumber(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a positive number, not "${value}"`);
  return n;
}

interface Parsed {
  options: ValidateOptions;
  output?: string;
  json: boolean;
}

/** The options as commander parses them (camelCase; `--no-live` is `live: false`). */
interface ValidateValues {
  source?: string;
  target?: string;
  schema?: string[];
  parallelism?: string;
  rate?: string;
  slot?: string;
  live: boolean;
  catchUpTimeout?: string;
  rangeRows?: string;
  maxDifferences?: string;
  output?: string;
  json?: boolean;
}

export function parseValidateArgs(argv: string[]): Parsed | 'help' {
  const cmd = underTenantshift(validateCommand());
  const failure = parseOrError(cmd, argv, SILENT);
  if (failure && exitCodeOf(failure) === 0) return 'help';
  if (failure) throw new UsageError(usageMessage(failure));
  return parsedOf(cmd.opts<ValidateValues>());
}

function requiredOf(values: ValidateValues): { source: string; target: string; schemas: string[] } {
  if (!values.source) throw new UsageError('--source is required');
  if (!values.target) throw new UsageError('--target is required');
  const schemas = values.schema ?? [];
  if (schemas.length === 0) throw new UsageError('name at least one --schema');
  if (values.slot && !values.live) throw new UsageError('--slot and --no-live exclude each other');
  return { source: values.source, target: values.target, schemas };
}

function liveReplicationOf(values: ValidateValues): ValidateOptions['liveReplication'] {
  if (!values.live) return false;
  return values.slot ? { slotName: values.slot, publisher: 'source' } : 'auto';
}

function parsedOf(values: ValidateValues): Parsed {
  const { source, target, schemas } = requiredOf(values);
  const rate = positiveNumber(values.rate, '--rate');
  const timeout = positiveNumber(values.catchUpTimeout, '--catch-up-timeout');
  const parallelism = positiveNumber(values.parallelism, '--parallelism');
  const rangeRows = positiveNumber(values.rangeRows, '--range-rows');
  const maxDifferences = positiveNumber(values.maxDifferences, '--max-differences');
  const options: ValidateOptions = {
    source: connectionFromUrl(source, '--source'),
    target: connectionFromUrl(target, '--target'),
    schemas,
    liveReplication: liveReplicationOf(values),
    ...(parallelism ? { parallelism: Math.floor(parallelism) } : {}),
    ...(rate ? { rateLimit: { rowsPerSecond: rate } } : {}),
    ...(timeout ? { catchUpTimeoutMs: timeout * 1000 } : {}),
    ...(rangeRows ? { rangeRows: Math.floor(rangeRows) } : {}),
    ...(maxDifferences ? { maxDifferencesPerTable: Math.floor(maxDifferences) } : {}),
  };
  return { options, json: values.json ?? false, ...(values.output ? { output: values.output } : {}) };
}

export function differenceLines(report: ValidationReport): string[] {
  return report.differences.map(renderDifference).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export function exitCodeFor(report: ValidationReport): number {
  return report.result === 'identical' ? 0 : report.result === 'different' ? 1 : 2;
}

export async function runValidate(argv: string[], io: ValidateIO = process): Promise<number> {
  let parsed: Parsed | 'help';
  try {
    parsed = parseValidateArgs(argv);
  } catch (err) {
    io.stderr.write(`tenantshift validate: ${(err as Error).message}\n\n${usage()}`);
    return 2;
  }
  if (parsed === 'help') {
    io.stdout.write(usage());
    return 0;
  }
  const { options } = parsed;
  const secrets = [options.source.password, options.target.password];
  const abort = new AbortController();
  const onSignal = (): void => abort.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const report = await validateSchemas({ ...options, signal: abort.signal });
    if (parsed.output) writeFileSync(parsed.output, `${JSON.stringify(report, null, 2)}\n`);
    if (parsed.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else for (const line of differenceLines(report)) io.stdout.write(`${line}\n`);
    for (const line of renderUnsettled(report)) io.stderr.write(`${line}\n`);
    io.stderr.write(`tenantshift validate: ${summaryLine(report)}\n`);
    return exitCodeFor(report);
  } catch (err) {
    io.stderr.write(`tenantshift validate: could not compare: ${redact((err as Error).message, secrets)}\n`);
    return 2;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
