// The reconciler against mocked EC2 and RDS clients (aws-sdk-client-mock), for what moto does not
// simulate: an instance creating → available, modifying, parameters pending a reboot, throttling, and
// RDS refusing a storage change while the last one settles.
import assert from 'node:assert/strict';
import {
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeTransitGatewayVpcAttachmentsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  DescribeDBInstancesCommand,
  DescribeDBParametersCommand,
  ModifyDBInstanceCommand,
  RebootDBInstanceCommand,
  RDSClient,
  type DBInstance,
} from '@aws-sdk/client-rds';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import type { LandingZone } from '../../../src/api/index.js';
import { landingZoneAws } from '../../../src/aws/index.js';
import { identityTags } from '../../../src/aws/tags.js';
import { desiredParameters, normalize } from '../../../src/reconcilers/landingzone/desired.js';
import {
  reconcileLandingZone,
  type LandingZoneContext,
  type ObjectMemory,
  type Outcome,
} from '../../../src/reconcilers/landingzone/index.js';
import { APPLIED_TO_ANNOTATION, ownedLabels } from '../../../src/reconcilers/landingzone/secrets.js';
import { EventLog, MemorySecretStore, sampleLandingZone, TGW } from './fixtures.js';

const ID = 'team-a/eu-west';
const tags = (part: Parameters<typeof identityTags>[1]) => identityTags(ID, part, part);

function dbInstance(over: Partial<DBInstance> = {}): DBInstance {
  return {
    DBInstanceIdentifier: 'wallets-eu',
    DbiResourceId: 'db-ABC',
    DBInstanceStatus: 'available',
    EngineVersion: '15.6',
    DBInstanceClass: 'db.r6g.xlarge',
    MultiAZ: true,
    StorageType: 'gp3',
    AllocatedStorage: 500,
    Iops: 12000,
    StorageThroughput: 500,
    StorageEncrypted: true,
    DeletionProtection: true,
    PubliclyAccessible: false,
    Endpoint: { Address: 'wallets-eu.abc.eu-west-1.rds.amazonaws.com', Port: 5432 },
    DBSubnetGroup: {
      DBSubnetGroupName: 'wallets-eu-subnets',
      Subnets: [{ SubnetIdentifier: 'subnet-a' }, { SubnetIdentifier: 'subnet-b' }],
    },
    VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-1', Status: 'active' }],
    DBParameterGroups: [{ DBParameterGroupName: 'wallets-eu-postgres15', ParameterApplyStatus: 'in-sync' }],
    MasterUsername: 'tenantshift_admin',
    DBName: 'postgres',
    TagList: tags('db-instance'),
    ...over,
  };
}

function awsError(name: string, status: number): Error {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } });
}

/** A converged network and parameter group; the instance is the test's. */
function mockNetwork(ec2: AwsClientStub<EC2Client>, rds: AwsClientStub<RDSClient>, lz: LandingZone): void {
  ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: 'vpc-1', CidrBlock: '10.40.0.0/16', State: 'available', Tags: tags('vpc') }] });
  ec2.on(DescribeSubnetsCommand).resolves({
    Subnets: [
      {
        SubnetId: 'subnet-a',
        VpcId: 'vpc-1',
        CidrBlock: '10.40.1.0/24',
        AvailabilityZone: 'eu-west-1a',
        MapPublicIpOnLaunch: false,
        Tags: tags('subnet'),
      },
      {
        SubnetId: 'subnet-b',
        VpcId: 'vpc-1',
        CidrBlock: '10.40.2.0/24',
        AvailabilityZone: 'eu-west-1b',
        MapPublicIpOnLaunch: false,
        Tags: tags('subnet'),
      },
    ],
  });
  ec2.on(DescribeRouteTablesCommand).resolves({
    RouteTables: [
      {
        RouteTableId: 'rtb-1',
        VpcId: 'vpc-1',
        Tags: tags('route-table'),
        Associations: [
          { RouteTableAssociationId: 'a-1', SubnetId: 'subnet-a', Main: false },
          { RouteTableAssociationId: 'a-2', SubnetId: 'subnet-b', Main: false },
        ],
        Routes: [
          { DestinationCidrBlock: '10.40.0.0/16', GatewayId: 'local', State: 'active' },
          { DestinationCidrBlock: '10.10.0.0/16', TransitGatewayId: TGW, State: 'active' },
        ],
      },
    ],
  });
  ec2.on(DescribeSecurityGroupsCommand).resolves({
    SecurityGroups: [
      {
        GroupId: 'sg-1',
        GroupName: 'wallets-eu-postgres',
        VpcId: 'vpc-1',
        Tags: tags('security-group'),
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '10.10.0.0/16' }] }],
      },
    ],
  });
  ec2.on(DescribeTransitGatewayVpcAttachmentsCommand).resolves({
    TransitGatewayVpcAttachments: [
      {
        TransitGatewayAttachmentId: 'tgw-attach-1',
        TransitGatewayId: TGW,
        VpcId: 'vpc-1',
        State: 'available',
        SubnetIds: ['subnet-a', 'subnet-b'],
        Tags: tags('transit-gateway-attachment'),
      },
    ],
  });
  const params = desiredParameters(normalize(lz.spec));
  rds
    .on(DescribeDBParametersCommand)
    .resolves({ Parameters: Object.entries(params).map(([ParameterName, ParameterValue]) => ({ ParameterName, ParameterValue })) });
}

describe('LandingZone reconcile with mocked AWS (state transitions)', () => {
  let ec2: AwsClientStub<EC2Client>;
  let rds: AwsClientStub<RDSClient>;
  let secrets: MemorySecretStore;
  let events: EventLog;
  let memory: ObjectMemory;
  let lz: LandingZone;

  let ctx: LandingZoneContext;
  beforeEach(async () => {
    const ec2Client = new EC2Client({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    const rdsClient = new RDSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    ec2 = mockClient(ec2Client);
    rds = mockClient(rdsClient);
    secrets = new MemorySecretStore();
    events = new EventLog();
    memory = {};
    lz = sampleLandingZone();
    mockNetwork(ec2, rds, lz);
    await secrets.write({
      name: 'eu-west-master',
      data: { username: 'tenantshift_admin', password: 'pw' },
      labels: ownedLabels('eu-west', 'master'),
      annotations: { [APPLIED_TO_ANNOTATION]: 'db-ABC' },
    });
    ctx = {
      aws: landingZoneAws({ ec2: ec2Client, rds: rdsClient }),
      secrets,
      events: events.sink,
      memory,
      now: () => new Date('2030-01-01T00:00:00Z'),
    };
  });

  const writes = (): string[] =>
    [...ec2.calls(), ...rds.calls()]
      .map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name.replace(/Command$/, ''))
      .filter((n) => !n.startsWith('Describe'));
  const condition = (o: Outcome, type: string) => o.status.conditions?.find((c) => c.type === type);
  const pass = async (): Promise<Outcome> => {
    const out = await reconcileLandingZone(lz, ctx);
    lz = { ...lz, status: out.status };
    return out;
  };

  it('waits while the instance is creating, then writes the Secret, then stays quiet', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [dbInstance({ DBInstanceStatus: 'creating', Endpoint: undefined })] });
    const creating = await pass();
    assert.equal(condition(creating, 'DatabaseReady')?.reason, 'Creating');
    assert.equal(condition(creating, 'ConnectionSecretReady')?.status, 'False');
    assert.equal(creating.requeueAfterMs, 30_000);
    assert.deepEqual(writes(), []);

    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [dbInstance()] });
    const available = await pass();
    assert.equal(available.action, 'Write connection Secret eu-west-db');
    assert.deepEqual(Object.keys((await secrets.read('eu-west-db'))?.data ?? {}).sort(), [
      'dbname',
      'host',
      'password',
      'port',
      'sslmode',
      'user',
    ]);

    ec2.resetHistory();
    rds.resetHistory();
    const converged = await pass();
    assert.equal(converged.action, undefined);
    assert.equal(condition(converged, 'Ready')?.status, 'True');
    assert.equal(converged.status.database?.status, 'available');
    assert.equal(ec2.calls().length + rds.calls().length, 7, 'a converged pass makes seven describe calls');
    assert.deepEqual(writes(), []);
  });

  it('does not repeat a modification RDS is applying', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        dbInstance({
          DBInstanceStatus: 'modifying',
          DBInstanceClass: 'db.r6g.large',
          PendingModifiedValues: { DBInstanceClass: 'db.r6g.xlarge' },
        }),
      ],
    });
    const out = await pass();
    assert.equal(condition(out, 'DatabaseReady')?.reason, 'Modifying');
    assert.match(condition(out, 'DatabaseReady')?.message ?? '', /is modifying/);
    assert.deepEqual(writes(), []);
  });

  it('reports static parameters pending a reboot and reboots only when spec.database.allowReboot', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        dbInstance({ DBParameterGroups: [{ DBParameterGroupName: 'wallets-eu-postgres15', ParameterApplyStatus: 'pending-reboot' }] }),
      ],
    });
    const held = await pass();
    assert.equal(condition(held, 'ParametersApplied')?.reason, 'RebootRequired');
    assert.equal(condition(held, 'ParametersApplied')?.status, 'False');
    assert.equal(rds.commandCalls(RebootDBInstanceCommand).length, 0);

    lz = { ...lz, spec: { ...lz.spec, database: { ...lz.spec.database, allowReboot: true } } };
    rds.on(RebootDBInstanceCommand).resolves({});
    await pass();
    assert.equal(rds.commandCalls(RebootDBInstanceCommand).length, 1);
    assert.ok(events.events.some((e) => e.reason === 'Rebooted'));

    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        dbInstance({
          DBInstanceStatus: 'rebooting',
          DBParameterGroups: [{ DBParameterGroupName: 'wallets-eu-postgres15', ParameterApplyStatus: 'pending-reboot' }],
        }),
      ],
    });
    const rebooting = await pass();
    assert.equal(condition(rebooting, 'ParametersApplied')?.reason, 'RebootRequired');
    assert.equal(rds.commandCalls(RebootDBInstanceCommand).length, 1, 'never a second reboot while rebooting');
  });

  it('reports throttling on Ready and hands the classified error back for backoff', async () => {
    ec2.on(DescribeVpcsCommand).rejects(awsError('RequestLimitExceeded', 503));
    const out = await pass();
    assert.equal(out.error?.code, 'throttled');
    assert.equal(condition(out, 'Ready')?.reason, 'Throttled');
    assert.equal(rds.calls().length, 0, 'stops at the first throttled call');
  });

  it('reports a throttled write as such', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [dbInstance({ DeletionProtection: false })] });
    rds.on(ModifyDBInstanceCommand).rejects(awsError('Throttling', 400));
    const out = await pass();
    assert.equal(out.error?.code, 'throttled');
    assert.equal(condition(out, 'Ready')?.reason, 'Throttled');
  });

  it('corrects drift of deletion protection with a Warning event once converged', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [dbInstance()] });
    await pass();
    await pass();
    assert.equal(lz.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [dbInstance({ DeletionProtection: false })] });
    rds.on(ModifyDBInstanceCommand).resolves({});
    await pass();
    assert.deepEqual(rds.commandCalls(ModifyDBInstanceCommand)[0]?.args[0].input, {
      DBInstanceIdentifier: 'wallets-eu',
      ApplyImmediately: true,
      DeletionProtection: true,
    });
    const drift = events.events.find((e) => e.reason === 'DriftCorrected');
    assert.match(drift?.note ?? '', /deletion protection is off/);
    assert.equal(drift?.type, 'Warning');
  });

  it('backs off storage changes RDS refuses instead of looping, and keeps converging the rest', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [dbInstance({ StorageType: 'io1', Iops: 3000 })] });
    rds.on(ModifyDBInstanceCommand).rejects(awsError('InvalidParameterCombination', 400));
    const refused = await pass();
    assert.equal(refused.error, undefined, 'not an error to back off from: a known wait');
    assert.equal(memory.storageLockedUntil, Date.parse('2030-01-01T01:00:00Z'));
    assert.ok(events.events.some((e) => e.reason === 'StorageModificationLocked'));

    rds
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [dbInstance({ StorageType: 'io1', Iops: 3000, DeletionProtection: false })] });
    rds.on(ModifyDBInstanceCommand).resolves({});
    await pass();
    const calls = rds.commandCalls(ModifyDBInstanceCommand);
    assert.deepEqual(calls.at(-1)?.args[0].input, { DBInstanceIdentifier: 'wallets-eu', ApplyImmediately: true, DeletionProtection: true });

    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [dbInstance({ StorageType: 'io1', Iops: 3000 })] });
    const waiting = await pass();
    assert.equal(condition(waiting, 'DatabaseReady')?.reason, 'StorageModificationLocked');
    assert.equal(rds.commandCalls(ModifyDBInstanceCommand).length, calls.length, 'no storage change while locked');
  });

  it('never calls AWS for a refused spec', async () => {
    lz = sampleLandingZone((s) => s.network.allowedCidrs?.push('0.0.0.0/0'));
    const out = await pass();
    assert.equal(condition(out, 'Ready')?.reason, 'InvalidSpec');
    assert.match(condition(out, 'Ready')?.message ?? '', /spec\.network\.allowedCidrs\[1\] is "0\.0\.0\.0\/0"/);
    assert.equal(ec2.calls().length + rds.calls().length, 0);
    assert.equal(out.requeueAfterMs, undefined);
  });
});
