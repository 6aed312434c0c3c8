// SchemaReplication status: tables, lag, slot and validation as observed by the operator.
import { Type } from '@sinclair/typebox';
import { conditions, observedGeneration, stringEnum } from '../common.js';

/** The phases the reconciler writes (a summary; no logic reads them). */
export const REPLICATION_PHASES = [
  'Pending',
  'Blocked',
  'CopyingSchema',
  'Syncing',
  'Streaming',
  'Suspended',
  'TargetServing',
  'Deleting',
] as const;

const count = (description: string) => Type.Integer({ description, format: 'int32', minimum: 0 });
const pgName = (description: string) => Type.String({ description, maxLength: 63 });

export const SchemaReplicationStatusSchema = Type.Object(
  {
    observedGeneration: Type.Optional(observedGeneration()),
    conditions: Type.Optional(conditions('Ready=True: every table is streaming and lag is within spec.lagThreshold.')),
    phase: Type.Optional(
      stringEnum(REPLICATION_PHASES, {
        description:
          'Short summary of progress for humans: Pending, Blocked (a condition of the world, see Ready), CopyingSchema, ' +
          'Syncing (initial copy), Streaming, Suspended, TargetServing (a TenantCutover switched the tenant), Deleting.',
      }),
    ),
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
            'The last row-by-row validation of the tenant schemas ' +
            '(requested with the tenantshift.io/validate annotation or by spec.validationInterval).',
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
        description:
          'When a TenantCutover switched the tenant to the target: a full validation over the reverse replication follows. Kept ' +
          'after that TenantCutover is deleted (the target still serves): forward replication then stays retired and deletion ' +
          "keeps the target's schemas whatever deletionPolicy says; cleared when the tenant is moved back.",
        format: 'date-time',
      }),
    ),
    targetSystemIdentifier: Type.Optional(
      Type.String({
        description:
          'System identifier of the target server: with subscriptionOid it names the table-sync slots of this subscription ' +
          'on the source (another subscriber can have the same oid), so cleanup drops only these.',
        pattern: '^[0-9]+$',
        maxLength: 20,
      }),
    ),
    sourceDatabase: Type.Optional(
      Type.String({
        description:
          'The source database as <system identifier>/<database name>: a schema is replicated by one SchemaReplication per ' +
          'source database (the oldest; a later one naming it is Blocked with SchemaClaimed).',
        maxLength: 100,
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
