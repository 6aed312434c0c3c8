// The operator's winston logger: one JSON object per line on stdout. Messages start with a capital
// letter and have no period; context goes in fields (a child logger per reconcile carries the object).
import winston from 'winston';
import { redact } from '../redact.js';

export type Logger = winston.Logger;

/** Where winston keeps the serialized line (triple-beam's MESSAGE). */
const MESSAGE = Symbol.for('message');

export { LOG_LEVELS, type LogLevel } from './levels.js';
import type { LogLevel } from './levels.js';

export interface LoggerOptions {
  level?: LogLevel;
  /** Fields on every line, e.g. { identity }. */
  fields?: Record<string, unknown>;
  /** Where lines go; defaults to stdout. Tests pass their own. */
  transports?: winston.transport[];
}

/** The serialized line, through the one redaction: no field of any line carries a secret. */
const redactLine = winston.format((info) => {
  const line = info[MESSAGE];
  if (typeof line === 'string') info[MESSAGE] = redact(line);
  return info;
});

export function createLogger(opts: LoggerOptions = {}): Logger {
  return winston.createLogger({
    level: opts.level ?? 'info',
    format: winston.format.combine(winston.format.timestamp(), winston.format.json(), redactLine()),
    defaultMeta: opts.fields ?? {},
    transports: opts.transports ?? [new winston.transports.Console()],
  });
}

/** A logger that drops everything: for components under test that do not care about logs. */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}
