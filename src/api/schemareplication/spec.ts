// SchemaReplication spec: which schemas of which tenant to copy, from where to where, and the lag that counts as caught up.
import { Type } from '@sinclair/typebox';
import { celRules, deletionPolicy, localRef, secretRef, stringEnum } from '../common.js';
import { durationField } from '../duration.js';

export const DEFAULT_LAG_THRESHOLD = { bytes: 64 * 1024 * 1024, seconds: 30 } as const;
export const DEFAULT_SLOT_RETENTION_BUDGET = 10 * 1024 ** 3;

// PostgreSQL truncates identifiers to 63 bytes (NAMEDATALEN - 1), not characters: a longer name would
// mean another schema on the server (deletion once dropped one). Any other character is allowed.
const schemaName = Type.String({
  description:
    'A schema name exactly as in pg_namespace (case-sensitive, unquoted), at most 63 bytes in UTF-8. Not a system schema and ' +
    "not tenantshift (the operator's own); public is allowed (a whole-database move) and never dropped.",
  minLength: 1,
  maxLength: 63,
  ...celRules(
    {
      rule: "!self.startsWith('pg_') && self != 'information_schema'",
      messageExpression: `'spec.schemas must not name a system schema (pg_*, information_schema), got "' + self + '"'`,
    },
    {
      rule: "self != 'tenantshift'",
      message: 'spec.schemas must not name tenantshift: it is the schema the operator keeps its own tables in on both servers',
    },
    {
      // A messageExpression naming the size costs too much for the API server's estimate: a fixed message.
      rule: 'size(bytes(self)) <= 63',
      message: 'spec.schemas: a schema name is at most 63 bytes in UTF-8 (PostgreSQL truncates a longer one to another name)',
    },
  ),
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
        'the copied schemas from the target, unless the target has served the tenant (status.targetServingSince): a copy ' +
          'that served is never dropped, and public never is. The replication artifacts of both directions (publications, ' +
          'slots, subscriptions) are removed either way, because a forgotten slot fills a disk',
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
    extraSequences: Type.Optional(
      Type.Array(
        Type.String({
          description: 'A sequence as schema.sequence (exact, unquoted names).',
          minLength: 3,
          maxLength: 127,
          pattern: '^[^.]+[.].+$',
        }),
        {
          description:
            'Sequences the application uses through nextval() in its own code that live outside spec.schemas (a sequence ' +
            "in spec.schemas, or named by a tenant table's DEFAULT anywhere, is covered already), each as schema.sequence. " +
            'The operator creates a missing one on the target (same type, increment, bounds, cache, cycle) and every move ' +
            "sets it past the serving side's value like the tenant's own. One that does not exist on the source blocks Ready " +
            '(SequenceNotFound).',
          maxItems: 256,
          'x-kubernetes-list-type': 'set',
        },
      ),
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
    subscriptionSslFallback: Type.Optional(
      stringEnum(['None', 'Require'] as const, {
        description:
          'What a subscription (this replication, and the way back of its TenantCutover) does when its publisher’s Secret ' +
          'asks sslmode verify-ca or verify-full but names no subscriber-sslrootcert-path (the CA file on the subscribing ' +
          'server): None waits with the condition SubscriberCannotVerify; Require connects encrypted without verifying ' +
          'the server. Default None.',
        default: 'None',
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
