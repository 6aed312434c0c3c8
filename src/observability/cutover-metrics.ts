// TenantCutover metrics (labels namespace and name): time spent in the current step and the state a
// stuck or aborted move leaves behind, read from the informer cache at scrape time; aborts counted.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { TenantCutover } from '../api/index.js';

/** What the metrics read at scrape time: the objects in a cache (an informer, passed in by the wiring). */
export interface ObjectLister<T> {
  list(): T[];
}

export interface CutoverMetrics {
  /** Makes the object's counters exist at 0, so a first abort shows as an increase. */
  seen(namespace: string, name: string): void;
  aborted(namespace: string, name: string, count: number): void;
}

export function createCutoverMetrics(registry: Registry, cutovers: ObjectLister<TenantCutover>): CutoverMetrics {
  const registers = [registry];
  const aborts = new Counter({
    name: 'tenantshift_cutover_aborts_total',
    help: 'Moves of the tenant aborted (budget exceeded, a step failed, the operator restarted mid-freeze).',
    labelNames: ['namespace', 'name'],
    registers,
  });
  new Gauge({
    name: 'tenantshift_cutover_step_seconds',
    help: 'Seconds the move in progress has spent since its freeze began, by step; absent when no move runs.',
    labelNames: ['namespace', 'name', 'step'],
    registers,
    collect() {
      this.reset();
      for (const c of cutovers.list()) {
        const step = c.status?.step;
        if (!step) continue;
        const since = Date.parse(c.status?.freezeStartedAt ?? '') || Date.now();
        this.set({ namespace: c.metadata.namespace ?? '', name: c.metadata.name ?? '', step }, Math.max(0, (Date.now() - since) / 1000));
      }
    },
  });
  new Gauge({
    name: 'tenantshift_cutover_retries_exhausted',
    help: '1 while the TenantCutover gave up after its last automatic retry (RetriesExhausted=True), else 0.',
    labelNames: ['namespace', 'name'],
    registers,
    collect() {
      this.reset();
      for (const c of cutovers.list()) {
        const exhausted = c.status?.conditions?.some((x) => x.type === 'RetriesExhausted' && x.status === 'True') ?? false;
        this.set({ namespace: c.metadata.namespace ?? '', name: c.metadata.name ?? '' }, exhausted ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'tenantshift_cutover_write_pause_seconds',
    help: 'The last move of the tenant: its write freeze, first PAUSE to last RESUME, in seconds.',
    labelNames: ['namespace', 'name'],
    registers,
    collect() {
      this.reset();
      for (const c of cutovers.list()) {
        const ms = c.status?.writePause?.milliseconds;
        if (ms !== undefined) this.set({ namespace: c.metadata.namespace ?? '', name: c.metadata.name ?? '' }, ms / 1000);
      }
    },
  });
  return {
    seen: (namespace, name) => aborts.inc({ namespace, name }, 0),
    aborted: (namespace, name, count) => aborts.inc({ namespace, name }, count),
  };
}
