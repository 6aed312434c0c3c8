// The route agent's HTTP surface: bearer-token check, JSON bodies, and the four endpoints mapped
// onto the agent's operations (the operator's routing client is the only caller besides probes).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { RoutingLog } from './heartbeat.js';
import { databaseNameProblem, routeProblem } from '../api/routecheck.js';
import type { AgentStatus, FlipRequest, PauseRequest, ResumeRequest } from './protocol.js';

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
    let out: Reply;
    if (req.method === 'GET' && req.url === '/v1/status') out = await ops.status();
    else if (req.method === 'POST' && req.url === '/v1/pause') out = await ops.pause(body as PauseRequest);
    else if (req.method === 'POST' && req.url === '/v1/flip') out = await ops.flip(body as FlipRequest);
    else if (req.method === 'POST' && req.url === '/v1/resume') out = await ops.resume(body as ResumeRequest);
    else out = { status: 404, body: { error: 'unknown endpoint' } };
    send(out.status, out.body);
  } catch (err) {
    log.error('Route agent request failed', { url: req.url, error: (err as Error).message });
    send(500, { error: (err as Error).message });
  }
}

/** A body naming a database or a route PgBouncer would misread is refused before anything is done. */
function requestProblem(url: string | undefined, body: unknown): string | undefined {
  const b = (typeof body === 'object' && body !== null ? body : {}) as { database?: unknown; route?: unknown };
  return databaseNameProblem(b.database, 'database') ?? (url === '/v1/flip' ? routeProblem(b.route, 'route') : undefined);
}

function authorized(req: IncomingMessage, token: string): boolean {
  const got = Buffer.from(req.headers.authorization ?? '');
  const want = Buffer.from(`Bearer ${token}`);
  return got.length === want.length && timingSafeEqual(got, want);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.on('data', (c: Buffer) => {
      data += c.toString();
      if (data.length > 64 * 1024) reject(new Error('request too large'));
    });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}
