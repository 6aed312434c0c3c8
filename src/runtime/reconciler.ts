// The contract between the runtime and a reconciler: one call per key, level-triggered, returning when
// to look again. Throw TerminalError for what retrying cannot fix; anything else is retried with backoff.
import type { Logger } from '../observability/logger.js';
import type { KubeObject } from './resources.js';

export interface ReconcileContext<T extends KubeObject> {
  /** "namespace/name". */
  key: string;
  namespace: string;
  name: string;
  /** The informer's cached copy: read-only, possibly a little stale; writes are guarded by resourceVersion. */
  object: T;
  /** A child logger with controller, namespace, name and generation. */
  log: Logger;
  /** Aborts when the operator stops or loses leadership: stop at the next safe point. */
  signal: AbortSignal;
}

export interface ReconcileResult {
  /** Look at the object again after this long, even if nothing changes (e.g. waiting on AWS). */
  requeueAfterMs?: number;
}

export interface Reconciler<T extends KubeObject = KubeObject> {
  reconcile(ctx: ReconcileContext<T>): Promise<ReconcileResult | void>;
}
