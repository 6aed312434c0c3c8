// The LandingZone kind: the governed AWS foundation a tenant lands in (network, Transit Gateway,
// RDS for PostgreSQL). TypeScript types, JSON schema and CEL guardrails; crds/ is generated from it.
import { Type, type Static } from '@sinclair/typebox';
import type { V1ObjectMeta } from '@kubernetes/client-node';
import { ipv4CidrField } from './cidr.js';
import { API_VERSION, celRules, conditions, deletionPolicy, objectName, observedGeneration, stringEnum } from './common.js';
import type { KindDefinition } from './crd.js';

export const LandingZoneNames = {
  kind: 'LandingZone',
  listKind: 'LandingZoneList',
  plural: 'landingzones',
  singular: 'landingzone',
  shortNames: ['lz'],
} as const;

export const TIERS = ['production', 'development'] as const;
export const STORAGE_TYPES = ['gp3', 'io1', 'io2'] as const;
export const MASTER_PASSWORD_MODES = ['operator', 'aws'] as const;
export const MIN_ENGINE_MAJOR = 15;

// [.] rather than an escaped dot: the pattern is also embedded in a CEL string literal.
const ENGINE_VERSION_PATTERN = '^[0-9]{1,3}([.][0-9]{1,4}){0,2}$';
const flag = (description: string, value: boolean) => Type.Optional(Type.Boolean({ description, default: value }));

const SubnetSchema = Type.Object(
  {
    availabilityZone: Type.String({
      description: 'Availability zone name in spec.region, e.g. eu-west-1a. One subnet per zone.',
      minLength: 1,
      maxLength: 64,
      pattern: '^[a-z]{2}(-[a-z0-9]+)+$',
    }),
    cidr: ipv4CidrField({
      path: 'spec.network.subnets[].cidr',
      description: 'Address range of this private subnet, inside spec.network.vpcCidr.',
      minPrefix: 16,
      maxPrefix: 28,
    }),
  },
  { description: 'A private subnet for the database.' },
);

const cidrList = (path: string, description: string, forbidEveryAddress = false) =>
  Type.Array(ipv4CidrField({ path, description: 'One network.', forbidEveryAddress }), {
    description,
    maxItems: 32,
    'x-kubernetes-list-type': 'set',
  });

const NetworkSchema = Type.Object(
  {
    vpcCidr: ipv4CidrField({
      path: 'spec.network.vpcCidr',
      description: 'Primary address range of the VPC. Immutable.',
      minPrefix: 16,
      maxPrefix: 28,
    }),
    subnets: Type.Array(SubnetSchema, {
      description: 'Private subnets for the DB subnet group: 2 to 16, each in its own availability zone, not overlapping.',
      minItems: 2,
      maxItems: 16,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['availabilityZone'],
      ...celRules({
        rule:
          'self.all(a, self.all(b, a.availabilityZone == b.availabilityZone || !isCIDR(a.cidr) || ' +
          '!isCIDR(b.cidr) || !cidr(a.cidr).containsCIDR(b.cidr)))',
        message: 'spec.network.subnets must not overlap each other',
      }),
    }),
    allowedCidrs: Type.Optional(
      cidrList(
        'spec.network.allowedCidrs[]',
        'Networks allowed to reach PostgreSQL (port 5432) through the security group, e.g. the legacy site over the Transit Gateway. Never 0.0.0.0/0.',
        true,
      ),
    ),
    transitGateway: Type.Optional(
      Type.Object(
        {
          id: Type.String({
            description: 'ID of an existing Transit Gateway to attach the VPC to, e.g. tgw-0123456789abcdef0.',
            minLength: 5,
            maxLength: 21,
            pattern: '^tgw-[0-9a-f]+$',
          }),
          routes: Type.Optional(
            cidrList('spec.network.transitGateway.routes[]', 'Destinations routed from the subnets through the attachment.'),
          ),
        },
        { description: 'Attachment of the VPC to a Transit Gateway and the routes through it.' },
      ),
    ),
  },
  {
    description: 'The VPC and its private subnets.',
    // Messages map to strings before filtering: indexing a list of objects loses the length bound
    // and the apiserver's CEL cost estimate of the message becomes unbounded.
    ...celRules({
      rule: '!isCIDR(self.vpcCidr) || self.subnets.all(s, !isCIDR(s.cidr) || cidr(self.vpcCidr).containsCIDR(s.cidr))',
      messageExpression:
        `'spec.network.subnets[].cidr must lie inside spec.network.vpcCidr ' + self.vpcCidr + ', got "' + ` +
        `self.subnets.map(s, s.cidr).filter(c, isCIDR(c) && !cidr(self.vpcCidr).containsCIDR(c))[0] + '"'`,
      fieldPath: '.subnets',
    }),
  },
);

const StorageSchema = Type.Object(
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

const DatabaseSchema = Type.Object(
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

export const LandingZoneSpecSchema = Type.Object(
  {
    region: Type.String({
      description: 'AWS region of everything in this landing zone, e.g. eu-west-1. Immutable.',
      minLength: 1,
      maxLength: 32,
      pattern: '^[a-z]{2}(-[a-z]+)+-[0-9]+$',
      ...celRules({ rule: 'self == oldSelf', message: 'spec.region is immutable' }),
    }),
    network: NetworkSchema,
    database: DatabaseSchema,
    connectionSecretName: objectName(
      'Secret the operator writes in this namespace with host, port, dbname, user, password, sslmode and ' + 'sslrootcert of the database.',
    ),
    deletionPolicy: Type.Optional(deletionPolicy('the AWS resources this LandingZone created (database, groups, network)')),
  },
  {
    description: 'The AWS network and database to converge.',
    ...celRules(
      {
        rule: 'self.network.vpcCidr == oldSelf.network.vpcCidr',
        message: 'spec.network.vpcCidr is immutable',
        fieldPath: '.network.vpcCidr',
      },
      {
        rule: 'self.network.subnets.all(s, s.availabilityZone.startsWith(self.region))',
        messageExpression:
          `'spec.network.subnets[].availabilityZone must be in spec.region ' + self.region + ', got "' + ` +
          `self.network.subnets.map(s, s.availabilityZone).filter(z, !z.startsWith(self.region))[0] + '"'`,
        fieldPath: '.network.subnets',
      },
    ),
  },
);

const awsId = (description: string) => Type.String({ description, maxLength: 64 });

export const LandingZoneStatusSchema = Type.Object(
  {
    observedGeneration: Type.Optional(observedGeneration()),
    conditions: Type.Optional(conditions('Ready=True: the network, the database and its connection Secret match the spec.')),
    vpcId: Type.Optional(awsId('ID of the VPC.')),
    subnetIds: Type.Optional(
      Type.Array(awsId('A subnet ID.'), { description: 'IDs of the private subnets, in spec order.', maxItems: 16 }),
    ),
    securityGroupId: Type.Optional(awsId('ID of the security group of the database.')),
    transitGatewayAttachmentId: Type.Optional(awsId('ID of the Transit Gateway VPC attachment.')),
    dbSubnetGroupName: Type.Optional(Type.String({ description: 'Name of the DB subnet group.', maxLength: 255 })),
    parameterGroupName: Type.Optional(Type.String({ description: 'Name of the DB parameter group.', maxLength: 255 })),
    database: Type.Optional(
      Type.Object(
        {
          identifier: Type.Optional(Type.String({ description: 'DB instance identifier.', maxLength: 63 })),
          endpoint: Type.Optional(Type.String({ description: 'Host name clients connect to.', maxLength: 253 })),
          port: Type.Optional(Type.Integer({ description: 'Port clients connect to.', format: 'int32', minimum: 0, maximum: 65535 })),
          status: Type.Optional(Type.String({ description: 'RDS instance status, e.g. creating, available, modifying.', maxLength: 64 })),
        },
        { description: 'The database instance as RDS reports it.' },
      ),
    ),
  },
  { description: 'Observed state, written by the operator.' },
);

export type LandingZoneSpec = Static<typeof LandingZoneSpecSchema>;
export type LandingZoneStatus = Static<typeof LandingZoneStatusSchema>;
export type LandingZoneSubnet = Static<typeof SubnetSchema>;
export type LandingZoneStorage = Static<typeof StorageSchema>;

export interface LandingZone {
  apiVersion: typeof API_VERSION;
  kind: typeof LandingZoneNames.kind;
  metadata: V1ObjectMeta;
  spec: LandingZoneSpec;
  status?: LandingZoneStatus;
}

export const LandingZoneDefinition: KindDefinition = {
  names: LandingZoneNames,
  description:
    'LandingZone declares the governed AWS foundation a tenant lands in: VPC, private subnets, security group, ' +
    'Transit Gateway attachment and routes, and a Multi-AZ RDS for PostgreSQL instance with logical replication.',
  spec: LandingZoneSpecSchema,
  status: LandingZoneStatusSchema,
  printerColumns: [
    { name: 'Region', type: 'string', jsonPath: '.spec.region', description: 'AWS region.' },
    { name: 'Database', type: 'string', jsonPath: '.spec.database.identifier', description: 'DB instance identifier.' },
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', description: 'Ready condition.' },
    { name: 'DB-Status', type: 'string', jsonPath: '.status.database.status', description: 'RDS instance status.' },
    { name: 'Endpoint', type: 'string', jsonPath: '.status.database.endpoint', description: 'Database host.', priority: 1 },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
};
