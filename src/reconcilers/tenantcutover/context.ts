// What the TenantCutover reconciler is given (ports to Kubernetes, the route agents, Events, crash-safe
// status writes, the clock) and what it returns.
import type { SchemaReplication, TenantCutoverStatus } from '../../api/index.js';
import type { RoutingPort } from '../../routing/client.js';
import type { RoutedRoute } from '../../routing/protocol.js';
import type { KubeReader } from '../shared/endpoints.js';

export interface CutoverEvents {
  normal(reason: string, message: string): void;
  warning(reason: string, message: string): void;
}

export interface CutoverContext {
  kube: KubeReader & {
    getReplication(namespace: string, name: string): Promise<SchemaReplication | undefined>;
    /** The oldest TenantCutover referencing the SchemaReplication: the one that may move it. */
    firstCutoverOf?(namespace: string, replication: string): Promise<string | undefined>;
  };
  routing: RoutingPort;
  events: CutoverEvents;
  /** Merges into status on the API now (crash-safe progress); the reconcile's object sees it too. */
  persist(patch: Partial<TenantCutoverStatus>): Promise<void>;
  /** The route status holds on the API now (not a cache): was a write whose answer was lost made? */
  recordedRoute(): Promise<RoutedRoute | undefined>;
  now(): number;
  /** Aborted when this operator stops leading (a move in flight abandons its freeze). */
  signal?: AbortSignal;
  /** The object is being deleted: an interrupted move is finished or undone, and nothing new starts. */
  deleting?: boolean;
}

export interface CutoverOutcome {
  status: TenantCutoverStatus;
  requeueAfterMs: number;
}

/** Requeue periods: a steady tenant is looked at again on the slow beat, a blocked one sooner. */
export const STEADY_MS = 30_000;
export const WAIT_MS = 5_000;
