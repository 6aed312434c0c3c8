// Replication metrics per SchemaReplication (labels namespace and name: bounded by the objects, never
// by tables): lag in bytes and seconds, WAL retained by the slot, tables ready, Ready.
import { Gauge, type Registry } from 'prom-client';

/** What the SchemaReplication reconciler records per object (its port; this module is the Prometheus side). */
export interface ReplicationMetrics {
  record(
    obj: { namespace: string; name: string },
    m: {
      lagBytes: number;
      lagSeconds: number;
      retainedBytes: number;
      retentionBudgetBytes: number;
      tablesReady: number;
      tablesTotal: number;
      ready: boolean;
    },
  ): void;
  forget(obj: { namespace: string; name: string }): void;
}

export function createReplicationMetrics(registry: Registry): ReplicationMetrics {
  const registers = [registry];
  const labelNames = ['namespace', 'name'] as const;
  const lagBytes = new Gauge({
    name: 'tenantshift_replication_lag_bytes',
    help: 'Source WAL not yet confirmed by the target subscription, in bytes.',
    labelNames,
    registers,
  });
  const lagSeconds = new Gauge({
    name: 'tenantshift_replication_lag_seconds',
    help: 'Replay lag of the tenant subscription reported by the source WAL sender, in seconds.',
    labelNames,
    registers,
  });
  const retained = new Gauge({
    name: 'tenantshift_replication_slot_retained_bytes',
    help: 'WAL the tenant replication slot keeps on the source disk, in bytes.',
    labelNames,
    registers,
  });
  const tablesReady = new Gauge({
    name: 'tenantshift_replication_tables_ready',
    help: 'Tables of the tenant whose initial copy is done and that stream.',
    labelNames,
    registers,
  });
  const tablesTotal = new Gauge({
    name: 'tenantshift_replication_tables',
    help: 'Tables in the tenant replicated schemas.',
    labelNames,
    registers,
  });
  const budget = new Gauge({
    name: 'tenantshift_replication_slot_retention_budget_bytes',
    help:
      'WAL the tenant replication slot may retain on the source before SlotRetention turns False (spec.slotRetentionBudgetBytes), in ' +
      'bytes.',
    labelNames,
    registers,
  });
  const ready = new Gauge({
    name: 'tenantshift_replication_ready',
    help: '1 when the SchemaReplication is Ready (all tables streaming, lag under threshold), else 0.',
    labelNames,
    registers,
  });
  const all = [lagBytes, lagSeconds, retained, tablesReady, tablesTotal, ready, budget];
  return {
    record(obj, m) {
      const labels = { namespace: obj.namespace, name: obj.name };
      lagBytes.set(labels, m.lagBytes);
      lagSeconds.set(labels, m.lagSeconds);
      retained.set(labels, m.retainedBytes);
      tablesReady.set(labels, m.tablesReady);
      tablesTotal.set(labels, m.tablesTotal);
      ready.set(labels, m.ready ? 1 : 0);
      budget.set(labels, m.retentionBudgetBytes);
    },
    forget(obj) {
      for (const g of all) g.remove({ namespace: obj.namespace, name: obj.name });
    },
  };
}
