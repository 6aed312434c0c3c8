// Who owns a PgBouncer database of a pool, cluster-wide: exactly one owner, whose route the agents
// serve and whose moves they take. A route retained for a deleted TenantCutover (a ConfigMap in the
// agents' namespace) owns it until a person deletes that ConfigMap or a TenantCutover of the same
// namespace adopts the route (its own route then has a higher revision); otherwise the oldest
// TenantCutover naming the database (creation time, then uid) owns it, and every other is refused.
import type { RoutedRoute } from './protocol.js';

export interface CutoverItem {
  metadata: { namespace: string; name: string; uid?: string; creationTimestamp?: string | Date };
  spec: { routing?: { pgbouncer?: { pool?: string; database?: string } } };
  status?: { route?: RoutedRoute };
}

/** A route kept for a TenantCutover that was deleted: it goes on being served. */
export interface RetainedRoute {
  pool: string;
  database: string;
  route: RoutedRoute;
  /** The namespace of the deleted TenantCutover: only a TenantCutover there may adopt the route. */
  namespace: string;
  /** Where it is kept, for messages: `ConfigMap <namespace>/<name>`. */
  keptIn: string;
}

export interface DatabaseOwner {
  /** `TenantCutover <ns>/<name>` or the retained route's `ConfigMap <ns>/<name>`. */
  description: string;
  /** The TenantCutover, when one owns the database (the dead-man reads its recorded route). */
  cutover?: { namespace: string; name: string };
  route?: RoutedRoute;
}

export const RETAINED_ROUTE_LABEL = 'tenantshift.io/retained-route';

interface Aged {
  metadata?: { namespace?: string; name?: string; uid?: string; creationTimestamp?: string | Date };
}

/** Oldest first: creation time, then uid (what every claim on a shared thing is ordered by). */
export function byAge(a: Aged, b: Aged): number {
  const time = (x: Aged): number =>
    x.metadata?.creationTimestamp ? new Date(x.metadata.creationTimestamp).getTime() : Number.MAX_SAFE_INTEGER;
  const uid = (x: Aged): string => x.metadata?.uid ?? `${x.metadata?.namespace}/${x.metadata?.name}`;
  return time(a) - time(b) || (uid(a) < uid(b) ? -1 : uid(a) > uid(b) ? 1 : 0);
}

const older = (a: CutoverItem, b: CutoverItem): boolean => byAge(a, b) < 0;

/** database -> its one owner, for the databases of `pool` that a TenantCutover names or a retained route keeps. */
export function ownersOf(pool: string, cutovers: CutoverItem[], retained: RetainedRoute[]): Map<string, DatabaseOwner> {
  const oldest = new Map<string, CutoverItem>();
  for (const c of cutovers) {
    const pgb = c.spec.routing?.pgbouncer;
    if (pgb?.pool !== pool || !pgb.database) continue;
    const seen = oldest.get(pgb.database);
    if (!seen || older(c, seen)) oldest.set(pgb.database, c);
  }
  const owners = new Map<string, DatabaseOwner>();
  for (const [database, c] of oldest) {
    const { namespace, name } = c.metadata;
    owners.set(database, {
      description: `TenantCutover ${namespace}/${name}`,
      cutover: { namespace, name },
      ...(c.status?.route ? { route: c.status.route } : {}),
    });
  }
  for (const r of retained) {
    if (r.pool !== pool) continue;
    const adopter = cutovers.find(
      (c) =>
        c.metadata.namespace === r.namespace &&
        c.spec.routing?.pgbouncer?.pool === pool &&
        c.spec.routing.pgbouncer.database === r.database &&
        (c.status?.route?.revision ?? 0) > r.route.revision,
    );
    if (adopter) {
      const { namespace, name } = adopter.metadata;
      const route = adopter.status?.route as RoutedRoute;
      owners.set(r.database, { description: `TenantCutover ${namespace}/${name}`, cutover: { namespace, name }, route });
    } else {
      owners.set(r.database, { description: r.keptIn, route: r.route });
    }
  }
  return owners;
}
