// The one error type of the operator, at the bottom of the import graph (every layer may use it): a
// code from a closed set that decides retry behaviour, and fromUnknown(), which classifies anything
// thrown (Kubernetes ApiException, network errors) and keeps the cause. The adapters classify their
// own failures into it: src/aws/errors.ts (AWS error names), src/postgres/errors.ts (SQLSTATEs).
import { ApiException } from '@kubernetes/client-node';

/**
 * - transient, throttled, conflict, not-found: the same request may succeed soon; retried with backoff.
 * - condition: a condition of the world (a wrong password, a missing privilege, a server down, a Secret
 *   that is not there yet): reported with its reason and re-checked on the slow resync; it clears by
 *   itself once fixed.
 * - terminal: caused by the spec; reported, then left until a new generation.
 */
export const ERROR_CODES = ['transient', 'throttled', 'conflict', 'not-found', 'condition', 'terminal'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** HTTP statuses that mean "the same request may succeed later". Everything else 4xx is terminal. */
const RETRYABLE_HTTP: Readonly<Record<number, ErrorCode>> = {
  401: 'transient', // credentials rotate
  403: 'transient', // RBAC can be fixed without a new generation
  404: 'not-found',
  408: 'transient',
  409: 'conflict',
  410: 'transient', // a stale resourceVersion: read again
  429: 'throttled',
};

/** Node and undici error codes of a connection that failed or dropped. */
export const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

export interface OperatorErrorOptions {
  cause?: unknown;
  /** HTTP status of the failed API call, when there was one. */
  httpStatus?: number;
  /** The CamelCase reason a condition reports (for Kubernetes API errors, the Status reason: AlreadyExists, ...). */
  reason?: string;
  /** When a condition of the world is worth checking again (code `condition`). */
  retryAfterMs?: number;
}

export class OperatorError extends Error {
  readonly code: ErrorCode;
  readonly httpStatus?: number;
  readonly reason?: string;
  readonly retryAfterMs?: number;

  constructor(code: ErrorCode, message: string, opts: OperatorErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'OperatorError';
    this.code = code;
    if (opts.httpStatus !== undefined) this.httpStatus = opts.httpStatus;
    if (opts.reason !== undefined) this.reason = opts.reason;
    if (opts.retryAfterMs !== undefined) this.retryAfterMs = opts.retryAfterMs;
  }

  /** Only terminal errors wait for a new generation; the rest go back to the queue with backoff. */
  get retryable(): boolean {
    return this.code !== 'terminal';
  }

  /** What logs may carry: never the cause, whose ApiException holds response headers. */
  toLogFields(): { error: string; errorCode: ErrorCode; httpStatus?: number; reason?: string } {
    return {
      error: this.message,
      errorCode: this.code,
      ...(this.httpStatus !== undefined ? { httpStatus: this.httpStatus } : {}),
      ...(this.reason !== undefined ? { reason: this.reason } : {}),
    };
  }

  static fromUnknown(e: unknown): OperatorError {
    return fromUnknown(e);
  }
}

/** A condition of the world with the reason its condition reports: re-checked after `retryAfterMs`, never fast-retried. */
export function conditionError(reason: string, message: string, retryAfterMs: number, cause?: unknown): OperatorError {
  return new OperatorError('condition', message, { reason, retryAfterMs, ...(cause !== undefined ? { cause } : {}) });
}

/** True for a condition of the world (conditionError): the reconcilers report it as a condition. */
export function isCondition(e: unknown): e is OperatorError & { reason: string; retryAfterMs: number } {
  return e instanceof OperatorError && e.code === 'condition' && e.reason !== undefined;
}

/** A failure that retrying cannot fix (an invalid spec, a refused request): reported, then left until the spec changes. */
export class TerminalError extends OperatorError {
  constructor(message: string, opts: OperatorErrorOptions = {}) {
    super('terminal', message, opts);
    this.name = 'TerminalError';
  }
}

export function isTerminal(e: unknown): boolean {
  return e instanceof OperatorError && e.code === 'terminal';
}

/** True when `e` is (or classifies as) the given code. */
export function hasCode(e: unknown, code: ErrorCode): boolean {
  return fromUnknown(e).code === code;
}

export function codeForHttpStatus(status: number): ErrorCode {
  const known = RETRYABLE_HTTP[status];
  if (known) return known;
  if (status >= 400 && status < 500) return 'terminal';
  return 'transient';
}

export function fromUnknown(e: unknown): OperatorError {
  if (e instanceof OperatorError) return e;
  if (e instanceof ApiException) {
    const status = parseStatusBody((e as ApiException<unknown>).body);
    const code = codeForHttpStatus(e.code);
    const detail = status.message ?? `HTTP ${e.code}`;
    return new OperatorError(code, `Kubernetes API: ${detail}`, {
      cause: e,
      httpStatus: e.code,
      ...(status.reason ? { reason: status.reason } : {}),
    });
  }
  if (e instanceof Error) {
    const httpStatus = (e as { statusCode?: unknown }).statusCode;
    if (typeof httpStatus === 'number') {
      return new OperatorError(codeForHttpStatus(httpStatus), e.message || `HTTP ${httpStatus}`, { cause: e, httpStatus });
    }
    // client-node 2.x (undici's fetch) throws `TypeError: fetch failed` with the socket error as cause.
    const sysCode = (e as { code?: unknown }).code ?? ((e as { cause?: { code?: unknown } }).cause ?? {}).code;
    if (typeof sysCode === 'string' && NETWORK_CODES.has(sysCode)) {
      return new OperatorError('transient', `Connection failed (${sysCode})`, { cause: e });
    }
    if (e.name === 'AbortError' || e.name === 'TimeoutError') {
      return new OperatorError('transient', 'Request aborted or timed out', { cause: e });
    }
    // Unknown failures are retried with backoff: a wrong "terminal" would strand an object forever.
    return new OperatorError('transient', e.message || e.name, { cause: e });
  }
  return new OperatorError('transient', `Non-error thrown: ${String(e)}`, { cause: e });
}

/** Log fields for anything thrown; never the raw exception. */
export function errorFields(e: unknown): ReturnType<OperatorError['toLogFields']> {
  return fromUnknown(e).toLogFields();
}

/** The `reason` and `message` of a Kubernetes Status body (a JSON string in client-node 1.x). */
/** A Kubernetes read or delete whose 404 means "absent": undefined then, every other error thrown. */
export async function orAbsent<T>(request: Promise<T>): Promise<T | undefined> {
  try {
    return await request;
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

export function parseStatusBody(body: unknown): { reason?: string; message?: string } {
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return {};
    }
  }
  if (!parsed || typeof parsed !== 'object') return {};
  const { reason, message } = parsed as { reason?: unknown; message?: unknown };
  return {
    ...(typeof reason === 'string' && reason ? { reason } : {}),
    ...(typeof message === 'string' && message ? { message } : {}),
  };
}
