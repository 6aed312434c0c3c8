// A new TenantCutover's first route. A route kept for a deleted TenantCutover of the same namespace
// and (pool, database), to the same servers, is adopted: its side, the next revision (agents ignore a
// lower one), so the tenant stays where it is served. Any other kept route stays the database's
// owner, and this object is refused (RouteConflict, from the agents). Once every agent serves the
// adopted route, the kept one is released.
import type { TenantCutover } from '../../api/index.js';
import type { RoutedRoute } from '../../routing/protocol.js';
import type { CutoverContext } from './context.js';
import { routeFor, type Located } from './observe.js';
import type { CutoverStatus } from './status.js';

const sameServer = (a: RoutedRoute, b: RoutedRoute): boolean => a.host === b.host && a.port === b.port && a.dbname === b.dbname;

export async function firstRoute(obj: TenantCutover, located: Located, st: CutoverStatus, ctx: CutoverContext): Promise<RoutedRoute> {
  const { pool, database } = obj.spec.routing.pgbouncer;
  const kept = await ctx.routing.retainedRoute(pool, database);
  const adopted = kept && routeFor(located.endpoints, kept.route.side, kept.route.revision + 1);
  if (!kept || !adopted || kept.namespace !== obj.metadata.namespace || !sameServer(adopted, kept.route)) {
    const route = routeFor(located.endpoints, st.activeSide, 1);
    await st.persist({ route, activeSide: st.activeSide });
    return route;
  }
  await st.persist({ route: adopted, activeSide: adopted.side });
  ctx.events.normal(
    'RouteAdopted',
    `adopted the route kept in ${kept.keptIn} for a deleted TenantCutover: ${database} stays on the ${adopted.side} ` +
      `(revision ${adopted.revision})`,
  );
  return adopted;
}

/** Objects (uid) this process has looked at once with every agent serving their route: nothing kept to release. */
const settled = new Set<string>();

/** Every agent serves this object's route: a kept route it adopted (a lower revision, same namespace) is released. */
export async function releaseAdopted(obj: TenantCutover, route: RoutedRoute, ctx: CutoverContext): Promise<void> {
  const uid = obj.metadata.uid ?? `${obj.metadata.namespace}/${obj.metadata.name}`;
  if (route.revision <= 1 || settled.has(uid)) return;
  const { pool, database } = obj.spec.routing.pgbouncer;
  const kept = await ctx.routing.retainedRoute(pool, database);
  if (kept && kept.namespace === obj.metadata.namespace && kept.route.revision < route.revision) {
    await ctx.routing.releaseRetainedRoute(pool, database);
    ctx.events.normal('RouteAdopted', `released ${kept.keptIn}: every route agent serves this object's route`);
  }
  settled.add(uid);
}
