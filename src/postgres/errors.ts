// PostgreSQL errors, classified at the adapter: a documented table of the SQLSTATEs the operator
// acts on (as src/aws/errors.ts does for AWS error names), a pure classifier into the operator's
// error codes, and the session opener whose failures are conditions of the world.
import type pg from 'pg';
import { conditionError, OperatorError, type ErrorCode } from '../errors.js';
import { connect, type ConnectionInfo } from './connection.js';

/** The SQLSTATEs the code decides on, by name (PostgreSQL 15, Appendix A). */
export const SqlState = {
  /** 23505: a unique constraint refused a row (a concurrent insert of the same key). */
  uniqueViolation: '23505',
  /** 28000: no pg_hba.conf entry (or an invalid authorization). */
  invalidAuthorization: '28000',
  /** 28P01: wrong password. */
  invalidPassword: '28P01',
  /** 42501: the role lacks a privilege. */
  insufficientPrivilege: '42501',
  /** 42704: the object named does not exist (a role, a type). */
  undefinedObject: '42704',
  /** 42P01: the table does not exist. */
  undefinedTable: '42P01',
  /** 42P06: the schema exists already. */
  duplicateSchema: '42P06',
  /** 42P07: the table (or index) exists already. */
  duplicateTable: '42P07',
  /** 42710: the object (constraint, trigger, policy) exists already. */
  duplicateObject: '42710',
  /** 55006: the object is in use (a replication slot a walsender still holds). */
  objectInUse: '55006',
  /** 55P03: a lock could not be had within lock_timeout. */
  lockNotAvailable: '55P03',
  /** 57014: the statement was cancelled (statement_timeout, or a cancel request). */
  queryCanceled: '57014',
  /** 57P01: the server terminated the session (admin shutdown). */
  adminShutdown: '57P01',
  /** 57P03: the server is starting up or shutting down. */
  cannotConnectNow: '57P03',
  /** 53300: too many connections. */
  tooManyConnections: '53300',
  /** 40001: serialization failure. */
  serializationFailure: '40001',
  /** 40P01: deadlock detected. */
  deadlockDetected: '40P01',
} as const;
export type SqlStateName = keyof typeof SqlState;

/** How each class of failure is retried: authentication and privileges are conditions of the world. */
const CODE_BY_SQLSTATE: Readonly<Record<string, ErrorCode>> = {
  [SqlState.invalidAuthorization]: 'condition',
  [SqlState.invalidPassword]: 'condition',
  [SqlState.insufficientPrivilege]: 'condition',
  [SqlState.lockNotAvailable]: 'transient',
  [SqlState.queryCanceled]: 'transient',
  [SqlState.adminShutdown]: 'transient',
  [SqlState.cannotConnectNow]: 'transient',
  [SqlState.tooManyConnections]: 'throttled',
  [SqlState.serializationFailure]: 'transient',
  [SqlState.deadlockDetected]: 'transient',
  [SqlState.objectInUse]: 'transient',
};

/** The condition reason for a SQLSTATE whose failure is a condition of the world. */
const REASON_BY_SQLSTATE: Readonly<Record<string, string>> = {
  [SqlState.invalidAuthorization]: 'PermissionDenied',
  [SqlState.invalidPassword]: 'PermissionDenied',
  [SqlState.insufficientPrivilege]: 'PermissionDenied',
};

/** What to look for, where the server's own message does not say (the operator sets these limits). */
const HINT_BY_SQLSTATE: Readonly<Record<string, string>> = {
  [SqlState.lockNotAvailable]:
    'the operator waits for a lock no longer than its lock_timeout, so that application writes never queue behind it; ' +
    'a long transaction holds the table: find it in pg_locks / pg_stat_activity; retried with backoff',
  [SqlState.queryCanceled]:
    'the operator ends a statement at its statement_timeout; a long transaction or a stuck server kept it waiting: ' +
    'look at pg_stat_activity on that server; retried with backoff',
};

/** The SQLSTATE of anything node-pg threw, when it has one. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** True when `err` carries one of the named SQLSTATEs. */
export function hasSqlState(err: unknown, ...names: SqlStateName[]): boolean {
  const state = sqlState(err);
  return state !== undefined && names.some((n) => SqlState[n] === state);
}

/** The operator's error code for a PostgreSQL failure; unknown SQLSTATEs are retried with backoff. */
export function codeForSqlState(state: string | undefined): ErrorCode {
  return (state && CODE_BY_SQLSTATE[state]) || 'transient';
}

/** Classifies a PostgreSQL failure, keeping the cause; `context` says what was being done. */
export function classifyPgError(err: unknown, context: string, retryAfterMs = CONNECT_RECHECK_MS): OperatorError {
  if (err instanceof OperatorError) return err;
  const state = sqlState(err);
  const code = codeForSqlState(state);
  const hint = state ? HINT_BY_SQLSTATE[state] : undefined;
  const message = `${context}: ${(err as Error | undefined)?.message ?? String(err)}${hint ? ` (${hint})` : ''}`;
  if (code === 'condition') return conditionError(REASON_BY_SQLSTATE[state as string] ?? 'PermissionDenied', message, retryAfterMs, err);
  return new OperatorError(code, message, { cause: err, ...(state ? { reason: `SQLSTATE${state}` } : {}) });
}

const CONNECT_RECHECK_MS = 15_000;

/**
 * A session for a reconcile. A refused login is PermissionDenied, anything else ConnectionFailed:
 * both conditions of the world, reported and checked again, never fast-retried forever.
 */
export async function openSession(info: ConnectionInfo, side: 'source' | 'target'): Promise<pg.Client> {
  try {
    return await connect(info);
  } catch (err) {
    const what = `cannot connect to the ${side} ${info.host}:${info.port}/${info.dbname} as ${info.user}`;
    const reason = hasSqlState(err, 'invalidPassword', 'invalidAuthorization') ? 'PermissionDenied' : 'ConnectionFailed';
    throw conditionError(reason, `${what}: ${(err as Error).message ?? 'unknown error'}`, CONNECT_RECHECK_MS, err);
  }
}
