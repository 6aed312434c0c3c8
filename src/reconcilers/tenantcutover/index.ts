// TenantCutover: owns a tenant's PgBouncer route and moves it, fenced and budgeted. reconcile() reads
// as its steps: replication, route ownership, recovery of an interrupted move, intent, retries,
// preconditions, reverse path, switch.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import {
  ConditionTypes,
  parseDurationMs,
  setCondition,
  type ConditionType,
  type SchemaReplication,
  type Side,
  type TenantCutover,
  type TenantCutoverStatus,
} from '../../api/index.js';
import { inventory, publishedTables } from '../../postgres/catalog.js';
import { conninfo } from '../../postgres/connection.js';
import { readGrants, revokeWrites, type SavedGrant } from '../../postgres/fence.js';
import { replicationNames } from '../../postgres/names.js';
import { dropSlots } from '../../postgres/replication.js';
import { dropPath, pathState, preparePath, type ReplicationPath } from '../../postgres/reverse.js';
import { sentinelPublicationEntry } from '../../postgres/sentinel.js';
import type { AgentRef, RoutingPort } from '../../routing/client.js';
import type { RoutedRoute } from '../../routing/protocol.js';
import { isCondition } from '../../errors.js';
import { openSession } from '../../postgres/errors.js';
import { resolveEndpoints, type Endpoints, type KubeReader } from '../shared/endpoints.js';
import { backoffAfter, budgetMs, desiredSide, otherSide, recoveryFor, rehearsalDue, retryGate } from './plan.js';
import { finishMove, moveTenant } from './switch.js';

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
    status.conditions = setCondition(
      status.conditions,
      { type, status: ok === 'Unknown' ? 'Unknown' : ok ? 'True' : 'False', reason, message, observedGeneration: gen },
      new Date(ctx.now()),
    );
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
  if (!replication)
    return done(
      false,
      'ReferenceNotFound',
      `SchemaReplication ${obj.spec.replicationRef.name} (spec.replicationRef) does not exist`,
      WAIT_MS,
      'Pending',
    );
  let endpoints: Endpoints;
  try {
    endpoints = await resolveEndpoints(replication, ctx.kube);
  } catch (err) {
    if (isCondition(err)) return done(false, err.reason, err.message, err.retryAfterMs, 'Pending');
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
    source = await openSession(endpoints.source, 'source');
    target = await openSession(endpoints.target, 'target');
    const names = replicationNames(ns, replication.metadata.name as string);
    const forward: ReplicationPath = { publication: names.publication, slot: names.slot, subscription: names.subscription };
    const reverse: ReplicationPath = {
      publication: names.reversePublication,
      slot: names.reverseSlot,
      subscription: names.reverseSubscription,
    };
    const schemas = replication.spec.schemas;
    const tables = publishedTables(await inventory(source, schemas));
    const sides = { source: { client: source, info: endpoints.source }, target: { client: target, info: endpoints.target } };
    // Moving to the target, the forward path is active and the reverse one is the way back; and vice versa.
    const pathsFor = (to: Side): { active: ReplicationPath; back: ReplicationPath } =>
      to === 'target' ? { active: forward, back: reverse } : { active: reverse, back: forward };
    const savedGrantsOf = (side: Side): SavedGrant[] =>
      ((side === 'source' ? status.savedGrants : status.savedTargetGrants) ?? []).map((g) => ({ table: g.table, acl: g.acl ?? null }));

    // 3. A move a dead operator left half-done: finish it after the route changed, undo it before.
    const recovery = recoveryFor(status);
    if (recovery.kind === 'finishMove') {
      const from = otherSide(recovery.to);
      await ctx.routing.flip(agents, database, status.moveId ?? 'recovered', status.route as RoutedRoute).catch(() => undefined);
      const paths = pathsFor(recovery.to);
      await finishMove({
        from: sides[from],
        onto: sides[recovery.to],
        tables,
        activePath: paths.active,
        backPath: paths.back,
        ontoGrants: savedGrantsOf(recovery.to),
      });
      await persist({ activeSide: recovery.to, step: undefined, movingTo: undefined, lastSwitchTime: new Date(ctx.now()).toISOString() });
      ctx.events.normal('MoveFinished', `Finished a move interrupted after the route changed: the ${recovery.to} serves`);
    } else if (recovery.kind === 'abortInterrupted') {
      await ctx.routing.resume(agents, database, status.moveId ?? '').catch(() => undefined);
      if (status.step === 'Rehearsing') {
        await persist({
          step: undefined,
          movingTo: undefined,
          rehearsedGeneration: gen,
          lastRehearsal: { writePauseMilliseconds: 0, at: new Date(ctx.now()).toISOString(), result: 'Aborted' },
          lastAbortReason: 'the operator stopped during the rehearsal',
        });
      } else {
        // Grants the move may have given back to the side that did not take over are taken away again.
        const movingTo = status.movingTo as Side;
        if (savedGrantsOf(movingTo).length > 0) await revokeWrites(sides[movingTo].client, tables);
        const attempts = countedAttempts(obj) + 1;
        await persist(
          abortPatch(
            obj,
            attempts,
            `the operator stopped during the freeze; the route agents resumed the ${status.activeSide ?? 'source'}`,
            ctx.now(),
          ),
        );
        ctx.events.warning('MoveAborted', 'A move was interrupted by an operator restart during the freeze; the serving side kept serving');
      }
    }

    // 4. Where should the tenant be?
    const current = status.activeSide ?? 'source';
    const withdrawn = current === 'target' && !obj.spec.approved;
    cond(
      ConditionTypes.ApprovalWithdrawn,
      withdrawn,
      withdrawn ? 'ApprovalWithdrawn' : 'Succeeded',
      withdrawn
        ? 'spec.approved was withdrawn after the switch: nothing moves; set spec.rollback: true to move back'
        : 'approval matches the side served',
    );
    if (status.completed || (obj.spec.complete && current === 'target' && desiredSide(obj.spec, current) === 'target')) {
      if (!status.completed) {
        await dropPath(source, target, reverse);
        await source.query(`DROP PUBLICATION IF EXISTS ${pg.escapeIdentifier(forward.publication)}`);
        await dropSlots(source, forward.slot);
        await persist({ completed: true, phase: 'Migrated' });
        ctx.events.normal('Migrated', 'spec.complete: the reverse replication and every forward artifact are gone; the tenant is migrated');
      }
      return done(
        true,
        'Migrated',
        'the tenant is migrated: the target serves and the way back was retired (spec.complete)',
        STEADY_MS,
        'Migrated',
      );
    }
    const rehearse = rehearsalDue(obj, current);
    const want = rehearse ? otherSide(current) : desiredSide(obj.spec, current);
    if (want === current) {
      const serving =
        current === 'target'
          ? 'the target serves the tenant; the source is kept current by reverse replication'
          : obj.spec.approved
            ? 'the source serves'
            : 'the source serves; set spec.approved: true to switch';
      return done(
        ownership.ok,
        ownership.ok ? 'Succeeded' : 'RouteAgentsNotReady',
        ownership.ok ? serving : ownership.message,
        STEADY_MS,
        current === 'target' || obj.spec.approved ? 'Serving' : 'WaitingForApproval',
      );
    }

    // 5. Retries after an abort.
    const gate = rehearse ? ({ kind: 'go' } as const) : retryGate(obj, ctx.now());
    if (gate.kind === 'exhausted') {
      cond(
        ConditionTypes.RetriesExhausted,
        true,
        'RetriesExhausted',
        `${gate.attempts} attempt(s) aborted: ${status.lastAbortReason ?? ''}; change the spec to try again`,
      );
      return done(
        false,
        'RetriesExhausted',
        `the move was aborted ${gate.attempts} time(s) (last: ${status.lastAbortReason ?? 'unknown'}); change the spec to try again`,
        STEADY_MS,
        'Aborted',
      );
    }
    if (gate.kind === 'wait')
      return done(
        false,
        'RetryScheduled',
        `retrying at ${new Date(gate.untilMs).toISOString()} after: ${status.lastAbortReason ?? ''}`,
        gate.untilMs - ctx.now(),
        'Aborted',
      );

    // 6. Preconditions, each naming what to fix.
    const blocker = await preconditionFailure({
      obj,
      replication,
      agents,
      ownership,
      routing: ctx.routing,
      database,
      source,
      target,
      to: want,
      reverse,
    });
    if (blocker) {
      cond(ConditionTypes.PreconditionsMet, false, blocker.reason, blocker.message);
      return done(false, blocker.reason, blocker.message, WAIT_MS, 'Pending');
    }
    cond(ConditionTypes.PreconditionsMet, true, 'Succeeded', 'replication current, route agents confirmed, the way back possible');

    // 7. The way back, ready before the freeze (a rehearsal changes nothing, so it prepares nothing).
    const paths = pathsFor(want);
    const from = current;
    if (!rehearse) {
      const publisher = sides[want];
      await preparePath({
        publisher: publisher.client,
        subscriber: sides[from].client,
        path: paths.back,
        tables,
        publisherConninfo: conninfo(publisher.info),
        extra: [sentinelPublicationEntry(replication.spec.tenant)],
      });
    }
    const fromGrants = await readGrants(sides[from].client, tables);
    if (!rehearse)
      await persist(from === 'source' ? { savedGrants: grantsForStatus(fromGrants) } : { savedTargetGrants: grantsForStatus(fromGrants) });

    // 8. The move (or its rehearsal).
    const attempts = countedAttempts(obj) + 1;
    const moveId = `${ctx.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    const result = await moveTenant({
      moveId,
      to: want,
      tenant: replication.spec.tenant,
      schemas,
      tables,
      database,
      agents,
      routing: ctx.routing,
      from: sides[from],
      onto: sides[want],
      activePath: paths.active,
      backPath: paths.back,
      route: routeFor(want, (status.route?.revision ?? 1) + 1),
      budgetMs: budgetMs(obj),
      sequenceGap: SEQUENCE_GAP,
      fromGrants,
      ontoGrants: savedGrantsOf(want),
      rehearse,
      persist,
      now: ctx.now,
    });
    const record = {
      moveId,
      to: want,
      startedAt: new Date(result.startedAt).toISOString(),
      finishedAt: new Date(ctx.now()).toISOString(),
      writePauseMilliseconds: result.writePauseMs,
      steps: result.steps,
    };
    const history = (entry: Record<string, unknown>): TenantCutoverStatus['history'] =>
      [{ ...record, ...entry } as NonNullable<TenantCutoverStatus['history']>[number], ...(status.history ?? [])].slice(0, 20);
    if (rehearse) {
      const ok = result.ok;
      await persist({
        step: undefined,
        movingTo: undefined,
        rehearsedGeneration: gen,
        lastRehearsal: {
          writePauseMilliseconds: result.writePauseMs,
          at: new Date(ctx.now()).toISOString(),
          result: ok ? 'Rehearsed' : 'Aborted',
        },
        history: history(ok ? { result: 'Rehearsed' } : { result: 'Aborted', reason: result.reason }),
        ...(ok ? {} : { lastAbortReason: result.reason.slice(0, 1000) }),
      });
      ctx.events.normal(
        'Rehearsed',
        ok
          ? `Rehearsal: the freeze and drain took ${result.writePauseMs} ms; nothing was flipped`
          : `Rehearsal aborted: ${result.ok ? '' : result.reason}`,
      );
      return done(
        true,
        'Succeeded',
        `rehearsal done: a move would pause writes for about ${result.writePauseMs} ms; the ${current} serves`,
        WAIT_MS,
        'Serving',
      );
    }
    if (!result.ok) {
      await persist({
        ...abortPatch(obj, attempts, result.reason, ctx.now()),
        history: history({ result: 'Aborted', reason: result.reason }),
      });
      ctx.events.warning(
        'MoveAborted',
        `Move to the ${want} aborted after ${result.writePauseMs} ms, the ${current} serves again: ${result.reason}`,
      );
      return done(
        false,
        'MoveAborted',
        `the move was aborted (attempt ${attempts}): ${result.reason}`,
        backoffAfter(obj, attempts),
        'Aborted',
      );
    }
    await persist({
      activeSide: want,
      step: undefined,
      movingTo: undefined,
      writePause: { milliseconds: result.writePauseMs },
      switchLsn: result.switchLsn,
      sequences: result.sequences.slice(0, 5000),
      lastSwitchTime: new Date(ctx.now()).toISOString(),
      attempts: 0,
      nextAttemptAt: undefined,
      history: history({ result: 'Switched', switchLsn: result.switchLsn }),
    });
    const what = want === 'target' ? 'Switched to the target' : 'Rolled back to the source';
    cond(
      ConditionTypes.Switched,
      want === 'target',
      want === 'target' ? 'Switched' : 'RolledBack',
      `${what} at position ${result.switchLsn} with a ${result.writePauseMs} ms write pause`,
    );
    ctx.events.normal(
      want === 'target' ? 'Switched' : 'RolledBack',
      `${what} with a ${result.writePauseMs} ms write pause (position ${result.switchLsn}); the way back is replicating`,
    );
    return done(
      true,
      'Succeeded',
      want === 'target'
        ? 'the target serves the tenant; the source is kept current by reverse replication'
        : 'the source serves again; the target is kept current by forward replication',
      STEADY_MS,
      'Serving',
    );
  } catch (err) {
    if (isCondition(err)) return done(false, err.reason, err.message, err.retryAfterMs);
    throw err;
  } finally {
    await source?.end().catch(() => undefined);
    await target?.end().catch(() => undefined);
  }
}

function grantsForStatus(grants: SavedGrant[]): NonNullable<TenantCutoverStatus['savedGrants']> {
  return grants.map((g) => ({ table: g.table, ...(g.acl !== null ? { acl: g.acl } : {}) }));
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

async function routeOwnership(
  routing: RoutingPort,
  agents: AgentRef[],
  database: string,
  route: RoutedRoute,
): Promise<{ ok: boolean; message: string }> {
  if (agents.length === 0)
    return { ok: false, message: 'no live route agent for this pool: start `tenantshift route-agent` beside each PgBouncer' };
  const statuses = await routing.status(agents).catch((err: Error) => err);
  if (statuses instanceof Error) return { ok: false, message: `route agents did not answer: ${statuses.message}` };
  const behind = statuses.filter((s) => (s.routes[database]?.revision ?? 0) < route.revision).map((s) => s.identity);
  if (behind.length > 0)
    return { ok: false, message: `route agent(s) ${behind.join(', ')} have not applied route revision ${route.revision} yet` };
  return {
    ok: true,
    message: `${agents.length} route agent(s) serve ${database} -> ${route.side} (${route.host}:${route.port}/${route.dbname})`,
  };
}

async function preconditionFailure(input: {
  obj: TenantCutover;
  replication: SchemaReplication;
  agents: AgentRef[];
  ownership: { ok: boolean; message: string };
  routing: RoutingPort;
  database: string;
  source: pg.Client;
  target: pg.Client;
  to: Side;
  reverse: ReplicationPath;
}): Promise<{ reason: string; message: string } | undefined> {
  const rs = input.replication.status;
  if (input.to === 'source') {
    // Rolling back rides the reverse replication: it must be there and flowing.
    const rev = await pathState(input.source, input.reverse);
    if (!rev.exists || !rev.enabled)
      return {
        reason: 'ReverseReplicationNotReady',
        message: `reverse subscription ${input.reverse.subscription} on the source is missing or disabled; a rollback needs it`,
      };
    if (!input.ownership.ok) return { reason: 'RouteAgentsNotReady', message: input.ownership.message };
    return sessionPooling(input);
  }
  const ready = rs?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True')
    return {
      reason: 'ReplicationNotReady',
      message: `SchemaReplication ${input.replication.metadata.name} is not Ready: ${ready?.message ?? 'no status yet'}`,
    };
  if (rs?.conditions?.some((c) => c.type === ConditionTypes.SchemaDrift && c.status === 'True'))
    return { reason: 'SchemaDrift', message: 'the source schema differs from the target; the SchemaReplication must match first' };
  const within = input.obj.spec.requireValidationWithin;
  if (within) {
    const v = rs?.validation;
    const age = v?.finishedAt ? Date.now() - Date.parse(v.finishedAt) : Number.POSITIVE_INFINITY;
    if (v?.result !== 'identical' || age > parseDurationMs(within)) {
      const name = input.replication.metadata.name;
      const last = v ? `${v.result ?? v.state}${v.finishedAt ? ` from ${v.finishedAt}` : ''}` : 'missing';
      return {
        reason: 'ValidationRequired',
        message: `spec.requireValidationWithin is ${within} but the last validation of SchemaReplication ${name} is ${last}; request one: kubectl annotate schemareplication ${name} tenantshift.io/validate=$(date +%s) --overwrite`,
      };
    }
  }
  const gate = input.obj.spec.maxLagBytes;
  if (gate !== undefined && (rs?.lag?.bytes ?? 0) > gate)
    return { reason: 'LagAboveGate', message: `replication lag ${rs?.lag?.bytes} bytes is above spec.maxLagBytes ${gate}` };
  if (!input.ownership.ok) return { reason: 'RouteAgentsNotReady', message: input.ownership.message };
  const pooling = await sessionPooling(input);
  if (pooling) return pooling;
  const su = await input.source.query<{ su: boolean }>('SELECT rolsuper AS su FROM pg_roles WHERE rolname = current_user');
  if (!su.rows[0]?.su)
    return {
      reason: 'ReverseReplicationNeedsSuperuser',
      message: 'the source role cannot create the reverse subscription (superuser needed on PostgreSQL 15): no switch without a way back',
    };
  return undefined;
}

async function sessionPooling(input: {
  routing: RoutingPort;
  agents: AgentRef[];
  database: string;
}): Promise<{ reason: string; message: string } | undefined> {
  const modes = await input.routing.status(input.agents);
  const session = modes.filter((m) => (m.poolModes[input.database] ?? 'session') !== 'transaction');
  if (session.length > 0) {
    return {
      reason: 'SessionPooling',
      message: `PgBouncer database ${input.database} runs in ${session[0]?.poolModes[input.database] ?? 'session'} pooling at ${session.map((s) => s.identity).join(', ')}: PAUSE would wait for clients to disconnect; use pool_mode=transaction`,
    };
  }
  return undefined;
}
