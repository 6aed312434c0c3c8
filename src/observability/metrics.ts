// The operator's Prometheus metrics, registered on a Registry the caller constructs and passes in
// (no global registry): reconcile counts and durations, queue depth and retries, leadership, build.
import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';

export interface OperatorMetrics {
  readonly registry: Registry;
  reconcileTotal: Counter<'controller' | 'result'>;
  reconcileErrors: Counter<'controller'>;
  reconcileDuration: Histogram<'controller'>;
  workqueueDepth: Gauge<'controller'>;
  workqueueRetries: Counter<'controller'>;
  informerRestarts: Counter<'resource' | 'reason'>;
  leader: Gauge;
  buildInfo: Gauge<'version'>;
}

export interface MetricsOptions {
  version: string;
  /** Process metrics (CPU, memory, event loop lag) under the tenantshift_ prefix. */
  processMetrics?: boolean;
}

export function createMetrics(registry: Registry, opts: MetricsOptions): OperatorMetrics {
  const registers = [registry];
  const m: OperatorMetrics = {
    registry,
    reconcileTotal: new Counter({
      name: 'tenantshift_reconcile_total',
      help: 'Reconciles finished, by controller and result (success, requeue, error, terminal).',
      labelNames: ['controller', 'result'],
      registers,
    }),
    reconcileErrors: new Counter({
      name: 'tenantshift_reconcile_errors_total',
      help: 'Reconciles that failed, retried or terminal, by controller.',
      labelNames: ['controller'],
      registers,
    }),
    reconcileDuration: new Histogram({
      name: 'tenantshift_reconcile_duration_seconds',
      help: 'Time one reconcile took, by controller.',
      labelNames: ['controller'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    workqueueDepth: new Gauge({
      name: 'tenantshift_workqueue_depth',
      help: 'Keys waiting in the work queue to be reconciled, by controller.',
      labelNames: ['controller'],
      registers,
    }),
    workqueueRetries: new Counter({
      name: 'tenantshift_workqueue_retries_total',
      help: 'Keys put back into the work queue with backoff after an error, by controller.',
      labelNames: ['controller'],
      registers,
    }),
    informerRestarts: new Counter({
      name: 'tenantshift_informer_restarts_total',
      help: 'Informer list/watch restarts, by resource and reason (gone, stalled, error).',
      labelNames: ['resource', 'reason'],
      registers,
    }),
    leader: new Gauge({
      name: 'tenantshift_leader',
      help: '1 while this process holds the leader lease and reconciles, else 0.',
      registers,
    }),
    buildInfo: new Gauge({
      name: 'tenantshift_build_info',
      help: 'Always 1; the version label names the running build.',
      labelNames: ['version'],
      registers,
    }),
  };
  m.leader.set(0);
  m.buildInfo.set({ version: opts.version }, 1);
  if (opts.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'tenantshift_' });
  return m;
}
