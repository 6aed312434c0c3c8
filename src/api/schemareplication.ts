// The SchemaReplication kind: "keep these schemas of this tenant continuously copied from source
// to target". TypeScript types, JSON schema and CEL rules in one place; crds/ is generated from it.
import { Type, type Static } from '@sinclair/typebox';
import type { V1ObjectMeta } from '@kubernetes/client-node';
import { API_VERSION, celRules, conditions, deletionPolicy, localRef, observedGeneration, phase, secretRef } from './common.js';
import type { KindDefinition } from './crd.js';
import { durationField } from './duration.js';

export const SchemaReplicationNames = {
  kind: 'SchemaReplication',
  listKind: 'SchemaReplicationList',
  plural: 'schemareplications',
  singular: 'schemareplication',
  shortNames: ['srep'],
} as const;

export const DEFAULT_LAG_THRESHOLD = { bytes: 64 * 1024 * 1024, seconds: 30 } as const;
export const DEFAULT_SLOT_RETENTION_BUDGET = 10 * 1024 ** 3;

// PostgreSQL truncates identifiers to 63 bytes (NAMEDATALEN - 1); any other character is allowed.
const schemaName = Type.String({
  description: 'A schema name exactly as in pg_namespace (case-sensitive, unquoted).',
  minLength: 1,
  maxLength: 63,
  ...celRules({
    rule: "!self.startsWith('pg_') && self != 'information_schema'",
    messageExpression: `'spec.schemas must not name a system schema (pg_*, information_schema), got "' + self + '"'`,
  }),
});

export const SchemaReplicationSpecSchema = Type.Object(
  {
    tenant: Type.String({
      description: 'The tenant these schemas belong to; labels metrics, events and logs. Letters, digits, "-", "_", "."; immutable.',
      minLength: 1,
      maxLength: 63,
      pattern: '^[A-Za-z0-9]([-_.A-Za-z0-9]*[A-Za-z0-9])?$',
      ...celRules({ rule: 'self == oldSelf', message: 'spec.tenant is immutable' }),
    }),
    source: Type.Object(
      {
        secretRef: secretRef(
          'Connection Secret of the source (legacy) server. Its user needs REPLICATION (or rds_replication) ' +
            'and SELECT on the tables of the schemas.',
        ),
      },
      { description: 'The PostgreSQL server the schemas are copied from (where the tenant lives today).' },
    ),
    target: Type.Object(
      {
        secretRef: Type.Optional(
          secretRef('Connection Secret of the target server. Its user needs CREATE on the database (rds_superuser on RDS).'),
        ),
        landingZoneRef: Type.Optional(
          localRef('LandingZone', 'A LandingZone whose database is the target; its connection Secret is used.'),
        ),
      },
      {
        description: 'The PostgreSQL server the schemas are copied to: set exactly one of secretRef or landingZoneRef.',
        ...celRules({
          rule: 'has(self.secretRef) != has(self.landingZoneRef)',
          message: 'spec.target must set exactly one of secretRef or landingZoneRef',
        }),
      },
    ),
    schemas: Type.Array(schemaName, {
      description:
        'The schemas to replicate, by exact name (any identifier PostgreSQL allows). Every table in them is copied, ' +
        'then streamed. Non-empty, no duplicates, at most 64.',
      minItems: 1,
      maxItems: 64,
      'x-kubernetes-list-type': 'set',
    }),
    suspend: Type.Optional(
      Type.Boolean({
        description:
          'true stops the operator from changing anything for this object; replication already running keeps ' +
          'running, and deletion still cleans up the source. Default false.',
        default: false,
      }),
    ),
    deletionPolicy: Type.Optional(
      deletionPolicy(
        "the copied schemas from the target. The source's publication and slot are removed either way, " +
          'because a forgotten slot fills the source disk',
      ),
    ),
    replicaIdentityFull: Type.Optional(
      Type.Array(Type.String({ description: 'A table as schema.table.', minLength: 3, maxLength: 127 }), {
        description:
          'Opt-in list of tables without a primary key to publish with REPLICA IDENTITY FULL (set on the source), ' +
          'each as schema.table with a schema from spec.schemas. Every applied change to such a table is a ' +
          'sequential scan on the target. Tables without a key not listed here block Ready.',
        maxItems: 256,
        'x-kubernetes-list-type': 'set',
      }),
    ),
    copyRoles: Type.Optional(
      Type.Boolean({
        description:
          'true (default) creates on the target the roles that own or are granted privileges on the schemas ' +
          '(without passwords) and keeps ownership and grants. false strips ownership from the copied DDL: ' +
          'the objects belong to the target user.',
        default: true,
      }),
    ),
    copyRoleVerifiers: Type.Optional(
      Type.Boolean({
        description:
          "true also copies the roles' SCRAM verifiers, so clients log in to the target with the same " +
          'passwords. Requires copyRoles. Default false.',
        default: false,
      }),
    ),
    applyAdditiveDDL: Type.Optional(
      Type.Boolean({
        description:
          'true applies additive schema changes found on the source (new tables, columns, indexes) to the target ' +
          'and adds new tables to the publication. Default false: drift is only reported as a condition.',
        default: false,
      }),
    ),
    lagThreshold: Type.Optional(
      Type.Object(
        {
          bytes: Type.Optional(
            Type.Integer({
              description: `Largest WAL distance in bytes still counted as caught up. Default ${DEFAULT_LAG_THRESHOLD.bytes} (64 MiB).`,
              format: 'int64',
              minimum: 0,
              default: DEFAULT_LAG_THRESHOLD.bytes,
            }),
          ),
          seconds: Type.Optional(
            Type.Integer({
              description: `Largest replication delay in seconds still counted as caught up. Default ${DEFAULT_LAG_THRESHOLD.seconds}.`,
              minimum: 0,
              maximum: 86400,
              default: DEFAULT_LAG_THRESHOLD.seconds,
            }),
          ),
        },
        {
          description: 'Ready is True only while lag is at or under both limits.',
          default: { ...DEFAULT_LAG_THRESHOLD },
        },
      ),
    ),
    slotRetentionBudgetBytes: Type.Optional(
      Type.Integer({
        description:
          'WAL in bytes the source slot may hold back before the SlotRetention condition turns False (a stuck ' +
          `subscriber fills the source disk). Default ${DEFAULT_SLOT_RETENTION_BUDGET} (10 GiB).`,
        format: 'int64',
        minimum: 0,
        default: DEFAULT_SLOT_RETENTION_BUDGET,
      }),
    ),
    validationInterval: Type.Optional(
      durationField({
        path: 'spec.validationInterval',
        description:
          'Validate the schemas row by row this often while Ready (a schedule); unset: only on request, by setting the ' +
          'annotation tenantshift.io/validate to a new value.',
        min: '1m',
        max: '720h',
      }),
    ),
  },
  {
    description: 'What to replicate, from where to where.',
    ...celRules(
      {
        rule: "!has(self.replicaIdentityFull) || self.replicaIdentityFull.all(t, self.schemas.exists(s, t.startsWith(s + '.')))",
        messageExpression:
          `'spec.replicaIdentityFull entries must be schema.table with a schema from spec.schemas, got "' + ` +
          `self.replicaIdentityFull.filter(t, !self.schemas.exists(s, t.startsWith(s + '.')))[0] + '"'`,
        fieldPath: '.replicaIdentityFull',
      },
      {
        rule: '!self.copyRoleVerifiers || self.copyRoles',
        message: 'spec.copyRoleVerifiers requires spec.copyRoles: true',
        fieldPath: '.copyRoleVerifiers',
      },
    ),
  },
);

const count = (description: string) => Type.Integer({ description, format: 'int32', minimum: 0 });
const pgName = (description: string) => Type.String({ description, maxLength: 63 });

export const SchemaReplicationStatusSchema = Type.Object(
  {
    observedGeneration: Type.Optional(observedGeneration()),
    conditions: Type.Optional(conditions('Ready=True: every table is streaming and lag is within spec.lagThreshold.')),
    phase: Type.Optional(phase('Pending, CopyingSchema, Syncing, Streaming, Suspended, TargetServing, Deleting')),
    lag: Type.Optional(
      Type.Object(
        {
          bytes: Type.Optional(Type.Integer({ description: 'WAL bytes the target is behind the source.', format: 'int64', minimum: 0 })),
          seconds: Type.Optional(Type.Integer({ description: 'Seconds the target is behind the source.', format: 'int64', minimum: 0 })),
        },
        { description: 'Replication lag at the last observation.' },
      ),
    ),
    tables: Type.Optional(
      Type.Object(
        {
          total: Type.Optional(count('Tables in the replicated schemas.')),
          ready: Type.Optional(count('Tables whose initial copy is done and that are streaming.')),
          copying: Type.Optional(count('Tables whose initial copy is in progress.')),
        },
        { description: 'Table synchronisation progress.' },
      ),
    ),
    slot: Type.Optional(
      Type.Object(
        {
          exists: Type.Optional(Type.Boolean({ description: 'Whether the slot exists on the source.' })),
          active: Type.Optional(Type.Boolean({ description: 'Whether a WAL sender is streaming from the slot.' })),
          retainedBytes: Type.Optional(
            Type.Integer({ description: 'WAL bytes the slot holds back on the source.', format: 'int64', minimum: 0 }),
          ),
        },
        { description: 'The logical replication slot on the source.' },
      ),
    ),
    subscriptionOid: Type.Optional(
      Type.Integer({
        description: 'OID of the subscription on the target; names its table-sync slots on the source for cleanup.',
        format: 'int64',
        minimum: 0,
      }),
    ),
    postDataSchemas: Type.Optional(
      Type.Array(pgName('A schema name.'), {
        description: 'Schemas whose post-data (secondary indexes, foreign keys, triggers) exists on the target.',
        maxItems: 64,
      }),
    ),
    sourceFingerprint: Type.Optional(
      Type.String({ description: 'Digest of the source schema definitions last seen; a change means drift.', maxLength: 128 }),
    ),
    warnings: Type.Optional(
      Type.Array(Type.String({ description: 'One finding.', maxLength: 1024 }), {
        description: 'Findings of the last preflight that do not block replication.',
        maxItems: 32,
      }),
    ),
    validation: Type.Optional(
      Type.Object(
        {
          state: Type.String({
            description: 'Running while a validation runs, else Done or Failed (it could not compare).',
            maxLength: 16,
          }),
          requestToken: Type.Optional(
            Type.String({ description: 'The tenantshift.io/validate annotation value this run answered.', maxLength: 128 }),
          ),
          result: Type.Optional(
            Type.String({
              description: 'identical, different or inconclusive (rows kept changing or the target could not catch up).',
              maxLength: 16,
            }),
          ),
          startedAt: Type.Optional(Type.String({ description: 'When the run began.', format: 'date-time' })),
          finishedAt: Type.Optional(Type.String({ description: 'When the run ended.', format: 'date-time' })),
          rowsCompared: Type.Optional(Type.Integer({ description: 'Source rows compared.', format: 'int64', minimum: 0 })),
          ranges: Type.Optional(Type.Integer({ description: 'Primary-key ranges hashed on both sides.', format: 'int64', minimum: 0 })),
          differences: Type.Optional(
            Type.Integer({ description: 'Rows that differ (persisting beyond replication lag).', format: 'int64', minimum: 0 }),
          ),
          tables: Type.Optional(
            Type.Array(
              Type.Object(
                {
                  table: Type.String({ description: 'Qualified table name.', maxLength: 300 }),
                  rows: Type.Integer({ description: 'Source rows.', format: 'int64', minimum: 0 }),
                  ranges: Type.Integer({ description: 'Ranges compared.', format: 'int64', minimum: 0 }),
                  mismatches: Type.Integer({ description: 'Ranges whose hashes differed at first.', format: 'int64', minimum: 0 }),
                  differences: Type.Integer({ description: 'Rows that differ.', format: 'int64', minimum: 0 }),
                },
                { description: 'One table of the last validation.' },
              ),
              { description: 'Per table results (bounded).', maxItems: 200 },
            ),
          ),
          firstDifferences: Type.Optional(
            Type.Array(Type.String({ description: 'One difference: table, primary key and what differs.', maxLength: 512 }), {
              description: 'The first differences; the full list is in the ConfigMap named in fullReport.',
              maxItems: 20,
            }),
          ),
          fullReport: Type.Optional(
            Type.String({ description: 'ConfigMap (same namespace) holding every difference of the last run.', maxLength: 253 }),
          ),
          message: Type.Optional(Type.String({ description: 'Why the run could not compare, when state is Failed.', maxLength: 1024 })),
        },
        {
          description:
            'The last row-by-row validation of the tenant schemas (requested with the tenantshift.io/validate annotation or by spec.validationInterval).',
        },
      ),
    ),
    bytesCopied: Type.Optional(
      Type.Integer({
        description: 'Bytes the initial copy has put on the target: finished tables plus the running table-sync COPYs.',
        format: 'int64',
        minimum: 0,
      }),
    ),
    targetServingSince: Type.Optional(
      Type.String({
        description: 'When a TenantCutover switched the tenant to the target: a full validation over the reverse replication follows.',
        format: 'date-time',
      }),
    ),
    sourceServer: Type.Optional(
      Type.String({
        description: 'host:port of the source server (no credentials): initial copies are limited per source.',
        maxLength: 300,
      }),
    ),
    publicationName: Type.Optional(pgName('Name of the publication on the source.')),
    slotName: Type.Optional(pgName('Name of the logical replication slot on the source.')),
    subscriptionName: Type.Optional(pgName('Name of the subscription on the target.')),
  },
  { description: 'Observed state, written by the operator.' },
);

export type SchemaReplicationSpec = Static<typeof SchemaReplicationSpecSchema>;
export type SchemaReplicationStatus = Static<typeof SchemaReplicationStatusSchema>;

export interface SchemaReplication {
  apiVersion: typeof API_VERSION;
  kind: typeof SchemaReplicationNames.kind;
  metadata: V1ObjectMeta;
  spec: SchemaReplicationSpec;
  status?: SchemaReplicationStatus;
}

export const SchemaReplicationDefinition: KindDefinition = {
  names: SchemaReplicationNames,
  description:
    "SchemaReplication keeps a tenant's schemas continuously copied from a source PostgreSQL server to a " +
    'target (schema DDL, publication and slot on the source, subscription on the target), and reports lag.',
  spec: SchemaReplicationSpecSchema,
  status: SchemaReplicationStatusSchema,
  printerColumns: [
    { name: 'Tenant', type: 'string', jsonPath: '.spec.tenant', description: 'Tenant being replicated.' },
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', description: 'Ready condition.' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Progress summary.' },
    { name: 'Tables', type: 'integer', jsonPath: '.status.tables.ready', description: 'Tables streaming.' },
    { name: 'Total', type: 'integer', jsonPath: '.status.tables.total', description: 'Tables in the schemas.', priority: 1 },
    { name: 'Lag-Bytes', type: 'integer', jsonPath: '.status.lag.bytes', description: 'WAL bytes behind the source.' },
    { name: 'Lag-Seconds', type: 'integer', jsonPath: '.status.lag.seconds', description: 'Seconds behind the source.', priority: 1 },
    {
      name: 'Copied-Bytes',
      type: 'integer',
      jsonPath: '.status.bytesCopied',
      description: 'Bytes of the initial copy on the target.',
      priority: 1,
    },
    {
      name: 'Validation',
      type: 'string',
      jsonPath: '.status.validation.result',
      description: 'Result of the last row-by-row validation.',
      priority: 1,
    },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
};
