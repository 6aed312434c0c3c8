// The route agent's HTTP protocol, shared by the agent and the operator's routing client.
import type { Route } from './pgbouncer.js';

/** A route as TenantCutover status publishes it; a higher revision always wins. */
export interface RoutedRoute extends Route {
  side: 'source' | 'target';
  revision: number;
}

/** The largest pause an agent takes: spec.maxWritePause's maximum (60s). A longer one is refused. */
export const MAX_PAUSE_DEADLINE_MS = 60_000;

export interface PauseRequest {
  database: string;
  moveId: string;
  /** Relative, so that clocks of operator and agent need not agree. */
  deadlineInMs: number;
}

export interface FlipRequest {
  database: string;
  moveId: string;
  route: RoutedRoute;
}

export interface ResumeRequest {
  database: string;
  moveId: string;
}

export interface AgentStatus {
  identity: string;
  pool: string;
  routes: Record<string, RoutedRoute>;
  /** database -> its one owner, `TenantCutover <ns>/<name>` or `ConfigMap <ns>/<name>` (a retained route); absent from older agents. */
  owners?: Record<string, string>;
  paused: string[];
  poolModes: Record<string, string>;
}

export const AGENT_LABEL = 'tenantshift.io/route-agent';
export const POOL_LABEL = 'tenantshift.io/pool';
export const ENDPOINT_ANNOTATION = 'tenantshift.io/endpoint';
export const AGENT_LEASE_SECONDS = 10;
