// Routes retained for deleted TenantCutovers: one ConfigMap per (pool, database) in the route agents'
// namespace (where their heartbeat Leases are), written by the operator when it releases a deleted
// TenantCutover that had a route. Agents serve it across their own restarts; `kubectl get configmap
// -l tenantshift.io/retained-route` lists them, and deleting one lets go of the route.
import { createHash } from 'node:crypto';
import { CoreV1Api, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { POOL_LABEL, type RoutedRoute } from './protocol.js';
import { RETAINED_ROUTE_LABEL, type RetainedRoute } from './owners.js';
import { routeProblem } from '../api/routecheck.js';
import { orAbsent } from '../errors.js';

export function retainedRouteName(pool: string, database: string): string {
  const slug = `${pool}-${database}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, 200);
  const hash = createHash('sha256').update(`${pool}\n${database}`).digest('hex').slice(0, 10);
  return `tenantshift-route-${slug}-${hash}`.replace(/-+/g, '-');
}

/** routeProblem checks host, port, dbname and revision's shape; a retained route also needs both. */
function isRoute(v: unknown): v is RoutedRoute {
  const r = v as Partial<RoutedRoute> | undefined;
  return routeProblem(r) === undefined && (r?.side === 'source' || r?.side === 'target') && typeof r.revision === 'number';
}

/** A retained route read back; undefined for a ConfigMap that is not one (edited by hand, say). */
export function parseRetained(cm: V1ConfigMap): RetainedRoute | undefined {
  const d = cm.data ?? {};
  let route: unknown;
  try {
    route = JSON.parse(d.route ?? '');
  } catch {
    return undefined;
  }
  if (!d.pool || !d.database || !d.namespace || !isRoute(route)) return undefined;
  return {
    pool: d.pool,
    database: d.database,
    namespace: d.namespace,
    route,
    keptIn: `ConfigMap ${cm.metadata?.namespace}/${cm.metadata?.name}`,
  };
}

export class RetainedRoutes {
  private readonly core: CoreV1Api;

  constructor(
    kc: KubeConfig,
    private readonly namespace: string,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async list(pool: string): Promise<RetainedRoute[]> {
    const list = await this.core.listNamespacedConfigMap({
      namespace: this.namespace,
      labelSelector: `${RETAINED_ROUTE_LABEL}=true,${POOL_LABEL}=${pool}`,
    });
    return list.items.flatMap((cm) => parseRetained(cm) ?? []);
  }

  async get(pool: string, database: string): Promise<RetainedRoute | undefined> {
    return (await this.list(pool)).find((r) => r.database === database);
  }

  /** Keeps `route` of the deleted TenantCutover `from` for its (pool, database); replaces an older one. */
  async retain(pool: string, database: string, route: RoutedRoute, from: { namespace: string; name: string }): Promise<void> {
    const name = retainedRouteName(pool, database);
    const body: V1ConfigMap = {
      metadata: { name, namespace: this.namespace, labels: { [RETAINED_ROUTE_LABEL]: 'true', [POOL_LABEL]: pool } },
      data: { pool, database, namespace: from.namespace, cutover: from.name, route: JSON.stringify(route) },
    };
    try {
      await this.core.createNamespacedConfigMap({ namespace: this.namespace, body });
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
      await this.core.replaceNamespacedConfigMap({ namespace: this.namespace, name, body });
    }
  }

  async release(pool: string, database: string): Promise<void> {
    await orAbsent(this.core.deleteNamespacedConfigMap({ namespace: this.namespace, name: retainedRouteName(pool, database) }));
  }
}
