// The faults of the torture test, on its own stack: two operator processes contending for the lease
// (either may lead), the route agents, both PgBouncer replicas, both PostgreSQL servers and the
// kube-apiserver. Each fault is done and undone here (the process killed comes back, as a
// Deployment or systemd would bring it back), so the move under test must get through it.
import { CoordinationV1Api } from '@kubernetes/client-node';
import { isAlive } from '../../src/devstack/process.js';
import { killRouteAgent, restartDaemon, restartRouteAgent } from '../../src/devstack/stack.js';
import { bouncerNames } from '../../src/devstack/state.js';
import { waitForApi } from '../integration/runtime/helpers.js';
import { withConnection } from '../support/databases.js';
import { stopProcess, until, type OperatorProcess } from '../support/operator.js';
import type { TenantFixture } from '../support/tenant.js';
import type { Fault } from './draw.js';

const IDENTITIES = ['torture-a', 'torture-b'] as const;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The two operator processes of the campaign; a stopped one is started again by `ensure`. */
export class Operators {
  private readonly running = new Map<string, OperatorProcess>();

  constructor(private readonly t: TenantFixture) {}

  async ensure(extraEnv: Record<string, string> = {}): Promise<void> {
    for (const identity of IDENTITIES) {
      const p = this.running.get(identity);
      if (p && p.child.exitCode === null && p.child.signalCode === null) continue;
      this.running.set(identity, await this.t.startOperator(identity, extraEnv));
    }
  }

  async stop(identity: string, signal: NodeJS.Signals): Promise<void> {
    await stopProcess(this.running.get(identity), signal);
  }

  async stopAll(): Promise<void> {
    for (const identity of IDENTITIES) await this.stop(identity, 'SIGKILL');
  }

  /** Only `identity` runs, with a failpoint set (the other would take the move over before it is reached). */
  async only(identity: string, extraEnv: Record<string, string>): Promise<OperatorProcess> {
    await this.stopAll();
    const p = await this.t.startOperator(identity, extraEnv);
    this.running.set(identity, p);
    return p;
  }

  /** The identity holding the leader Lease, if the API answers. */
  async leader(): Promise<string | undefined> {
    const coord = this.t.cluster.kc.makeApiClient(CoordinationV1Api);
    const lease = await coord.readNamespacedLease({ name: 'tenantshift-operator', namespace: this.t.ns }).catch(() => undefined);
    return lease?.spec?.holderIdentity ?? undefined;
  }
}

export interface FaultContext {
  t: TenantFixture;
  operators: Operators;
}

/**
 * The timed faults of a move, each at its moment after the move was asked for, one after the other
 * (one that is still being undone at the next one's moment delays it): each is done and undone (a
 * move that settled sooner meets it in its steady state, which must hold as well). Returns what happened.
 */
export async function runFaults(faults: Fault[], ctx: FaultContext): Promise<string> {
  const started = Date.now();
  const timed = faults.filter((f): f is Extract<Fault, { atMs: number }> => 'atMs' in f).sort((a, b) => a.atMs - b.atMs);
  const notes: string[] = [];
  for (const fault of timed) {
    await sleep(Math.max(0, started + fault.atMs - Date.now()));
    notes.push(await runFault(fault, ctx));
  }
  return notes.join('; ');
}

async function runFault(fault: Extract<Fault, { atMs: number }>, ctx: FaultContext): Promise<string> {
  const stateDir = ctx.t.cluster.stateDir;
  switch (fault.kind) {
    case 'operator-kill':
    case 'leadership-change': {
      const leader = (await ctx.operators.leader()) ?? IDENTITIES[0];
      await ctx.operators.stop(leader, fault.kind === 'operator-kill' ? 'SIGKILL' : 'SIGTERM');
      if (fault.kind === 'operator-kill') await sleep(fault.downMs);
      await ctx.operators.ensure();
      return `${fault.kind === 'operator-kill' ? 'killed' : 'stopped'} the leader ${leader}`;
    }
    case 'agent-kill':
      killRouteAgent(stateDir, fault.replica);
      await sleep(fault.downMs);
      await restartRouteAgent(stateDir, fault.replica);
      return `route agent ${fault.replica} killed and restarted`;
    case 'pgbouncer-restart':
      await restartDaemon(stateDir, bouncerNames(fault.replica).pgbouncer, fault.downMs);
      return `PgBouncer ${fault.replica} restarted`;
    case 'postgres-restart':
      await restartDaemon(stateDir, `postgres-${fault.server}`, fault.downMs, fault.mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
      await serverAnswers(ctx.t, fault.server);
      return `PostgreSQL ${fault.server} restarted (${fault.mode})`;
    case 'apiserver-stop':
      await restartDaemon(stateDir, 'kube-apiserver', fault.downMs);
      await waitForApi(ctx.t.cluster.kc);
      return `kube-apiserver stopped for ${fault.downMs} ms`;
  }
}

async function serverAnswers(t: TenantFixture, side: 'source' | 'target'): Promise<void> {
  await until(
    `PostgreSQL ${side} to take connections again`,
    () => withConnection(t.db[side], async (c) => (await c.query('SELECT 1')).rowCount === 1),
    60_000,
  );
}

/**
 * A route agent started with a failpoint before the move: it dies there, and is started again (without
 * it) 3 s later, as its Deployment would. `finish` stops watching and, if the move never reached the
 * point, starts it without the failpoint so that later moves meet a plain agent.
 */
export class DoomedAgent {
  private died = false;
  private watching = true;
  private readonly watch: Promise<void>;

  private constructor(
    private readonly stateDir: string,
    private readonly fault: Extract<Fault, { kind: 'agent-failpoint' }>,
    pid: number,
  ) {
    this.watch = this.restartWhenDead(pid);
  }

  static async start(stateDir: string, fault: Extract<Fault, { kind: 'agent-failpoint' }>): Promise<DoomedAgent> {
    const pid = await restartRouteAgent(stateDir, fault.replica, { TENANTSHIFT_FAILPOINT: fault.point });
    return new DoomedAgent(stateDir, fault, pid);
  }

  private async restartWhenDead(pid: number): Promise<void> {
    while (this.watching && isAlive(pid)) await sleep(100);
    if (!this.watching) return;
    this.died = true;
    await sleep(3000);
    await restartRouteAgent(this.stateDir, this.fault.replica);
  }

  async finish(): Promise<string> {
    this.watching = false;
    await this.watch;
    if (!this.died) await restartRouteAgent(this.stateDir, this.fault.replica);
    return this.died
      ? `route agent ${this.fault.replica} died at ${this.fault.point} and was restarted`
      : 'agent failpoint not on this move’s path';
  }
}
