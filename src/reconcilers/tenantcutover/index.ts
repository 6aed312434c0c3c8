// TenantCutover: owns a tenant's PgBouncer route and moves it, fenced and budgeted. reconcile() reads
// as its steps: replication, route ownership, recovery of an interrupted move, intent, retries,
// preconditions, reverse path, switch.
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { ConditionTypes, setCondition, type ConditionType, type SchemaReplication, type Side, type TenantCutover, type TenantCutoverStatus } from '../../api/index.js';
import { inventory, publishedTables } from '../../postgres/catalog.js';
import { conninfo } from '../../postgres/connection.js';
import { readGrants } from '../../postgres/fence.js';
import { replicationNames } from '../../postgres/names.js';
import { prepareReverse } from '../../postgres/reverse.js';
import type { AgentRef, RoutingPort } from '../../routing/client.js';
import type { RoutedRoute } from '../../routing/protocol.js';
import { openConnection, ObservationError, resolveEndpoints, type Endpoints, type KubeReader } from '../schemareplication/observe.js';
import { backoffAfter, budgetMs, desiredSide, recoveryFor, retryGate } from './plan.js';
import { finishSwitch, switchToTarget } from './switch.js';

export interface CutoverContext {
  kube: KubeReader & { getReplication(namespace: string, name: string): Promise<SchemaReplication | undefined> };
  routing: RoutingPort;
  events: { normal(reason: string, message: string): void; warning(reason: string, message: string): void };
  /** Merges into status on the API now (crash-safe progress); the reconcile's object sees it too. */
  persist(patch: Partial<TenantCutoverStatus>): Promise<void>;
  now(): number;
}

export interface CutoverOutcome {
  status: TenantCutoverStatus;
  requeueAfterMs: number;
}

const STEADY_MS = 30_000;
const WAIT_MS = 5_000;
const SEQUENCE_GAP = 1000;

export async function reconcileTenantCutover(obj: TenantCutover, ctx: CutoverContext): Promise<CutoverOutcome> {
  const ns = obj.metadata.namespace as string;
  const gen = obj.metadata.generation ?? 0;
  let status: TenantCutoverStatus = { ...(obj.status ?? {}) };
  const cond = (type: ConditionType, ok: boolean | 'Unknown', reason: string, message: string): void => {
    status.conditions = setCondition(status.conditions, { type, status: ok === 'Unknown' ? 'Unknown' : ok ? 'True' : 'False', reason, message, observedGeneration: gen }, new Date(ctx.now()));
  };
  const done = (ready: boolean, reason: string, message: string, requeueAfterMs: number, phase?: string): CutoverOutcome => {
    cond(ConditionTypes.Ready, ready, reason, message);
    return { status: { ...status, observedGeneration: gen, ...(phase ? { phase } : {}) }, requeueAfterMs };
  };
  const persist = async (patch: Partial<TenantCutoverStatus>): Promise<void> => {
    status = { ...status, ...patch };
    await ctx.persist(patch);
  };

  // 1. The SchemaReplication whose tenant moves, and both servers.
  const replication = await ctx.kube.getReplication(ns, obj.spec.replicationRef.name);
  if (!replication) return done(false, 'ReferenceNotFound', `SchemaReplication ${obj.spec.replicationRef.name} (spec.replicationRef) does not exist`, WAIT_MS, 'Pending');
  let endpoints: Endpoints;
  try {
    endpoints = await resolveEndpoints(replication, ctx.kube);
  } catch (err) {
    if (err instanceof ObservationError) return done(false, err.reason, err.message, err.retryAfterMs, 'Pending');
    throw err;
  }
  const active: Side = status.activeSide ?? 'source';
  status.activeSide = active;
  const routeFor = (side: Side, revision: number): RoutedRoute => {
    const info = side === 'source' ? endpoints.source : endpoints.target;
    return { side, host: info.host, port: info.port, dbname: info.dbname, revision };
  };

  // 2. The route belongs to this object from the moment it exists.
  if (!status.route) await persist({ route: routeFor(active, 1), activeSide: active });
  const pool = obj.spec.routing.pgbouncer.pool;
  const database = obj.spec.routing.pgbouncer.database;
  const agents = await ctx.routing.agents(pool);
  const ownership = await routeOwnership(ctx.routing, agents, database, status.route as RoutedRoute);
  cond(ConditionTypes.RouteOwned, ownership.ok, ownership.ok ? 'Succeeded' : 'RouteAgentsNotReady', ownership.message);

  let source: pg.Client | undefined;
  let target: pg.Client | undefined;
  try {
    source = await openConnection(endpoints.source, 'source');
    target = await openConnection(endpoints.target, 'target');
    const names = replicationNames(ns, replication.metadata.name as string);
    const reverse = { publication: names.reversePublication, slot: names.reverseSlot, subscription: names.reverseSubscription };
    const schemas = replication.spec.schemas;
    const tables = publishedTables(await inventory(source, schemas));

    // 3. A move a dead operator left half-done: finish it after the route changed, undo it before.
    const recovery = recoveryFor(status);
    if (recovery.kind === 'finishSwitch') {
      await ctx.routing.flip(agents, database, status.moveId ?? 'recovered', status.route as RoutedRoute).catch(() => undefined);
      await finishSwitch({ source, target, tables, reverse, names });
      await persist({ activeSide: 'target', step: undefined, movingTo: undefined, lastSwitchTime: new Date(ctx.now()).toISOString() });
      ctx.events.normal('SwitchFinished', 'Finished a switch interrupted after the route changed: the target serves');
    } else if (recovery.kind === 'abortInterrupted') {
      await ctx.routing.resume(agents, database, status.moveId ?? '').catch(() => undefined);
      const attempts = countedAttempts(obj) + 1;
      await persist(abortPatch(obj, attempts, 'the operator stopped during the freeze; the route agents resumed the source', ctx.now()));
      ctx.events.warning('MoveAborted', 'A move was interrupted by an operator restart during the freeze; the source kept serving');
    }

    // 4. Where should the tenant be?
    const current = status.activeSide ?? 'source';
    const want = desiredSide(obj.spec, current);
    cond(ConditionTypes.ApprovalWithdrawn, current === 'target' && !obj.spec.approved, current === 'target' && !obj.spec.approved ? 'ApprovalWithdrawn' : 'Succeeded',
      current === 'target' && !obj.spec.approved ? 'spec.approved was withdrawn after the switch: nothing moves; set spec.rollback: true to move back' : 'approval matches the side served');
    if (want === current) {
      const serving = current === 'target' ? 'the target serves the tenant; the source is kept current by reverse replication' : obj.spec.approved ? 'the source serves' : 'the source serves; set spec.approved: true to switch';
      return done(ownership.ok, ownership.ok ? 'Succeeded' : 'RouteAgentsNotReady', ownership.ok ? serving : ownership.message, STEADY_MS, current === 'target' ? 'Serving' : obj.spec.approved ? 'Serving' : 'WaitingForApproval');
    }
    if (want === 'source') {
      return done(false, 'RollbackUnavailable', 'spec.rollback: moving back to the source is not available in this version; the target keeps serving', STEADY_MS, 'Serving');
    }

    // 5. Retries after an abort.
    const gate = retryGate(obj, ctx.now());
    if (gate.kind === 'exhausted') {
      cond(ConditionTypes.RetriesExhausted, true, 'RetriesExhausted', `${gate.attempts} attempt(s) aborted: ${status.lastAbortReason ?? ''}; change the spec to try again`);
      return done(false, 'RetriesExhausted', `the move was aborted ${gate.attempts} time(s) (last: ${status.lastAbortReason ?? 'unknown'}); change the spec to try again`, STEADY_MS, 'Aborted');
    }
    if (gate.kind === 'wait') return done(false, 'RetryScheduled', `retrying at ${new Date(gate.untilMs).toISOString()} after: ${status.lastAbortReason ?? ''}`, gate.untilMs - ctx.now(), 'Aborted');

    // 6. Preconditions, each naming what to fix.
    const blocker = await preconditionFailure({ obj, replication, agents, ownership, routing: ctx.routing, database, source });
    if (blocker) {
      cond(ConditionTypes.PreconditionsMet, false, blocker.reason, blocker.message);
      return done(false, blocker.reason, blocker.message, WAIT_MS, 'Pending');
    }
    cond(ConditionTypes.PreconditionsMet, true, 'Succeeded', 'replication Ready, lag under the gate, route agents confirmed, reverse path possible');

    // 7. The reverse path, ready before the freeze.
    await prepareReverse(target, source, reverse, tables, conninfo(endpoints.target));

    // 8. The switch.
    const attempts = countedAttempts(obj) + 1;
    const moveId = `${ctx.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    const result = await switchToTarget({
      moveId,
      tenant: replication.spec.tenant,
      schemas,
      tables,
      database,
      agents,
      routing: ctx.routing,
      source,
      target,
      sourceInfo: endpoints.source,
      names,
      reverse,
      targetRoute: routeFor('target', (status.route?.revision ?? 1) + 1),
      budgetMs: budgetMs(obj),
      sequenceGap: SEQUENCE_GAP,
      savedGrants: await readGrants(source, tables),
      persist,
      now: ctx.now,
    });
    const record = {
      moveId,
      to: 'target' as const,
      startedAt: new Date(result.startedAt).toISOString(),
      finishedAt: new Date(ctx.now()).toISOString(),
      writePauseMilliseconds: result.writePauseMs,
      steps: result.steps,
    };
    if (!result.ok) {
      await persist({ ...abortPatch(obj, attempts, result.reason, ctx.now()), history: [{ ...record, result: 'Aborted', reason: result.reason }, ...(status.history ?? [])].slice(0, 20) });
      ctx.events.warning('MoveAborted', `Switch aborted after ${result.writePauseMs} ms, the source serves again: ${result.reason}`);
      return done(false, 'MoveAborted', `the switch was aborted (attempt ${attempts}): ${result.reason}`, backoffAfter(obj, attempts), 'Aborted');
    }
    await persist({
      activeSide: 'target',
      step: undefined,
      movingTo: undefined,
      writePause: { milliseconds: result.writePauseMs },
      switchLsn: result.switchLsn,
      sequences: result.sequences.slice(0, 5000),
      lastSwitchTime: new Date(ctx.now()).toISOString(),
      attempts: 0,
      nextAttemptAt: undefined,
      history: [{ ...record, result: 'Switched', switchLsn: result.switchLsn }, ...(status.history ?? [])].slice(0, 20),
    });
    cond(ConditionTypes.Switched, true, 'Switched', `switched at source position ${result.switchLsn} with a ${result.writePauseMs} ms write pause`);
    ctx.events.normal('Switched', `Switched to the target with a ${result.writePauseMs} ms write pause (source position ${result.switchLsn}); reverse replication keeps the source current`);
    return done(true, 'Succeeded', 'the target serves the tenant; the source is kept current by reverse replication', STEADY_MS, 'Serving');
  } catch (err) {
    if (err instanceof ObservationError) return done(false, err.reason, err.message, err.retryAfterMs);
    throw err;
  } finally {
    await source?.end().catch(() => undefined);
    await target?.end().catch(() => undefined);
  }
}

function countedAttempts(obj: TenantCutover): number {
  return obj.status?.attemptsGeneration === obj.metadata.generation ? (obj.status?.attempts ?? 0) : 0;
}

function abortPatch(obj: TenantCutover, attempts: number, reason: string, now: number): Partial<TenantCutoverStatus> {
  return {
    step: undefined,
    movingTo: undefined,
    attempts,
    attemptsGeneration: obj.metadata.generation ?? 0,
    lastAbortReason: reason.slice(0, 1000),
    nextAttemptAt: new Date(now + backoffAfter(obj, attempts)).toISOString(),
  };
}

async function routeOwnership(routing: RoutingPort, agents: AgentRef[], database: string, route: RoutedRoute): Promise<{ ok: boolean; message: string }> {
  if (agents.length === 0) return { ok: false, message: 'no live route agent for this pool: start `tenantshift route-agent` beside each PgBouncer' };
  const statuses = await routing.status(agents).catch((err: Error) => err);
  if (statuses instanceof Error) return { ok: false, message: `route agents did not answer: ${statuses.message}` };
  const behind = statuses.filter((s) => (s.routes[database]?.revision ?? 0) < route.revision).map((s) => s.identity);
  if (behind.length > 0) return { ok: false, message: `route agent(s) ${behind.join(', ')} have not applied route revision ${route.revision} yet` };
  return { ok: true, message: `${agents.length} route agent(s) serve ${database} -> ${route.side} (${route.host}:${route.port}/${route.dbname})` };
}

async function preconditionFailure(input: {
  obj: TenantCutover;
  replication: SchemaReplication;
  agents: AgentRef[];
  ownership: { ok: boolean; message: string };
  routing: RoutingPort;
  database: string;
  source: pg.Client;
}): Promise<{ reason: string; message: string } | undefined> {
  const rs = input.replication.status;
  const ready = rs?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True') return { reason: 'ReplicationNotReady', message: `SchemaReplication ${input.replication.metadata.name} is not Ready: ${ready?.message ?? 'no status yet'}` };
  if (rs?.conditions?.some((c) => c.type === ConditionTypes.SchemaDrift && c.status === 'True')) return { reason: 'SchemaDrift', message: 'the source schema differs from the target; the SchemaReplication must match first' };
  const gate = input.obj.spec.maxLagBytes;
  if (gate !== undefined && (rs?.lag?.bytes ?? 0) > gate) return { reason: 'LagAboveGate', message: `replication lag ${rs?.lag?.bytes} bytes is above spec.maxLagBytes ${gate}` };
  if (!input.ownership.ok) return { reason: 'RouteAgentsNotReady', message: input.ownership.message };
  const modes = await input.routing.status(input.agents);
  const session = modes.filter((m) => (m.poolModes[input.database] ?? 'session') !== 'transaction');
  if (session.length > 0) {
    return { reason: 'SessionPooling', message: `PgBouncer database ${input.database} runs in ${session[0]?.poolModes[input.database] ?? 'session'} pooling at ${session.map((s) => s.identity).join(', ')}: PAUSE would wait for clients to disconnect; use pool_mode=transaction` };
  }
  const su = await input.source.query<{ su: boolean }>('SELECT rolsuper AS su FROM pg_roles WHERE rolname = current_user');
  if (!su.rows[0]?.su) return { reason: 'ReverseReplicationNeedsSuperuser', message: 'the source role cannot create the reverse subscription (superuser needed on PostgreSQL 15): no switch without a way back' };
  return undefined;
}
