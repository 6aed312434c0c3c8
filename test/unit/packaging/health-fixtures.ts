// Status fixtures for the Argo CD health checks: objects as the operator leaves them at each stage,
// with the health Argo CD must show. One row per case; `message` must appear in hs.message.
type Obj = Record<string, unknown>;

export interface HealthCase {
  name: string;
  kind: 'LandingZone' | 'SchemaReplication' | 'TenantCutover';
  obj: Obj;
  status: 'Healthy' | 'Progressing' | 'Degraded' | 'Suspended';
  message: string;
}

const cond = (type: string, status: string, reason: string, message: string): Obj => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: '2025-01-01T00:00:00Z',
  observedGeneration: 2,
});

const object = (spec: Obj, status?: Obj, meta: Obj = {}): Obj => ({
  apiVersion: 'tenantshift.io/v1alpha1',
  metadata: { name: 'tenant-a', namespace: 'shop', generation: 2, ...meta },
  spec,
  ...(status ? { status: { observedGeneration: 2, ...status } } : {}),
});

const lz = (status?: Obj, meta?: Obj): Obj => object({ region: 'eu-west-1', connectionSecretName: 'eu-west-db' }, status, meta);
const sr = (status?: Obj, spec: Obj = {}): Obj => object({ tenant: 'tenant-a', schemas: ['tenant_a_wallet'], ...spec }, status);
const tc = (status?: Obj): Obj =>
  object({ replicationRef: { name: 'tenant-a' }, routing: { pgbouncer: { pool: 'main', database: 'tenant_a' } }, approved: true }, status);

export const HEALTH_CASES: HealthCase[] = [
  { name: 'new, no status yet', kind: 'LandingZone', obj: lz(), status: 'Progressing', message: 'Waiting for the operator' },
  {
    name: 'status of an older generation',
    kind: 'LandingZone',
    obj: lz({ observedGeneration: 1, conditions: [cond('Ready', 'True', 'Succeeded', 'converged')] }),
    status: 'Progressing',
    message: 'generation 2',
  },
  {
    name: 'RDS instance creating',
    kind: 'LandingZone',
    obj: lz({ conditions: [cond('Ready', 'False', 'Creating', 'database wallets-eu is creating')] }),
    status: 'Progressing',
    message: 'is creating',
  },
  {
    name: 'ready',
    kind: 'LandingZone',
    obj: lz({ conditions: [cond('Ready', 'True', 'Succeeded', 'network, database and connection Secret match the spec')] }),
    status: 'Healthy',
    message: 'match the spec',
  },
  {
    name: 'static parameter waits for a reboot',
    kind: 'LandingZone',
    obj: lz({
      conditions: [cond('Ready', 'False', 'RebootRequired', 'set spec.database.allowReboot: true to apply max_replication_slots')],
    }),
    status: 'Suspended',
    message: 'allowReboot',
  },
  {
    name: 'refused spec',
    kind: 'LandingZone',
    obj: lz({ conditions: [cond('Ready', 'False', 'InvalidSpec', 'spec.database.storageEncrypted must be true, got false')] }),
    status: 'Degraded',
    message: 'InvalidSpec: spec.database.storageEncrypted',
  },
  {
    name: 'being deleted',
    kind: 'LandingZone',
    obj: lz({ conditions: [cond('Ready', 'True', 'Succeeded', 'ok')] }, { deletionTimestamp: '2025-01-01T00:00:00Z' }),
    status: 'Progressing',
    message: 'Deleting',
  },

  { name: 'new, no status yet', kind: 'SchemaReplication', obj: sr(), status: 'Progressing', message: 'Waiting for the operator' },
  {
    name: 'initial copy',
    kind: 'SchemaReplication',
    obj: sr({ phase: 'Syncing', conditions: [cond('Ready', 'False', 'InitialCopyInProgress', '3 of 12 tables copied')] }),
    status: 'Progressing',
    message: '3 of 12',
  },
  {
    name: 'catching up',
    kind: 'SchemaReplication',
    obj: sr({ conditions: [cond('Ready', 'False', 'LagAboveThreshold', 'lag 90 MiB is above 64 MiB')] }),
    status: 'Progressing',
    message: 'lag 90 MiB',
  },
  {
    name: 'streaming',
    kind: 'SchemaReplication',
    obj: sr({ phase: 'Streaming', conditions: [cond('Ready', 'True', 'Succeeded', 'every table streams')] }),
    status: 'Healthy',
    message: 'every table streams',
  },
  {
    name: 'target serves after the cutover',
    kind: 'SchemaReplication',
    obj: sr({ phase: 'TargetServing', conditions: [cond('Ready', 'True', 'TargetServing', 'TenantCutover tenant-a switched the tenant')] }),
    status: 'Healthy',
    message: 'switched',
  },
  {
    name: 'suspended',
    kind: 'SchemaReplication',
    obj: sr({ conditions: [cond('Ready', 'False', 'Suspended', 'suspended')] }, { suspend: true }),
    status: 'Suspended',
    message: 'spec.suspend',
  },
  {
    name: 'table without primary key',
    kind: 'SchemaReplication',
    obj: sr({
      phase: 'Blocked',
      conditions: [cond('Ready', 'False', 'TableWithoutPrimaryKey', 'tenant_a_wallet.audit has no primary key')],
    }),
    status: 'Degraded',
    message: 'TableWithoutPrimaryKey: tenant_a_wallet.audit',
  },
  {
    name: 'slot lost',
    kind: 'SchemaReplication',
    obj: sr({ phase: 'Blocked', conditions: [cond('Ready', 'False', 'SlotLost', 'the replication slot vanished')] }),
    status: 'Degraded',
    message: 'SlotLost',
  },
  {
    name: 'Ready unknown',
    kind: 'SchemaReplication',
    obj: sr({ conditions: [cond('Ready', 'Unknown', 'Reconciling', 'observed')] }),
    status: 'Progressing',
    message: 'observed',
  },

  { name: 'new, no status yet', kind: 'TenantCutover', obj: tc(), status: 'Progressing', message: 'Waiting for the operator' },
  {
    name: 'source serves, not approved yet',
    kind: 'TenantCutover',
    obj: tc({
      phase: 'WaitingForApproval',
      activeSide: 'source',
      conditions: [cond('Ready', 'True', 'Succeeded', 'the source serves; set spec.approved: true to switch')],
    }),
    status: 'Healthy',
    message: 'spec.approved',
  },
  {
    name: 'waiting for the replication',
    kind: 'TenantCutover',
    obj: tc({ phase: 'Pending', conditions: [cond('Ready', 'False', 'ReplicationNotReady', 'SchemaReplication tenant-a is not Ready')] }),
    status: 'Progressing',
    message: 'not Ready',
  },
  {
    name: 'in the freeze',
    kind: 'TenantCutover',
    obj: tc({ phase: 'Serving', step: 'Freezing', movingTo: 'target', conditions: [cond('Ready', 'False', 'Reconciling', 'moving')] }),
    status: 'Progressing',
    message: 'Moving to the target: step Freezing',
  },
  {
    name: 'aborted, retry scheduled',
    kind: 'TenantCutover',
    obj: tc({ phase: 'Aborted', conditions: [cond('Ready', 'False', 'RetryScheduled', 'retrying at 2025-01-01T00:01:00Z')] }),
    status: 'Progressing',
    message: 'retrying',
  },
  {
    name: 'retries exhausted',
    kind: 'TenantCutover',
    obj: tc({
      phase: 'Aborted',
      conditions: [
        cond('Ready', 'False', 'RetriesExhausted', 'the move was aborted 4 time(s)'),
        cond('RetriesExhausted', 'True', 'RetriesExhausted', '4 attempt(s) aborted: write pause exceeded'),
      ],
    }),
    status: 'Degraded',
    message: 'write pause exceeded',
  },
  {
    name: 'switched',
    kind: 'TenantCutover',
    obj: tc({ phase: 'Serving', activeSide: 'target', conditions: [cond('Ready', 'True', 'Succeeded', 'the target serves the tenant')] }),
    status: 'Healthy',
    message: 'the target serves',
  },
  {
    name: 'cannot move: session pooling',
    kind: 'TenantCutover',
    obj: tc({
      phase: 'Pending',
      conditions: [cond('Ready', 'False', 'SessionPooling', 'PgBouncer database tenant_a runs in session pooling')],
    }),
    status: 'Degraded',
    message: 'SessionPooling',
  },
];
