// Whether every live route agent of the pool serves this object's route: pure, over what the agents
// reported (or the error they answered with).
import type { AgentRef } from '../../routing/client.js';
import type { AgentStatus, RoutedRoute } from '../../routing/protocol.js';

export interface Ownership {
  ok: boolean;
  message: string;
  /** Another TenantCutover (or a route retained for a deleted one) owns the database: nothing here may move it. */
  conflict?: boolean;
}

/** `self`: `TenantCutover <namespace>/<name>`, as agents name a database's owner. */
export function routeOwnership(
  agents: AgentRef[],
  statuses: AgentStatus[] | Error,
  database: string,
  route: RoutedRoute,
  self?: string,
): Ownership {
  if (agents.length === 0) {
    return { ok: false, message: 'no live route agent for this pool: start `tenantshift route-agent` beside each PgBouncer' };
  }
  if (statuses instanceof Error) return { ok: false, message: `route agents did not answer: ${statuses.message}` };
  const owner = statuses.map((s) => s.owners?.[database]).find((o) => o !== undefined && o !== self);
  if (self && owner) {
    return {
      ok: false,
      conflict: true,
      message:
        `PgBouncer database ${database} of this pool belongs to ${owner} (the oldest claim, or a route kept for a deleted ` +
        'TenantCutover): this object moves nothing; point spec.routing.pgbouncer.database elsewhere, or delete the other claim',
    };
  }
  const behind = statuses.filter((s) => (s.routes[database]?.revision ?? 0) < route.revision).map((s) => s.identity);
  if (behind.length > 0) {
    return { ok: false, message: `route agent(s) ${behind.join(', ')} have not applied route revision ${route.revision} yet` };
  }
  const target = `${route.side} (${route.host}:${route.port}/${route.dbname})`;
  return { ok: true, message: `${agents.length} route agent(s) serve ${database} -> ${target}` };
}
