// The RDS for PostgreSQL instance through the RDS API: a plain record of what RDS reports (including
// pending modifications, so a change already asked for is not asked again) and the calls that change it.
import {
  CreateDBInstanceCommand,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
  RebootDBInstanceCommand,
  type DBInstance,
  type ModifyDBInstanceMessage,
  type RDSClient,
  type Tag,
} from '@aws-sdk/client-rds';
import { awsCall, isAwsError } from './errors.js';
import { tagMap, type TagMap } from './tags.js';

export type StorageType = 'gp3' | 'io1' | 'io2';

export interface StorageSettings {
  type: string;
  allocatedGiB: number;
  iops?: number;
  throughputMiBps?: number;
}

/** What the operator decides about an instance; the same shape for create and for comparison. */
export interface InstanceSettings {
  instanceClass: string;
  engineVersion: string;
  multiAZ: boolean;
  storage: StorageSettings;
  deletionProtection: boolean;
  securityGroupIds: string[];
  parameterGroupName: string;
}

export interface PendingValues {
  instanceClass?: string;
  engineVersion?: string;
  multiAZ?: boolean;
  storageType?: string;
  allocatedGiB?: number;
  iops?: number;
  throughputMiBps?: number;
  masterPassword: boolean;
}

export interface DbInstanceInfo {
  identifier: string;
  /** DbiResourceId: unique per instance ever created, unlike the identifier. */
  resourceId: string;
  status: string;
  engineVersion: string;
  instanceClass: string;
  multiAZ: boolean;
  storage: StorageSettings;
  storageEncrypted: boolean;
  deletionProtection: boolean;
  publiclyAccessible: boolean;
  endpoint?: { address: string; port: number };
  subnetGroupName: string;
  /** The subnets of its DB subnet group, as DescribeDBInstances reports them (saves a describe). */
  subnetGroupSubnetIds: string[];
  securityGroupIds: string[];
  parameterGroups: { name: string; applyStatus: string }[];
  masterUsername: string;
  dbName: string;
  managedMasterSecretArn?: string;
  pending: PendingValues;
  tags: TagMap;
}

/** `{ [key]: value }` when value is defined, else `{}` (for spreading optional fields). */
function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value !== undefined ? ({ [key]: value } as Record<K, V>) : {};
}

function instanceIdentity(d: DBInstance): Pick<DbInstanceInfo, 'identifier' | 'resourceId' | 'status' | 'engineVersion' | 'instanceClass'> {
  return {
    identifier: d.DBInstanceIdentifier ?? '',
    resourceId: d.DbiResourceId ?? '',
    status: d.DBInstanceStatus ?? '',
    engineVersion: d.EngineVersion ?? '',
    instanceClass: d.DBInstanceClass ?? '',
  };
}

function storageOf(d: DBInstance): StorageSettings {
  return {
    type: d.StorageType ?? '',
    allocatedGiB: d.AllocatedStorage ?? 0,
    ...optional('iops', d.Iops),
    ...optional('throughputMiBps', d.StorageThroughput),
  };
}

function endpointOf(d: DBInstance): Pick<DbInstanceInfo, 'endpoint'> {
  return d.Endpoint?.Address ? { endpoint: { address: d.Endpoint.Address, port: d.Endpoint.Port ?? 5432 } } : {};
}

function subnetGroupOf(d: DBInstance): Pick<DbInstanceInfo, 'subnetGroupName' | 'subnetGroupSubnetIds'> {
  return {
    subnetGroupName: d.DBSubnetGroup?.DBSubnetGroupName ?? '',
    subnetGroupSubnetIds: (d.DBSubnetGroup?.Subnets ?? []).map((s) => s.SubnetIdentifier ?? '').filter(Boolean),
  };
}

function securityGroupIdsOf(d: DBInstance): string[] {
  return (d.VpcSecurityGroups ?? []).filter((g) => g.Status !== 'removing').map((g) => g.VpcSecurityGroupId ?? '');
}

function parameterGroupsOf(d: DBInstance): DbInstanceInfo['parameterGroups'] {
  return (d.DBParameterGroups ?? []).map((g) => ({
    name: g.DBParameterGroupName ?? '',
    applyStatus: g.ParameterApplyStatus ?? '',
  }));
}

function masterCredentialsOf(d: DBInstance): Pick<DbInstanceInfo, 'masterUsername' | 'dbName' | 'managedMasterSecretArn'> {
  return {
    masterUsername: d.MasterUsername ?? '',
    dbName: d.DBName ?? '',
    ...(d.MasterUserSecret?.SecretArn ? { managedMasterSecretArn: d.MasterUserSecret.SecretArn } : {}),
  };
}

function pendingOf(d: DBInstance): PendingValues {
  const p = d.PendingModifiedValues ?? {};
  return {
    ...optional('instanceClass', p.DBInstanceClass),
    ...optional('engineVersion', p.EngineVersion),
    ...optional('multiAZ', p.MultiAZ),
    ...optional('storageType', p.StorageType),
    ...optional('allocatedGiB', p.AllocatedStorage),
    ...optional('iops', p.Iops),
    ...optional('throughputMiBps', p.StorageThroughput),
    masterPassword: p.MasterUserPassword !== undefined,
  };
}

export function toInstance(d: DBInstance): DbInstanceInfo {
  return {
    ...instanceIdentity(d),
    multiAZ: d.MultiAZ === true,
    storage: storageOf(d),
    storageEncrypted: d.StorageEncrypted === true,
    deletionProtection: d.DeletionProtection === true,
    publiclyAccessible: d.PubliclyAccessible === true,
    ...endpointOf(d),
    ...subnetGroupOf(d),
    securityGroupIds: securityGroupIdsOf(d),
    parameterGroups: parameterGroupsOf(d),
    ...masterCredentialsOf(d),
    pending: pendingOf(d),
    tags: tagMap(d.TagList),
  };
}

/** The modifications a plan asks for; every field optional, sent with ApplyImmediately. */
export interface InstanceChanges {
  instanceClass?: string;
  engineVersion?: string;
  multiAZ?: boolean;
  storage?: StorageSettings;
  deletionProtection?: boolean;
  publiclyAccessible?: boolean;
  securityGroupIds?: string[];
  parameterGroupName?: string;
  manageMasterUserPassword?: boolean;
}

export function modifyMessage(identifier: string, c: InstanceChanges): ModifyDBInstanceMessage {
  const m: ModifyDBInstanceMessage = { DBInstanceIdentifier: identifier, ApplyImmediately: true };
  if (c.instanceClass !== undefined) m.DBInstanceClass = c.instanceClass;
  if (c.engineVersion !== undefined) m.EngineVersion = c.engineVersion;
  if (c.multiAZ !== undefined) m.MultiAZ = c.multiAZ;
  if (c.storage !== undefined) {
    m.StorageType = c.storage.type;
    m.AllocatedStorage = c.storage.allocatedGiB;
    if (c.storage.iops !== undefined) m.Iops = c.storage.iops;
    if (c.storage.throughputMiBps !== undefined) m.StorageThroughput = c.storage.throughputMiBps;
  }
  if (c.deletionProtection !== undefined) m.DeletionProtection = c.deletionProtection;
  if (c.publiclyAccessible !== undefined) m.PubliclyAccessible = c.publiclyAccessible;
  if (c.securityGroupIds !== undefined) m.VpcSecurityGroupIds = c.securityGroupIds;
  if (c.parameterGroupName !== undefined) m.DBParameterGroupName = c.parameterGroupName;
  if (c.manageMasterUserPassword !== undefined) m.ManageMasterUserPassword = c.manageMasterUserPassword;
  return m;
}

export interface CreateInstanceInput {
  identifier: string;
  settings: InstanceSettings;
  subnetGroupName: string;
  dbName: string;
  masterUsername: string;
  /** Operator-kept password, or undefined for ManageMasterUserPassword (AWS Secrets Manager). */
  masterPassword?: string;
  tags: Tag[];
}

export class DbInstances {
  constructor(private readonly rds: RDSClient) {}

  async describe(identifier: string): Promise<DbInstanceInfo | undefined> {
    try {
      const out = await awsCall('DescribeDBInstances', () =>
        this.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier })),
      );
      const d = out.DBInstances?.[0];
      return d ? toInstance(d) : undefined;
    } catch (e) {
      if (isAwsError(e, 'not-found')) return undefined;
      throw e;
    }
  }

  async create(input: CreateInstanceInput): Promise<DbInstanceInfo> {
    const s = input.settings;
    const out = await awsCall('CreateDBInstance', () =>
      this.rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: input.identifier,
          Engine: 'postgres',
          EngineVersion: s.engineVersion,
          DBInstanceClass: s.instanceClass,
          MultiAZ: s.multiAZ,
          StorageType: s.storage.type,
          AllocatedStorage: s.storage.allocatedGiB,
          ...(s.storage.iops !== undefined ? { Iops: s.storage.iops } : {}),
          ...(s.storage.throughputMiBps !== undefined ? { StorageThroughput: s.storage.throughputMiBps } : {}),
          StorageEncrypted: true,
          DeletionProtection: s.deletionProtection,
          PubliclyAccessible: false,
          DBSubnetGroupName: input.subnetGroupName,
          DBParameterGroupName: s.parameterGroupName,
          VpcSecurityGroupIds: s.securityGroupIds,
          DBName: input.dbName,
          MasterUsername: input.masterUsername,
          ...(input.masterPassword === undefined ? { ManageMasterUserPassword: true } : { MasterUserPassword: input.masterPassword }),
          CopyTagsToSnapshot: true,
          Tags: input.tags,
        }),
      ),
    );
    return toInstance(out.DBInstance ?? {});
  }

  async modify(identifier: string, changes: InstanceChanges): Promise<void> {
    await awsCall('ModifyDBInstance', () => this.rds.send(new ModifyDBInstanceCommand(modifyMessage(identifier, changes))));
  }

  /** Sets an operator-kept master password; `leaveAwsManagement` when RDS managed it until now. */
  async setMasterPassword(identifier: string, password: string, leaveAwsManagement: boolean): Promise<void> {
    await awsCall('ModifyDBInstance', () =>
      this.rds.send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: identifier,
          MasterUserPassword: password,
          ...(leaveAwsManagement ? { ManageMasterUserPassword: false } : {}),
          ApplyImmediately: true,
        }),
      ),
    );
  }

  async reboot(identifier: string): Promise<void> {
    await awsCall('RebootDBInstance', () => this.rds.send(new RebootDBInstanceCommand({ DBInstanceIdentifier: identifier })));
  }

  async delete(identifier: string, finalSnapshotId: string): Promise<void> {
    await awsCall('DeleteDBInstance', () =>
      this.rds.send(
        new DeleteDBInstanceCommand({
          DBInstanceIdentifier: identifier,
          FinalDBSnapshotIdentifier: finalSnapshotId,
          DeleteAutomatedBackups: false,
        }),
      ),
    );
  }
}
