// The route agent against a real PgBouncer of its own and the real kube-apiserver: a pause must
// never outlive the move that owns it, whatever order PAUSE and RESUME reach PgBouncer in.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import type { RouteAgent, RouteAgentOptions } from '../../../src/routing/agent.js';
import { RouteAgentClient, type AgentRef } from '../../../src/routing/client.js';
import { PgBouncerAdmin, renderRoutes, writeRoutesFile } from '../../../src/routing/pgbouncer.js';
import type { RoutedRoute } from '../../../src/routing/protocol.js';
import { scratchBouncer, startScratchAgent, type ScratchBouncer } from '../../support/bouncer.js';
import { CutProxy } from '../../support/cutproxy.js';
import { testCluster, type TestCluster } from '../../support/cluster.js';
import { until } from '../../support/operator.js';

const GROUP = 'tenantshift.io';
const VERSION = 'v1alpha1';
const TOKEN = randomBytes(16).toString('hex');

/** PAUSE reaches PgBouncer late: what a slow connection or a loaded agent does. */
class LatePause extends PgBouncerAdmin {
  constructor(
    url: string,
    private readonly delayMs: number,
  ) {
    super(url);
  }
  override async pause(database: string): Promise<unknown> {
    await new Promise((r) => setTimeout(r, this.delayMs));
    return super.pause(database);
  }
}

/** Counts RELOADs; the first `failures` of them fail (an admin console that dropped the command). */
class CountingReloads extends PgBouncerAdmin {
  count = 0;
  constructor(
    url: string,
    public failures = 0,
  ) {
    super(url);
  }
  override async reload(): Promise<unknown> {
    this.count++;
    if (this.failures-- > 0) throw new Error('RELOAD failed (injected)');
    return super.reload();
  }
}

/** RELOAD waits at a gate once armed: a convergence pass whose RELOAD is still on its way. */
class GatedReload extends PgBouncerAdmin {
  private gate: Promise<void> | undefined;
  private opener: (() => void) | undefined;
  entered = false;
  arm(): void {
    this.gate = new Promise((r) => (this.opener = r));
  }
  release(): void {
    this.opener?.();
    this.gate = undefined;
  }
  override async reload(): Promise<unknown> {
    if (this.gate) {
      this.entered = true;
      await this.gate;
    }
    return super.reload();
  }
}

describe('route agent: pauses against a real PgBouncer', function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  let bouncer: ScratchBouncer;
  let ns: string;
  let pool: string;
  let proxy: CutProxy | undefined;
  const agents: RouteAgent[] = [];
  const ref = { group: GROUP, version: VERSION, plural: 'tenantcutovers', name: 'scratch' };
  const publish = (route: RoutedRoute): Promise<unknown> =>
    cluster.kc
      .makeApiClient(CustomObjectsApi)
      .patchNamespacedCustomObjectStatus(
        { ...ref, namespace: ns, body: { status: { route } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
  const client = (): RouteAgentClient => new RouteAgentClient({ kc: cluster.kc, namespace: ns, token: TOKEN, requestTimeoutMs: 30_000 });

  before(async () => {
    cluster = await testCluster();
    bouncer = await scratchBouncer(cluster.stateDir);
    ns = await cluster.newNamespace('agent');
    pool = `scratch-${randomBytes(3).toString('hex')}`;
    // A TenantCutover of the agent's pool publishing the route (no operator watches this namespace).
    await cluster.kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      ...ref,
      namespace: ns,
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'TenantCutover',
        metadata: { name: 'scratch' },
        spec: { replicationRef: { name: 'scratch' }, routing: { pgbouncer: { pool, database: bouncer.database } } },
      },
    });
  });

  beforeEach(() => publish({ ...bouncer.route, side: 'source', revision: 1 }));

  afterEach(async () => {
    await proxy?.stop();
    proxy = undefined;
    for (const a of agents.splice(0)) await a.stop();
    await writeRoutesFile(bouncer.routesFile, renderRoutes({ [bouncer.database]: bouncer.route }));
    await bouncer.admin.reload();
    await bouncer.admin.resume(bouncer.database);
  });

  after(async () => bouncer?.stop());

  async function startAgent(
    opts: { admin?: PgBouncerAdmin; convergeIntervalMs?: number; kc?: KubeConfig; readRecorded?: RouteAgentOptions['readRecorded'] } = {},
  ): Promise<AgentRef> {
    const { agent, ref } = await startScratchAgent(bouncer, {
      kc: cluster.kc,
      pool,
      identity: `scratch-${agents.length}`,
      token: TOKEN,
      leaseNamespace: ns,
      ...opts,
    });
    agents.push(agent);
    return ref;
  }

  /** Server connections PgBouncer holds for the database (RELOAD closes every one of them, on PgBouncer 1.18). */
  async function serverPorts(): Promise<string> {
    const rows = await bouncer.admin.command<{ database: string; local_port: number }>('SHOW SERVERS');
    return rows
      .filter((r) => r.database === bouncer.database)
      .map((r) => r.local_port)
      .sort()
      .join(',');
  }

  /** One idle server connection in the pool, made by a client through PgBouncer. */
  async function warmServer(): Promise<string> {
    const c = new pg.Client({ ...bouncer.app, database: bouncer.database });
    await c.connect();
    await c.query('SELECT 1');
    await c.end();
    const ports = await serverPorts();
    assert.notEqual(ports, '', 'no server connection after a query through PgBouncer');
    return ports;
  }

  it('never RELOADs PgBouncer for routes it already serves (a retried flip, a restart, a pass)', async () => {
    // A RELOAD closes every server connection of every database of the pool; one caught logging in
    // makes PgBouncer refuse that database's clients for server_login_retry ("server login has been failing").
    const reloads = new CountingReloads(bouncer.adminUrl);
    const first = await startAgent({ admin: reloads, convergeIntervalMs: 100 });
    await new Promise((r) => setTimeout(r, 300)); // its first passes put the file in place
    reloads.count = 0;
    const route: RoutedRoute = { ...bouncer.route, side: 'source', revision: 2 };
    await client().pause([first], bouncer.database, 'move-1', 30_000);
    await client().flip([first], bouncer.database, 'move-1', route);
    await warmServer();
    const afterFlip = await serverPorts();
    await client().flip([first], bouncer.database, 'move-1', route); // the operator's retry
    await agents.pop()?.stop();
    const restarted = new CountingReloads(bouncer.adminUrl);
    await startAgent({ admin: restarted, convergeIntervalMs: 100 });
    await new Promise((r) => setTimeout(r, 500)); // a few convergence passes
    assert.equal(reloads.count + restarted.count, 0, `${reloads.count} + ${restarted.count} RELOAD(s) for routes PgBouncer already served`);
    assert.equal(await serverPorts(), afterFlip, 'PgBouncer reconnected its servers though no route changed');
  });

  it('RELOADs PgBouncer when a route changes, and again after a RELOAD that failed', async () => {
    const reloads = new CountingReloads(bouncer.adminUrl);
    const ref = await startAgent({ admin: reloads, convergeIntervalMs: 100 });
    await new Promise((r) => setTimeout(r, 300));
    reloads.failures = 1;
    await client().pause([ref], bouncer.database, 'move-1', 30_000);
    const moved: RoutedRoute = { ...bouncer.route, dbname: 'postgres', side: 'target', revision: 2 };
    await assert.rejects(client().flip([ref], bouncer.database, 'move-1', moved));
    await publish(moved); // the operator recorded it: convergence takes it from there
    await until(
      'PgBouncer to route to the new dbname',
      async () => (await bouncer.admin.routes())[bouncer.database]?.dbname === 'postgres',
      10_000,
    );
  });

  it('pauses and resumes on request', async () => {
    const ref = await startAgent({ convergeIntervalMs: 3_600_000 });
    await client().pause([ref], bouncer.database, 'move-1', 30_000);
    assert.equal(await bouncer.paused(), true);
    await client().resume([ref], bouncer.database, 'move-1');
    assert.equal(await bouncer.paused(), false);
  });

  it('undoes a PAUSE that reached PgBouncer after the RESUME that withdrew it', async () => {
    const ref = await startAgent({ admin: new LatePause(bouncer.adminUrl, 1500), convergeIntervalMs: 3_600_000 });
    const pausing = client().pause([ref], bouncer.database, 'move-1', 30_000);
    await new Promise((r) => setTimeout(r, 200));
    await client().resume([ref], bouncer.database, 'move-1'); // reaches PgBouncer first: "not paused"
    await assert.rejects(pausing, /withdrawn/);
    assert.equal(await bouncer.paused(), false, 'PgBouncer still holds the database paused after the move withdrew its pause');
  });

  it('undoes a PAUSE that reached PgBouncer after its deadline resumed the database', async () => {
    const ref = await startAgent({ admin: new LatePause(bouncer.adminUrl, 1500), convergeIntervalMs: 3_600_000 });
    // The operator gives up at the deadline too (it does not wait for the agent's answer past it).
    await assert.rejects(client().pause([ref], bouncer.database, 'move-1', 200), /deadline/);
    // The late PAUSE lands 1.5 s after the request: the agent must undo it then.
    await new Promise((r) => setTimeout(r, 2_500));
    assert.equal(await bouncer.paused(), false, 'PgBouncer still holds the database paused after the deadline');
  });

  it('resumes a database PgBouncer holds paused with no move owning it (an agent restarted mid-move)', async () => {
    await bouncer.admin.pause(bouncer.database); // the pause of an agent that died before its deadline
    await startAgent({ convergeIntervalMs: 200 });
    await until('the agent to resume the unowned pause', async () => !(await bouncer.paused()), 10_000);
  });

  it('leaves a pause a move owns in place across convergence passes', async () => {
    const ref = await startAgent({ convergeIntervalMs: 100 });
    await client().pause([ref], bouncer.database, 'move-1', 30_000);
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(await bouncer.paused(), true, 'a convergence pass resumed a pause its move still owns');
  });

  it('resumes at the deadline with the API server cut off, on the last route convergence saw', async () => {
    const server = new URL(cluster.kc.getCurrentCluster()?.server ?? '');
    proxy = await CutProxy.start({ host: server.hostname, port: Number(server.port) });
    const agentRef = await startAgent({ kc: proxy.kubeConfig(cluster.kc), convergeIntervalMs: 200 });
    await client().pause([agentRef], bouncer.database, 'move-1', 3_000);
    // The operator records the flip (its point of no return), convergence sees it, then the API is gone.
    await publish({ ...bouncer.route, dbname: 'postgres', side: 'target', revision: 2 });
    await new Promise((r) => setTimeout(r, 1_200));
    proxy.cut();
    await until('the dead-man to resume with the API server cut off', async () => !(await bouncer.paused()), 20_000);
    const seen = (await bouncer.admin.routes())[bouncer.database];
    assert.equal(seen?.dbname, 'postgres', 'the dead-man resumed the old route although the flip was recorded');
  });

  it('resumes at the deadline only once PgBouncer serves the recorded route, a RELOAD of convergence on its way too', async () => {
    // The race a crash at RouteRecorded opened (a client waited 17 s): the pause ran out, convergence
    // took the recorded route and was RELOADing, and the dead-man, finding that route already taken,
    // RESUMEd at once: PgBouncer released clients onto the old route.
    const admin = new GatedReload(bouncer.adminUrl);
    let askedFor: (() => void) | undefined;
    const asked = new Promise<void>((r) => (askedFor = r));
    let answer: ((route: RoutedRoute) => void) | undefined;
    const readRecorded = (): Promise<RoutedRoute> => {
      askedFor?.();
      return new Promise((r) => (answer = r));
    };
    const agentRef = await startAgent({ admin, convergeIntervalMs: 3_600_000, readRecorded });
    const agent = agents[agents.length - 1] as RouteAgent;
    await agent.converge(); // the owner and its route (revision 1) are known
    await client().pause([agentRef], bouncer.database, 'move-1', 300);
    const recorded: RoutedRoute = { ...bouncer.route, dbname: 'postgres', side: 'target', revision: 2 };
    await publish(recorded);
    await asked; // the deadline passed: the dead-man asks for the recorded route
    admin.arm();
    const pass = agent.converge(); // takes the recorded route; its RELOAD waits at the gate
    await until('convergence to RELOAD', async () => admin.entered, 10_000);
    answer?.(recorded);
    await new Promise((r) => setTimeout(r, 500));
    const during = (await bouncer.admin.routes())[bouncer.database];
    assert.ok(
      during?.paused || during?.dbname === 'postgres',
      `PgBouncer resumed on the route it no longer serves (dbname ${during?.dbname}) while the recorded one was being RELOADed`,
    );
    admin.release();
    await pass;
    await until('the dead-man to resume on the recorded route', async () => !(await bouncer.paused()), 20_000);
    assert.equal((await bouncer.admin.routes())[bouncer.database]?.dbname, 'postgres');
  });
});
