// The operator's winston logger: one JSON object per line on stdout. Messages start with a capital
// letter and have no period; context goes in fields (a child logger per reconcile carries the object).
import winston from 'winston';

export type Logger = winston.Logger;

export { LOG_LEVELS, type LogLevel } from './levels.js';
import type { LogLevel } from './levels.js';

export interface LoggerOptions {
  level?: LogLevel;
  /** Fields on every line, e.g. { identity }. */
  fields?: Record<string, unknown>;
  /** Where lines go; defaults to stdout. Tests pass their own. */
  transports?: winston.transport[];
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  return winston.createLogger({
    level: opts.level ?? 'info',
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    defaultMeta: opts.fields ?? {},
    transports: opts.transports ?? [new winston.transports.Console()],
  });
}

/** A logger that drops everything: for components under test that do not care about logs. */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}
