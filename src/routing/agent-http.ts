// The route agent's HTTP surface: bearer-token check, JSON bodies, and the four endpoints mapped
// onto the agent's operations (the operator's routing client is the only caller besides probes).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { RoutingLog } from './heartbeat.js';
import { databaseNameProblem, routeProblem } from '../api/routecheck.js';
import { MAX_PAUSE_DEADLINE_MS, type AgentStatus, type FlipRequest, type PauseRequest, type ResumeRequest } from './protocol.js';

export interface Reply {
  status: number;
  body: unknown;
}

export interface AgentOperations {
  status(): Promise<{ status: number; body: AgentStatus }>;
  pause(req: PauseRequest): Promise<Reply>;
  flip(req: FlipRequest): Promise<Reply>;
  resume(req: ResumeRequest): Promise<Reply>;
}

export function agentServer(ops: AgentOperations, token: string, log: RoutingLog): Server {
  return createServer((req, res) => void handle(ops, token, log, req, res));
}

async function handle(ops: AgentOperations, token: string, log: RoutingLog, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const send = (status: number, body: unknown): void => {
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  };
  if (req.url === '/healthz') return send(200, { ok: true });
  if (!authorized(req, token)) return send(401, { error: 'missing or wrong bearer token' });
  try {
    const body = req.method === 'POST' ? JSON.parse(await readBody(req)) : undefined;
    const refused = req.method === 'POST' ? requestProblem(req.url, body) : undefined;
    if (refused) {
      log.warn('Route agent request refused', { url: req.url, problem: refused });
      return send(400, { error: refused });
    }
    const out = await dispatch(ops, `${req.method} ${req.url}`, body);
    send(out.status, out.body);
  } catch (err) {
    if (err instanceof BodyTooLarge || err instanceof SyntaxError) return refuseBody(log, req, res, err);
    log.error('Route agent request failed', { url: req.url, error: (err as Error).message });
    send(500, { error: (err as Error).message });
  }
}

function dispatch(ops: AgentOperations, call: string, body: unknown): Promise<Reply> {
  switch (call) {
    case 'GET /v1/status':
      return ops.status();
    case 'POST /v1/pause':
      return ops.pause(body as PauseRequest);
    case 'POST /v1/flip':
      return ops.flip(body as FlipRequest);
    case 'POST /v1/resume':
      return ops.resume(body as ResumeRequest);
    default:
      return Promise.resolve({ status: 404, body: { error: 'unknown endpoint' } });
  }
}

/**
 * Refused before anything is done: a database or route PgBouncer would misread, a pause deadline
 * past the largest write-pause budget (it would hold a PgBouncer paused that long with nobody able to
 * shorten it), a pause or flip that names no move (it could not be told from another move's).
 */
export function requestProblem(url: string | undefined, body: unknown): string | undefined {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const moveRequired = url === '/v1/pause' || url === '/v1/flip';
  return (
    databaseNameProblem(b.database, 'database') ??
    (moveRequired || b.moveId !== undefined ? moveIdProblem(b.moveId) : undefined) ??
    (url === '/v1/pause' ? deadlineProblem(b.deadlineInMs) : undefined) ??
    (url === '/v1/flip' ? routeProblem(b.route, 'route') : undefined)
  );
}

function moveIdProblem(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_MOVE_ID
    ? undefined
    : `moveId must be a string of 1 to ${MAX_MOVE_ID} characters`;
}

function deadlineProblem(v: unknown): string | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= MAX_PAUSE_DEADLINE_MS
    ? undefined
    : `deadlineInMs must be an integer from 1 to ${MAX_PAUSE_DEADLINE_MS} (the largest spec.maxWritePause)`;
}

const MAX_MOVE_ID = 128;
const MAX_BODY_BYTES = 64 * 1024;

/** A body over MAX_BODY_BYTES: answered 413, its connection closed, nothing more read. */
class BodyTooLarge extends Error {}

function refuseBody(log: RoutingLog, req: IncomingMessage, res: ServerResponse, err: Error): void {
  const tooLarge = err instanceof BodyTooLarge;
  const problem = tooLarge ? err.message : 'the body is not JSON';
  log.warn('Route agent request refused', { url: req.url, problem });
  const headers = { 'Content-Type': 'application/json', ...(tooLarge ? { Connection: 'close' } : {}) };
  res.writeHead(tooLarge ? 413 : 400, headers).end(JSON.stringify({ error: problem }), () => (tooLarge ? req.destroy() : undefined));
}

function authorized(req: IncomingMessage, token: string): boolean {
  const got = Buffer.from(req.headers.authorization ?? '');
  const want = Buffer.from(`Bearer ${token}`);
  return got.length === want.length && timingSafeEqual(got, want);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        req.pause();
        reject(new BodyTooLarge(`request body over ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
