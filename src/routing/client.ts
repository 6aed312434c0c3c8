// The operator's side of routing: finds every live route agent of a pool (heartbeat Leases) and asks
// all of them to pause, flip or resume a database; a move goes on only when every one confirmed.
import { CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { RetainedRoute } from './owners.js';
import { AGENT_LABEL, ENDPOINT_ANNOTATION, POOL_LABEL, type AgentStatus, type RoutedRoute } from './protocol.js';
import { RetainedRoutes } from './retained.js';

export interface AgentRef {
  identity: string;
  endpoint: string;
}

export class RoutingError extends Error {
  override name = 'RoutingError';
}

export interface RoutingPort {
  agents(pool: string): Promise<AgentRef[]>;
  /** Why `live` agents are too few for the pool (it declares more, --route-agents), naming the silent ones; undefined: enough. */
  missingAgents?(pool: string, live: AgentRef[]): Promise<string | undefined>;
  status(agents: AgentRef[]): Promise<AgentStatus[]>;
  pause(agents: AgentRef[], database: string, moveId: string, deadlineInMs: number): Promise<void>;
  flip(agents: AgentRef[], database: string, moveId: string, route: RoutedRoute): Promise<void>;
  resume(agents: AgentRef[], database: string, moveId: string): Promise<void>;
  /** The route kept for a deleted TenantCutover of (pool, database), served by the agents until released. */
  retainedRoute(pool: string, database: string): Promise<RetainedRoute | undefined>;
  retainRoute(pool: string, database: string, route: RoutedRoute, from: { namespace: string; name: string }): Promise<void>;
  releaseRetainedRoute(pool: string, database: string): Promise<void>;
}

export class RouteAgentClient implements RoutingPort {
  private readonly leases: CoordinationV1Api;
  private readonly retained: RetainedRoutes;

  constructor(
    private readonly opts: {
      kc: KubeConfig;
      namespace: string;
      token: string;
      requestTimeoutMs?: number;
      /** pool -> the route agents it has (declared); a pool not listed has whatever agents are live. */
      expected?: Record<string, number>;
    },
  ) {
    this.leases = opts.kc.makeApiClient(CoordinationV1Api);
    this.retained = new RetainedRoutes(opts.kc, opts.namespace);
  }

  retainedRoute(pool: string, database: string): Promise<RetainedRoute | undefined> {
    return this.retained.get(pool, database);
  }

  retainRoute(pool: string, database: string, route: RoutedRoute, from: { namespace: string; name: string }): Promise<void> {
    return this.retained.retain(pool, database, route, from);
  }

  releaseRetainedRoute(pool: string, database: string): Promise<void> {
    return this.retained.release(pool, database);
  }

  private async leasesOf(pool: string): Promise<V1Lease[]> {
    const list = await this.leases.listNamespacedLease({
      namespace: this.opts.namespace,
      labelSelector: `${AGENT_LABEL}=true,${POOL_LABEL}=${pool}`,
    });
    return list.items;
  }

  async missingAgents(pool: string, live: AgentRef[]): Promise<string | undefined> {
    const expected = this.opts.expected?.[pool];
    if (expected === undefined || live.length >= expected) return undefined;
    const silent = (await this.leasesOf(pool))
      .filter((l) => !isLive(l))
      .map((l) => `${l.spec?.holderIdentity ?? l.metadata?.name} (last heartbeat ${String(l.spec?.renewTime ?? 'never')})`);
    const which = silent.length > 0 ? `silent: ${silent.join(', ')}` : 'none of the missing left a heartbeat Lease';
    const names = live.map((a) => a.identity).join(', ') || 'none';
    return (
      `pool ${pool} has ${expected} route agents (--route-agents) but ${live.length} are live (${names}; ${which}): a ` +
      'PgBouncer whose agent is gone would keep its old route, so nothing moves until every agent is back'
    );
  }

  async agents(pool: string): Promise<AgentRef[]> {
    return (await this.leasesOf(pool))
      .filter(isLive)
      .map((l) => ({ identity: l.spec?.holderIdentity ?? '', endpoint: l.metadata?.annotations?.[ENDPOINT_ANNOTATION] ?? '' }))
      .filter((a) => a.endpoint);
  }

  async status(agents: AgentRef[]): Promise<AgentStatus[]> {
    return Promise.all(agents.map((a) => this.call<AgentStatus>(a, 'GET', '/v1/status')));
  }

  /**
   * A pause not confirmed within its deadline fails: the move cannot freeze in its budget (PgBouncer's
   * PAUSE waits for transactions in flight), and the agent resumes by itself at that deadline.
   */
  async pause(agents: AgentRef[], database: string, moveId: string, deadlineInMs: number): Promise<void> {
    await this.all(agents, '/v1/pause', { database, moveId, deadlineInMs }, deadlineInMs);
  }

  async flip(agents: AgentRef[], database: string, moveId: string, route: RoutedRoute): Promise<void> {
    await this.all(agents, '/v1/flip', { database, moveId, route });
  }

  async resume(agents: AgentRef[], database: string, moveId: string): Promise<void> {
    await this.all(agents, '/v1/resume', { database, moveId });
  }

  /** Every agent must confirm; the first refusal fails the call after all have answered. */
  private async all(agents: AgentRef[], path: string, body: unknown, deadlineMs?: number): Promise<void> {
    if (agents.length === 0) throw new RoutingError('no live route agent for the pool');
    const results = await Promise.allSettled(agents.map((a) => this.call(a, 'POST', path, body, deadlineMs)));
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${agents[i]?.identity}: ${(r.reason as Error).message}`] : []));
    if (failed.length > 0) throw new RoutingError(`route agent(s) refused ${path}: ${failed.join('; ')}`);
  }

  private async call<T>(agent: AgentRef, method: string, path: string, body?: unknown, deadlineMs?: number): Promise<T> {
    const timeoutMs = Math.min(this.opts.requestTimeoutMs ?? 65_000, deadlineMs ?? Infinity);
    const res = await fetch(`${agent.endpoint}${path}`, {
      method,
      headers: { Authorization: `Bearer ${this.opts.token}`, 'Content-Type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    }).catch((err: Error) => {
      if (deadlineMs !== undefined && err.name === 'TimeoutError')
        throw new RoutingError(`not confirmed within the ${deadlineMs} ms deadline`);
      throw err;
    });
    const text = await res.text();
    if (!res.ok) throw new RoutingError(`HTTP ${res.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  }
}

function isLive(lease: V1Lease): boolean {
  const renew = lease.spec?.renewTime ? new Date(lease.spec.renewTime as unknown as string).getTime() : 0;
  const ttl = (lease.spec?.leaseDurationSeconds ?? 10) * 1000;
  return Date.now() - renew < ttl;
}
