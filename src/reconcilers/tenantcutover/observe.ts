// What a TenantCutover reconcile reads before it decides anything: the SchemaReplication whose tenant
// moves and both servers, the route agents of the pool and the route they serve, the tenant's
// tables, and the facts the preconditions judge. Reads only.
import type pg from 'pg';
import type { SchemaReplication, Side, TenantCutover } from '../../api/index.js';
import { conditionError } from '../../errors.js';
import { inventory, publishedTables, type TableInfo } from '../../postgres/catalog.js';
import { replicationNames } from '../../postgres/names.js';
import { pathState, type ReplicationPath } from '../../postgres/reverse.js';
import { isSuperuser } from '../../postgres/roles.js';
import type { AgentRef } from '../../routing/client.js';
import type { AgentStatus, RoutedRoute } from '../../routing/protocol.js';
import { resolveEndpoints, type Endpoints, type Sessions } from '../shared/endpoints.js';
import { STEADY_MS, WAIT_MS, type CutoverContext } from './context.js';
import type { PreconditionFacts } from './preconditions.js';
import { routeOwnership, type Ownership } from './routes.js';

export interface Located {
  replication: SchemaReplication;
  endpoints: Endpoints;
}

export interface Endpoint {
  client: pg.Client;
  info: Endpoints['source'];
}

/** Everything the steps of one reconcile share once both servers are open. */
export interface World {
  obj: TenantCutover;
  replication: SchemaReplication;
  endpoints: Endpoints;
  database: string;
  agents: AgentRef[];
  agentStatuses: AgentStatus[] | Error;
  ownership: Ownership;
  tables: TableInfo[];
  forward: ReplicationPath;
  reverse: ReplicationPath;
  sides: Record<Side, Endpoint>;
}

/** The SchemaReplication named by spec.replicationRef and its servers' connection settings. */
export async function locateTenant(obj: TenantCutover, ctx: Pick<CutoverContext, 'kube'>): Promise<Located> {
  const ns = obj.metadata.namespace as string;
  const name = obj.spec.replicationRef.name;
  const replication = await ctx.kube.getReplication(ns, name);
  if (!replication) throw conditionError('ReferenceNotFound', `SchemaReplication ${name} (spec.replicationRef) does not exist`, WAIT_MS);
  const first = await ctx.kube.firstCutoverOf?.(ns, name);
  if (first && first !== obj.metadata.name)
    throw conditionError(
      'CutoverConflict',
      `SchemaReplication ${name} is moved by TenantCutover ${first} (the older of the two): this object changes nothing; ` +
        'delete it, or point spec.replicationRef at another SchemaReplication',
      STEADY_MS,
    );
  return { replication, endpoints: await resolveEndpoints(replication, ctx.kube) };
}

/** The route a side is served by, at a revision. */
export function routeFor(endpoints: Endpoints, side: Side, revision: number): RoutedRoute {
  const info = side === 'source' ? endpoints.source : endpoints.target;
  return { side, host: info.host, port: info.port, dbname: info.dbname, revision };
}

/** The pool's live route agents, what they serve, and whether they all serve this object's route. */
export async function observeAgents(
  obj: TenantCutover,
  ctx: Pick<CutoverContext, 'routing'>,
  route: RoutedRoute,
): Promise<Pick<World, 'agents' | 'agentStatuses' | 'ownership'>> {
  const pool = obj.spec.routing.pgbouncer.pool;
  const agents = await ctx.routing.agents(pool);
  const agentStatuses = agents.length === 0 ? [] : await ctx.routing.status(agents).catch((err: Error) => err);
  const self = `TenantCutover ${obj.metadata.namespace}/${obj.metadata.name}`;
  const ownership = routeOwnership(agents, agentStatuses, obj.spec.routing.pgbouncer.database, route, self);
  // A declared replica without its agent would not follow a flip: the move waits for it, by name.
  const missing = ownership.ok ? await ctx.routing.missingAgents?.(pool, agents) : undefined;
  return { agents, agentStatuses, ownership: missing ? { ok: false, message: missing } : ownership };
}

/** The tenant's tables, its two replication paths and both sides' sessions. */
export async function observeWorld(
  obj: TenantCutover,
  located: Located,
  agents: Pick<World, 'agents' | 'agentStatuses' | 'ownership'>,
  sessions: Sessions,
): Promise<World> {
  const { replication, endpoints } = located;
  const names = replicationNames(obj.metadata.namespace as string, replication.metadata.name as string);
  return {
    obj,
    replication,
    endpoints,
    database: obj.spec.routing.pgbouncer.database,
    ...agents,
    tables: publishedTables(await inventory(sessions.source, replication.spec.schemas)),
    forward: { publication: names.publication, slot: names.slot, subscription: names.subscription },
    reverse: { publication: names.reversePublication, slot: names.reverseSlot, subscription: names.reverseSubscription },
    sides: { source: { client: sessions.source, info: endpoints.source }, target: { client: sessions.target, info: endpoints.target } },
  };
}

/** Moving to the target, the forward path is active and the reverse one is the way back; and vice versa. */
export function pathsFor(world: Pick<World, 'forward' | 'reverse'>, to: Side): { active: ReplicationPath; back: ReplicationPath } {
  return to === 'target' ? { active: world.forward, back: world.reverse } : { active: world.reverse, back: world.forward };
}

/** The facts the preconditions of a move to `to` are judged on (the server is asked only what that direction needs). */
export async function observePreconditions(world: World, to: Side, now: number): Promise<PreconditionFacts> {
  const statuses = world.agentStatuses instanceof Error ? [] : world.agentStatuses;
  const sessionPooled = statuses
    .map((s) => ({ identity: s.identity, mode: s.poolModes[world.database] ?? 'session' }))
    .filter((m) => m.mode !== 'transaction');
  const facts: PreconditionFacts = {
    to,
    now,
    spec: world.obj.spec,
    replicationName: world.replication.metadata.name as string,
    replication: world.replication.status ?? {},
    database: world.database,
    ownership: world.ownership,
    sessionPooled,
    coverage: await observeCoverage(world, to),
  };
  if (to === 'source') {
    const rev = await pathState(world.sides.source.client, world.reverse);
    return { ...facts, reversePath: { subscription: world.reverse.subscription, exists: rev.exists, enabled: rev.enabled } };
  }
  // A privileged login in the source Secret creates the way back on vanilla PostgreSQL as it does on the target.
  const canSubscribe = world.sides.source.info.privileged !== undefined || (await isSuperuser(world.sides.source.client));
  return { ...facts, sourceIsSuperuser: canSubscribe };
}

/** What the path carrying the tenant to `to` leaves out: tables it does not publish, tables still copying. */
async function observeCoverage(world: World, to: Side): Promise<{ notPublished: string[]; notReady: string[] }> {
  const path = pathsFor(world, to).active;
  const publisher = world.sides[to === 'target' ? 'source' : 'target'].client;
  const notPublished = await publisher.query<{ t: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relpersistence = 'p'
        AND NOT EXISTS (SELECT 1 FROM pg_publication_tables pt
                         WHERE pt.pubname = $2 AND pt.schemaname = n.nspname AND pt.tablename = c.relname)
      ORDER BY 1`,
    [world.replication.spec.schemas, path.publication],
  );
  const notReady = await world.sides[to].client.query<{ t: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS t FROM pg_subscription_rel sr JOIN pg_subscription s ON s.oid = sr.srsubid
       JOIN pg_class c ON c.oid = sr.srrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE s.subname = $1 AND sr.srsubstate <> 'r' ORDER BY 1`,
    [path.subscription],
  );
  return { notPublished: notPublished.rows.map((r) => r.t), notReady: notReady.rows.map((r) => r.t) };
}
