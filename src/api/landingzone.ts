// The LandingZone kind: the governed AWS foundation a tenant lands in (network, Transit Gateway,
// RDS for PostgreSQL). TypeScript types, JSON schema and CEL guardrails; crds/ is generated from it.
import { Type, type Static } from '@sinclair/typebox';
import type { V1ObjectMeta } from '@kubernetes/client-node';
import { DatabaseSchema, StorageSchema } from './landingzone/database.js';
import { NetworkSchema, SubnetSchema } from './landingzone/network.js';
import { API_VERSION, celRules, conditions, deletionPolicy, objectName, observedGeneration } from './common.js';
import type { KindDefinition } from './crd.js';
export const LandingZoneNames = {
  kind: 'LandingZone',
  listKind: 'LandingZoneList',
  plural: 'landingzones',
  singular: 'landingzone',
  shortNames: ['lz'],
} as const;

export { MASTER_PASSWORD_MODES, MIN_ENGINE_MAJOR, STORAGE_TYPES, TIERS } from './landingzone/database.js';

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
