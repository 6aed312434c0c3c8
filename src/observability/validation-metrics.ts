// Validation metrics, read from the SchemaReplication cache at scrape time: the last run's
// differences, when it finished, and whether it found the two sides identical.
import { Gauge, type Registry } from 'prom-client';
import type { SchemaReplication } from '../api/index.js';
import type { ObjectLister } from './cutover-metrics.js';

export function registerValidationMetrics(registry: Registry, replications: ObjectLister<SchemaReplication>): void {
  const registers = [registry];
  const labelNames = ['namespace', 'name'] as const;
  const each = (
    set: (labels: { namespace: string; name: string }, v: NonNullable<NonNullable<SchemaReplication['status']>['validation']>) => void,
  ): void => {
    for (const r of replications.list()) {
      const v = r.status?.validation;
      if (v?.state === 'Done') set({ namespace: r.metadata.namespace ?? '', name: r.metadata.name ?? '' }, v);
    }
  };
  new Gauge({
    name: 'tenantshift_validation_differences',
    help: 'Rows that differed between source and target in the last validation (persisting beyond replication lag).',
    labelNames,
    registers,
    collect() {
      this.reset();
      each((labels, v) => this.set(labels, v.differences ?? 0));
    },
  });
  new Gauge({
    name: 'tenantshift_validation_identical',
    help: '1 when the last validation found source and target identical, 0 when it found differences or could not settle.',
    labelNames,
    registers,
    collect() {
      this.reset();
      each((labels, v) => this.set(labels, v.result === 'identical' ? 1 : 0));
    },
  });
  new Gauge({
    name: 'tenantshift_validation_last_finished_timestamp_seconds',
    help: 'When the last validation finished, as a Unix timestamp in seconds.',
    labelNames,
    registers,
    collect() {
      this.reset();
      each((labels, v) => {
        if (v.finishedAt) this.set(labels, Date.parse(v.finishedAt) / 1000);
      });
    },
  });
}
