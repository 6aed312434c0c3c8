// The route agent beside one PgBouncer: serves its pool's TenantCutovers' routes (status.route, by revision), PAUSEs/flips/RESUMEs
// on the operator's request over HTTP, resumes by itself when a pause outlives its deadline, and announces itself with a Lease.
import type { Server } from 'node:http';
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { RoutingLog } from './heartbeat.js';
import { errorFields } from '../errors.js';
import { failpoint } from '../failpoint.js';
import { AgentHeartbeat } from './heartbeat.js';
import { ownersOf, type CutoverItem, type DatabaseOwner } from './owners.js';
import { bounded, readRecordedRoute } from './recorded.js';
import { RetainedRoutes } from './retained.js';
import { agentServer, type AgentOperations, type Reply } from './agent-http.js';
import { PgBouncerAdmin, RoutesFile, type Route } from './pgbouncer.js';
import { routeProblem } from '../api/routecheck.js';
import type { AgentStatus, FlipRequest, PauseRequest, ResumeRequest, RoutedRoute } from './protocol.js';

/** Admin connections kept open: a PAUSE in progress and the RESUME that may overtake it each hold one. */
const ADMIN_CONNECTIONS_KEPT = 2;

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
  /** PgBouncer's admin console; tests pass one that delays commands. */
  admin?: PgBouncerAdmin;
  /** How the dead-man reads a TenantCutover's recorded route (readRecordedRoute); tests pass one they hold. */
  readRecorded?: (owner: { namespace: string; name: string }) => Promise<RoutedRoute | undefined>;
}

interface PauseState {
  moveId: string;
  timer: NodeJS.Timeout;
  expired: boolean;
}

export class RouteAgent implements AgentOperations {
  private readonly admin: PgBouncerAdmin;
  private readonly routes = new Map<string, RoutedRoute>();
  private readonly pauses = new Map<string, PauseState>();
  /** database -> a RESUME on its way (the dead-man's, or the release of an unowned pause). */
  private readonly resuming = new Map<string, Promise<void>>();
  /** database -> its one owner (a TenantCutover or a retained route), from the last convergence. */
  private owners = new Map<string, DatabaseOwner>();
  private readonly retained: RetainedRoutes;
  /** database -> the route its TenantCutover published at the last convergence (paused or not). */
  private readonly recorded = new Map<string, RoutedRoute>();
  private server: Server | undefined;
  private heartbeat: AgentHeartbeat | undefined;
  private convergeTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Serializes file writes and RELOADs: a flip never interleaves with a converge pass. */
  private writing: Promise<void> = Promise.resolve();
  private readonly routesFile: RoutesFile;

  constructor(private readonly opts: RouteAgentOptions) {
    this.admin = opts.admin ?? new PgBouncerAdmin(opts.adminUrl, { keep: ADMIN_CONNECTIONS_KEPT });
    this.routesFile = new RoutesFile(opts.routesFile, this.admin);
    this.retained = new RetainedRoutes(opts.kc, opts.leaseNamespace);
  }

  async start(): Promise<number> {
    this.server = agentServer(this, this.opts.token, this.opts.log);
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
    await this.admin.close();
  }

  private scheduleConverge(): void {
    if (this.stopped) return;
    this.convergeTimer = setTimeout(() => {
      void this.converge()
        .catch((err: unknown) => this.opts.log.warn('Route convergence failed; retrying', errorFields(err)))
        .finally(() => this.scheduleConverge());
    }, this.opts.convergeIntervalMs ?? 2000);
  }

  /**
   * Level-triggered: the route each database's one owner publishes (its TenantCutover's status.route,
   * or the route retained for a deleted one). Databases nobody names any more keep their last route.
   */
  async converge(): Promise<void> {
    const api = this.opts.kc.makeApiClient(CustomObjectsApi);
    // Bounded (10 s): a hung API request must not stop convergence, and the release of unowned pauses, for good.
    const list = (await bounded(
      api.listClusterCustomObject({ group: 'tenantshift.io', version: 'v1alpha1', plural: 'tenantcutovers' }),
      10_000,
    )) as { items: CutoverItem[] };
    const retained = await bounded(this.retained.list(this.opts.pool), 10_000).catch((err: unknown) => {
      // Without them a route kept for a deleted TenantCutover is not served after a restart: said, not fatal.
      this.opts.log.warn('Could not list the retained routes (ConfigMaps in the agents’ namespace)', errorFields(err));
      return [];
    });
    this.owners = ownersOf(this.opts.pool, list.items, retained);
    for (const [database, owner] of this.owners) {
      const route = owner.route;
      const refused = route && routeProblem(route, `status.route of ${owner.description}`);
      if (!route || refused) {
        if (refused) this.opts.log.warn('Route refused: not written to PgBouncer', { database, problem: refused });
        continue;
      }
      this.recorded.set(database, route);
      if (this.pauses.has(database)) continue; // a move owns it right now
      const current = this.routes.get(database);
      if (current && current.revision >= route.revision) continue;
      this.routes.set(database, route);
    }
    // Every pass: a no-op when PgBouncer already serves these routes, a retry after a RELOAD that failed.
    await this.apply();
    await this.releaseUnownedPauses();
  }

  private apply(): Promise<void> {
    const next = this.writing.then(async () => {
      const plain: Record<string, Route> = {};
      for (const [db, r] of this.routes) plain[db] = { host: r.host, port: r.port, dbname: r.dbname };
      await this.routesFile.apply(plain);
    });
    this.writing = next.catch(() => undefined);
    return next;
  }

  async pause(req: PauseRequest): Promise<Reply> {
    const db = req.database;
    const existing = this.pauses.get(db);
    if (existing && existing.moveId === req.moveId && !existing.expired) return { status: 200, body: { paused: true } };
    if (existing) clearTimeout(existing.timer);
    const state: PauseState = {
      moveId: req.moveId,
      expired: false,
      timer: setTimeout(() => this.expire(db, state), Math.max(0, req.deadlineInMs)),
    };
    this.pauses.set(db, state);
    // A RESUME of this database still on its way (the dead-man's, a release) lands before our PAUSE.
    await this.resuming.get(db);
    let failure: Error | undefined;
    await this.admin.pause(db).catch((err: Error) => (failure = err));
    if (this.pauses.get(db) !== state) return this.withdrawn(db, state);
    if (!failure) failpoint('AgentPaused');
    if (failure) {
      clearTimeout(state.timer);
      this.pauses.delete(db);
      await this.admin.resume(db).catch(() => undefined);
      return { status: 502, body: { paused: false, error: failure.message } };
    }
    return { status: 200, body: { paused: true } };
  }

  /**
   * The pause was withdrawn while its PAUSE was on its way (a resume, a flip, its deadline, a newer
   * pause): the RESUME that withdrew it may have reached PgBouncer first, which would leave the
   * database paused with nobody to resume it. Unless a newer pause owns it, it is resumed again, after
   * the dead-man (which puts the recorded route in place first) is done.
   */
  private async withdrawn(db: string, state: PauseState): Promise<Reply> {
    await this.resuming.get(db);
    if (!this.pauses.has(db))
      await this.admin.resume(db).catch((err: Error) => this.opts.log.error('Resume failed', { database: db, error: err.message }));
    const error = state.expired
      ? 'the deadline passed before the pause completed'
      : 'the pause was withdrawn (resumed, flipped or replaced) before PgBouncer confirmed it';
    return { status: 409, body: { paused: false, error } };
  }

  private expire(db: string, state: PauseState): void {
    state.expired = true;
    if (this.pauses.get(db) === state) this.pauses.delete(db);
    this.track(db, this.deadManResume(db, state.moveId));
  }

  /** A RESUME in progress for `db`: a pause that starts meanwhile waits for it (see pause()). */
  private track(db: string, work: Promise<unknown>): void {
    const done: Promise<void> = work
      .then(
        () => undefined,
        (err: Error) => this.opts.log.error('Resume failed', { database: db, error: err.message }),
      )
      .finally(() => {
        if (this.resuming.get(db) === done) this.resuming.delete(db);
      });
    this.resuming.set(db, done);
  }

  /**
   * Level-triggered like the routes: a database of this pool PgBouncer holds paused with no move
   * owning the pause (a PAUSE that reached it after the RESUME meant to end it, an agent restarted
   * mid-move, a PAUSE by hand) is resumed on the route just converged, as the dead-man would.
   */
  private async releaseUnownedPauses(): Promise<void> {
    const seen = await this.admin.routes();
    for (const [db, r] of Object.entries(seen)) {
      if (!r.paused || !this.routes.has(db) || this.pauses.has(db) || this.resuming.has(db)) continue;
      this.opts.log.warn('PgBouncer held a database paused that no move owns: resuming it on its recorded route', {
        database: db,
        side: this.routes.get(db)?.side,
      });
      this.track(db, this.admin.resume(db));
    }
  }

  /**
   * The dead-man: whoever paused us is gone or too slow. Clients get the route the TenantCutover
   * recorded: the unchanged one, unless the operator had already recorded the flip (its point of no
   * return) before dying, in which case sending clients back to the source would split the tenant.
   * The read is bounded (RECORDED_ROUTE_READ_MS); without an answer the last route convergence saw
   * stands in. A side given up is revoked before a flip is recorded: resumed on it, writes fail, never split.
   */
  private async deadManResume(database: string, moveId: string): Promise<void> {
    const owner = this.owners.get(database)?.cutover;
    let recorded = this.recorded.get(database);
    if (owner) {
      try {
        recorded = (await (this.opts.readRecorded ?? ((o) => readRecordedRoute(this.opts.kc, o)))(owner)) ?? recorded;
      } catch (err) {
        const fields = { database, moveId, ...errorFields(err) };
        this.opts.log.error('Could not read the recorded route at the pause deadline; resuming on the last route seen', fields);
      }
    }
    const current = this.routes.get(database);
    const newer = recorded && (!current || recorded.revision > current.revision) ? recorded : undefined;
    if (newer) this.routes.set(database, newer);
    // Also when convergence took the recorded route first: its RELOAD may still be on its way, and a
    // RESUME ahead of it releases clients onto the old route (a server connection that RELOAD then
    // closes while it logs in leaves its client waiting). apply() waits for a write in progress and
    // changes nothing when PgBouncer already serves the file.
    await this.apply().catch((err: unknown) =>
      this.opts.log.error('Could not apply the recorded route', { database, ...errorFields(err) }),
    );
    if (newer) {
      const fields = { database, moveId, side: newer.side };
      this.opts.log.warn('Pause deadline passed after the flip was recorded: resuming on the recorded route', fields);
    }
    this.opts.log.warn('Pause deadline passed without flip or resume: resumed', { database, moveId });
    await this.admin
      .resume(database)
      .catch((err: Error) => this.opts.log.error('Resume after deadline failed', { database, error: err.message }));
  }

  async flip(req: FlipRequest): Promise<Reply> {
    const p = this.pauses.get(req.database);
    if (p && p.moveId !== req.moveId) return { status: 409, body: { error: `database paused by another move (${p.moveId})` } };
    // A flip after the pause expired is taken: it is only ever sent once the route is recorded, and the
    // side given up was revoked before that, so the new route is right whenever it arrives.
    const current = this.routes.get(req.database);
    if (!current || current.revision <= req.route.revision) this.routes.set(req.database, req.route);
    await this.apply();
    failpoint('AgentFlipped');
    if (p) clearTimeout(p.timer);
    this.pauses.delete(req.database);
    await this.admin.resume(req.database);
    return { status: 200, body: { applied: req.route } };
  }

  async resume(req: ResumeRequest): Promise<Reply> {
    const p = this.pauses.get(req.database);
    // A late resume of an older move (a deposed operator's) must not release a newer move's pause.
    if (p && req.moveId && p.moveId !== req.moveId)
      return { status: 409, body: { error: `database paused by another move (${p.moveId})` } };
    if (p) clearTimeout(p.timer);
    this.pauses.delete(req.database);
    await this.admin.resume(req.database);
    return { status: 200, body: { resumed: true } };
  }

  async status(): Promise<{ status: number; body: AgentStatus }> {
    return {
      status: 200,
      body: {
        identity: this.opts.identity,
        pool: this.opts.pool,
        routes: Object.fromEntries(this.routes),
        owners: Object.fromEntries([...this.owners].map(([db, o]) => [db, o.description])),
        paused: [...this.pauses.keys()],
        poolModes: await this.admin.poolModes(),
      },
    };
  }
}
