// The route agent beside one PgBouncer: serves the routes of its pool's TenantCutovers (their
// status.route, by revision), PAUSEs/flips/RESUMEs on the operator's request over HTTP, resumes the
// unchanged route by itself when a pause outlives its deadline, and announces itself with a Lease.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { RoutingLog } from './heartbeat.js';
import { errorFields } from '../errors.js';
import { AgentHeartbeat } from './heartbeat.js';
import { PgBouncerAdmin, renderRoutes, writeRoutesFile, type Route } from './pgbouncer.js';
import type { AgentStatus, FlipRequest, PauseRequest, ResumeRequest, RoutedRoute } from './protocol.js';

export interface RouteAgentOptions {
  kc: KubeConfig;
  log: RoutingLog;
  pool: string;
  identity: string;
  adminUrl: string;
  routesFile: string;
  token: string;
  listenHost: string;
  listenPort: number;
  /** The address the operator reaches this agent at (announced in the heartbeat Lease). */
  advertiseUrl?: string;
  leaseNamespace: string;
  convergeIntervalMs?: number;
}

interface PauseState {
  moveId: string;
  timer: NodeJS.Timeout;
  expired: boolean;
}

export class RouteAgent {
  private readonly admin: PgBouncerAdmin;
  private readonly routes = new Map<string, RoutedRoute>();
  private readonly pauses = new Map<string, PauseState>();
  /** database -> the TenantCutover that owns it, from the last convergence. */
  private readonly owners = new Map<string, { namespace: string; name: string }>();
  private server: Server | undefined;
  private heartbeat: AgentHeartbeat | undefined;
  private convergeTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Serializes file writes and RELOADs: a flip never interleaves with a converge pass. */
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly opts: RouteAgentOptions) {
    this.admin = new PgBouncerAdmin(opts.adminUrl);
  }

  async start(): Promise<number> {
    this.server = createServer((req, res) => void this.handle(req, res));
    const port = await new Promise<number>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(this.opts.listenPort, this.opts.listenHost, () => {
        const a = this.server?.address();
        resolve(typeof a === 'object' && a ? a.port : this.opts.listenPort);
      });
    });
    // The API may still be warming up (a fresh CRD answers 429 for a moment): the loop retries.
    await this.converge().catch((err: unknown) => this.opts.log.warn('First route convergence failed; retrying', errorFields(err)));
    this.heartbeat = new AgentHeartbeat({
      kc: this.opts.kc,
      log: this.opts.log,
      namespace: this.opts.leaseNamespace,
      pool: this.opts.pool,
      identity: this.opts.identity,
      endpoint: this.opts.advertiseUrl ?? `http://${this.opts.listenHost}:${port}`,
    });
    await this.heartbeat.start();
    this.scheduleConverge();
    this.opts.log.info('Route agent serving', { pool: this.opts.pool, identity: this.opts.identity, port });
    return port;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.convergeTimer);
    for (const [db, p] of this.pauses) {
      clearTimeout(p.timer);
      // Never leave a database paused behind us.
      await this.admin.resume(db).catch(() => undefined);
    }
    this.pauses.clear();
    await this.heartbeat?.stop();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private scheduleConverge(): void {
    if (this.stopped) return;
    this.convergeTimer = setTimeout(() => {
      void this.converge()
        .catch((err: unknown) => this.opts.log.warn('Route convergence failed; retrying', errorFields(err)))
        .finally(() => this.scheduleConverge());
    }, this.opts.convergeIntervalMs ?? 2000);
  }

  /** Level-triggered: the routes every TenantCutover of this pool publishes in status.route. */
  async converge(): Promise<void> {
    const api = this.opts.kc.makeApiClient(CustomObjectsApi);
    const list = (await api.listClusterCustomObject({ group: 'tenantshift.io', version: 'v1alpha1', plural: 'tenantcutovers' })) as {
      items: Array<{
        metadata: { namespace: string; name: string };
        spec: { routing?: { pgbouncer?: { pool?: string; database?: string } } };
        status?: { route?: RoutedRoute };
      }>;
    };
    let changed = false;
    for (const item of list.items) {
      const pgb = item.spec.routing?.pgbouncer;
      const route = item.status?.route;
      if (pgb?.pool !== this.opts.pool || !pgb.database || !route) continue;
      this.owners.set(pgb.database, { namespace: item.metadata.namespace, name: item.metadata.name });
      if (this.pauses.has(pgb.database)) continue; // a move owns it right now
      const current = this.routes.get(pgb.database);
      if (current && current.revision >= route.revision) continue;
      this.routes.set(pgb.database, route);
      changed = true;
    }
    if (changed) await this.apply();
  }

  private apply(): Promise<void> {
    const next = this.writing.then(async () => {
      const plain: Record<string, Route> = {};
      for (const [db, r] of this.routes) plain[db] = { host: r.host, port: r.port, dbname: r.dbname };
      await writeRoutesFile(this.opts.routesFile, renderRoutes(plain));
      await this.admin.reload();
    });
    this.writing = next.catch(() => undefined);
    return next;
  }

  private async pause(req: PauseRequest): Promise<{ status: number; body: unknown }> {
    const existing = this.pauses.get(req.database);
    if (existing && existing.moveId === req.moveId && !existing.expired) return { status: 200, body: { paused: true } };
    if (existing) clearTimeout(existing.timer);
    const state: PauseState = {
      moveId: req.moveId,
      expired: false,
      timer: setTimeout(
        () => {
          state.expired = true;
          this.pauses.delete(req.database);
          void this.deadManResume(req.database, req.moveId);
        },
        Math.max(0, req.deadlineInMs),
      ),
    };
    this.pauses.set(req.database, state);
    try {
      await this.admin.pause(req.database);
    } catch (err) {
      if (state.expired) return { status: 409, body: { paused: false, error: 'the deadline passed before the pause completed' } };
      clearTimeout(state.timer);
      this.pauses.delete(req.database);
      await this.admin.resume(req.database).catch(() => undefined);
      return { status: 502, body: { paused: false, error: (err as Error).message } };
    }
    if (state.expired) return { status: 409, body: { paused: false, error: 'the deadline passed before the pause completed' } };
    return { status: 200, body: { paused: true } };
  }

  /**
   * The dead-man: whoever paused us is gone or too slow. Clients get the route the TenantCutover
   * recorded: the unchanged one, unless the operator had already recorded the flip (its point of no
   * return) before dying, in which case sending clients back to the source would split the tenant.
   */
  private async deadManResume(database: string, moveId: string): Promise<void> {
    try {
      const owner = this.owners.get(database);
      if (owner) {
        const api = this.opts.kc.makeApiClient(CustomObjectsApi);
        const obj = (await api.getNamespacedCustomObject({
          group: 'tenantshift.io',
          version: 'v1alpha1',
          plural: 'tenantcutovers',
          ...owner,
        })) as { status?: { route?: RoutedRoute } };
        const recorded = obj.status?.route;
        const current = this.routes.get(database);
        if (recorded && (!current || recorded.revision > current.revision)) {
          this.routes.set(database, recorded);
          await this.apply();
          this.opts.log.warn('Pause deadline passed after the flip was recorded: resuming on the recorded route', {
            database,
            moveId,
            side: recorded.side,
          });
        }
      }
    } catch (err) {
      this.opts.log.error('Could not read the recorded route at the pause deadline; resuming the unchanged route', {
        database,
        moveId,
        ...errorFields(err),
      });
    }
    this.opts.log.warn('Pause deadline passed without flip or resume: resumed', { database, moveId });
    await this.admin
      .resume(database)
      .catch((err: Error) => this.opts.log.error('Resume after deadline failed', { database, error: err.message }));
  }

  private async flip(req: FlipRequest): Promise<{ status: number; body: unknown }> {
    const p = this.pauses.get(req.database);
    if (p && p.moveId !== req.moveId) return { status: 409, body: { error: `database paused by another move (${p.moveId})` } };
    if (p?.expired) return { status: 409, body: { error: 'the pause already expired and the old route was resumed' } };
    const current = this.routes.get(req.database);
    if (!current || current.revision <= req.route.revision) this.routes.set(req.database, req.route);
    await this.apply();
    if (p) clearTimeout(p.timer);
    this.pauses.delete(req.database);
    await this.admin.resume(req.database);
    return { status: 200, body: { applied: req.route } };
  }

  private async resume(req: ResumeRequest): Promise<{ status: number; body: unknown }> {
    const p = this.pauses.get(req.database);
    if (p) clearTimeout(p.timer);
    this.pauses.delete(req.database);
    await this.admin.resume(req.database);
    return { status: 200, body: { resumed: true } };
  }

  private async status(): Promise<{ status: number; body: AgentStatus }> {
    return {
      status: 200,
      body: {
        identity: this.opts.identity,
        pool: this.opts.pool,
        routes: Object.fromEntries(this.routes),
        paused: [...this.pauses.keys()],
        poolModes: await this.admin.poolModes(),
      },
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.url === '/healthz') return send(200, { ok: true });
    if (!this.authorized(req)) return send(401, { error: 'missing or wrong bearer token' });
    try {
      const body = req.method === 'POST' ? JSON.parse(await readBody(req)) : undefined;
      let out: { status: number; body: unknown };
      if (req.method === 'GET' && req.url === '/v1/status') out = await this.status();
      else if (req.method === 'POST' && req.url === '/v1/pause') out = await this.pause(body as PauseRequest);
      else if (req.method === 'POST' && req.url === '/v1/flip') out = await this.flip(body as FlipRequest);
      else if (req.method === 'POST' && req.url === '/v1/resume') out = await this.resume(body as ResumeRequest);
      else out = { status: 404, body: { error: 'unknown endpoint' } };
      send(out.status, out.body);
    } catch (err) {
      this.opts.log.error('Route agent request failed', { url: req.url, error: (err as Error).message });
      send(500, { error: (err as Error).message });
    }
  }

  private authorized(req: IncomingMessage): boolean {
    const got = Buffer.from(req.headers.authorization ?? '');
    const want = Buffer.from(`Bearer ${this.opts.token}`);
    return got.length === want.length && timingSafeEqual(got, want);
  }
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
