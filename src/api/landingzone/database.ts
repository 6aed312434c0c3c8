// LandingZone spec.database: the RDS for PostgreSQL instance and its storage.
import { Type } from '@sinclair/typebox';
import { celRules, stringEnum } from '../common.js';

export const TIERS = ['production', 'development'] as const;
export const STORAGE_TYPES = ['gp3', 'io1', 'io2'] as const;
export const MASTER_PASSWORD_MODES = ['operator', 'aws'] as const;
export const MIN_ENGINE_MAJOR = 15;

// [.] rather than an escaped dot: the pattern is also embedded in a CEL string literal.
const ENGINE_VERSION_PATTERN = '^[0-9]{1,3}([.][0-9]{1,4}){0,2}$';
const flag = (description: string, value: boolean) => Type.Optional(Type.Boolean({ description, default: value }));

export const StorageSchema = Type.Object(
  {
    type: Type.Optional(stringEnum(STORAGE_TYPES, { description: 'EBS volume type: gp3 (default), io1 or io2.', default: 'gp3' })),
    allocatedGiB: Type.Integer({
      description: 'Allocated storage in GiB, 20 to 65536 (io1/io2: at least 100).',
      format: 'int32',
      minimum: 20,
      maximum: 65536,
    }),
    iops: Type.Optional(
      Type.Integer({
        description: 'Provisioned IOPS. Required for io1/io2; for gp3 only from 400 GiB (below, the baseline is 3000).',
        format: 'int32',
        minimum: 1000,
        maximum: 256000,
      }),
    ),
    throughputMiBps: Type.Optional(
      Type.Integer({
        description: 'Provisioned throughput in MiB/s; gp3 only, from 400 GiB (below, the baseline is 125).',
        format: 'int32',
        minimum: 125,
        maximum: 4000,
      }),
    ),
  },
  {
    description: 'Storage of the database instance.',
    ...celRules(
      {
        rule: "!has(self.iops) || self.type in ['gp3', 'io1', 'io2']",
        messageExpression: "'spec.database.storage.iops is not valid with type ' + self.type",
        fieldPath: '.iops',
        reason: 'FieldValueForbidden',
      },
      {
        rule: "!(self.type in ['io1', 'io2']) || has(self.iops)",
        messageExpression: "'spec.database.storage.iops is required with type ' + self.type",
        fieldPath: '.iops',
        reason: 'FieldValueRequired',
      },
      {
        rule: "!has(self.throughputMiBps) || self.type == 'gp3'",
        messageExpression: "'spec.database.storage.throughputMiBps is only valid with type gp3, not ' + self.type",
        fieldPath: '.throughputMiBps',
        reason: 'FieldValueForbidden',
      },
      {
        rule: "self.type != 'gp3' || self.allocatedGiB >= 400 || (!has(self.iops) && !has(self.throughputMiBps))",
        message: 'spec.database.storage.allocatedGiB must be at least 400 to set iops or throughputMiBps with gp3',
        fieldPath: '.allocatedGiB',
      },
      {
        rule: "!(self.type in ['io1', 'io2']) || self.allocatedGiB >= 100",
        messageExpression: "'spec.database.storage.allocatedGiB must be at least 100 with type ' + self.type",
        fieldPath: '.allocatedGiB',
      },
    ),
  },
);

export const DatabaseSchema = Type.Object(
  {
    identifier: Type.String({
      description: 'RDS DB instance identifier: 1 to 63 lowercase letters, digits and single hyphens, starting with a letter. Immutable.',
      minLength: 1,
      maxLength: 63,
      pattern: '^[a-z](-?[a-z0-9])*$',
      ...celRules({ rule: 'self == oldSelf', message: 'spec.database.identifier is immutable' }),
    }),
    engineVersion: Type.String({
      description: `PostgreSQL engine version, major ${MIN_ENGINE_MAJOR} or later, e.g. "15" or "16.4".`,
      minLength: 1,
      maxLength: 16,
      pattern: ENGINE_VERSION_PATTERN,
      ...celRules({
        rule: `!self.matches('${ENGINE_VERSION_PATTERN}') || int(self.split('.')[0]) >= ${MIN_ENGINE_MAJOR}`,
        messageExpression: `'spec.database.engineVersion must be PostgreSQL ${MIN_ENGINE_MAJOR} or later, got "' + self + '"'`,
      }),
    }),
    instanceClass: Type.String({
      description: 'RDS instance class, e.g. db.r6g.xlarge.',
      minLength: 1,
      maxLength: 32,
      pattern: '^db\\.[a-z0-9]+\\.[a-z0-9]+$',
    }),
    tier: Type.Optional(
      stringEnum(TIERS, {
        description: 'production (default) or development. production requires multiAZ and deletionProtection to be true.',
        default: 'production',
      }),
    ),
    multiAZ: flag('Run a standby in a second availability zone (Multi-AZ). Default true.', true),
    storage: StorageSchema,
    storageEncrypted: flag('Encrypt storage at rest. Default true; false is refused.', true),
    parameters: Type.Optional(
      Type.Record(Type.String(), Type.String({ description: 'Parameter value as RDS takes it.', maxLength: 256 }), {
        description:
          'Extra parameters for the instance parameter group, e.g. max_replication_slots: "40". The logical ' +
          'replication parameters are always set by the operator.',
        maxProperties: 64,
        ...celRules({
          rule: "!('rds.logical_replication' in self) || self['rds.logical_replication'] == '1'",
          message: 'spec.database.parameters must not turn rds.logical_replication off: replication needs it',
        }),
      }),
    ),
    allowReboot: flag(
      'Allow the operator to reboot the instance to apply static parameter changes. Default false: they wait, ' +
        'reported by a condition.',
      false,
    ),
    masterPassword: Type.Optional(
      stringEnum(MASTER_PASSWORD_MODES, {
        description:
          'Who keeps the master password: operator (default; generated into a Secret) or aws (RDS ' +
          'ManageMasterUserPassword, in Secrets Manager).',
        default: 'operator',
      }),
    ),
    deletionProtection: flag('Turn on RDS deletion protection. Default true.', true),
  },
  {
    description: 'The RDS for PostgreSQL instance.',
    ...celRules(
      {
        rule: "self.tier != 'production' || self.multiAZ",
        message: 'spec.database.multiAZ must be true when spec.database.tier is production',
        fieldPath: '.multiAZ',
      },
      {
        rule: "self.tier != 'production' || self.deletionProtection",
        message: 'spec.database.deletionProtection must be true when spec.database.tier is production',
        fieldPath: '.deletionProtection',
      },
      {
        rule: 'self.storageEncrypted',
        message: 'spec.database.storageEncrypted must be true: unencrypted storage is refused',
        fieldPath: '.storageEncrypted',
      },
    ),
  },
);
