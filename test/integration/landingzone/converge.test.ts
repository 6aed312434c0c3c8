// A LandingZone converged against moto through LandingZoneReconciler and the real kube-apiserver:
// the AWS world it builds, the connection Secret, no update loops, drift correction and adoption.
import assert from 'node:assert/strict';
import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeInternetGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeTransitGatewayVpcAttachmentsCommand,
  DescribeVpcsCommand,
  ModifySubnetAttributeCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeDBInstancesCommand,
  DescribeDBParametersCommand,
  DescribeDBSubnetGroupsCommand,
  ModifyDBInstanceCommand,
} from '@aws-sdk/client-rds';
import type { LandingZone } from '../../../src/api/index.js';
import { FAKE_CA, isDescribe, newHarness, specFor, uniqueSuffix, uniqueVpcBase, type Harness } from './harness.js';

const IDENTITY_TAG = 'tenantshift.io/landing-zone';

describe('LandingZone against moto: converge, drift, adoption', function () {
  this.timeout(180_000);
  let h: Harness;
  let tgw: string;
  let lz: LandingZone;
  const name = 'eu-west';
  const suffix = uniqueSuffix();
  const base = uniqueVpcBase();

  before(async () => {
    h = await newHarness('lzconv');
    tgw = await h.newTransitGateway();
    await h.create(name, specFor({ suffix, base, tgw }));
    lz = (await h.converge(name)).lz;
  });

  after(() => h?.destroy());

  const identity = () => `${h.ns}/${name}`;

  it(
    'builds the network: private subnets across zones, 5432 only from allowedCidrs, the Transit Gateway route, nothing ' + 'public',
    async () => {
      const vpcs =
        (await h.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: `tag:${IDENTITY_TAG}`, Values: [identity()] }] }))).Vpcs ?? [];
      assert.equal(vpcs.length, 1);
      assert.equal(vpcs[0]?.CidrBlock, `10.${base}.0.0/16`);
      assert.equal(lz.status?.vpcId, vpcs[0]?.VpcId);
      const vpcId = vpcs[0]?.VpcId as string;

      const subnets = (await h.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).Subnets ?? [];
      assert.deepEqual(subnets.map((s) => [s.AvailabilityZone, s.CidrBlock, s.MapPublicIpOnLaunch]).sort(), [
        ['eu-west-1a', `10.${base}.1.0/24`, false],
        ['eu-west-1b', `10.${base}.2.0/24`, false],
      ]);
      assert.deepEqual([...(lz.status?.subnetIds ?? [])].sort(), subnets.map((s) => s.SubnetId).sort());
      assert.ok(subnets.every((s) => s.Tags?.some((t) => t.Key === IDENTITY_TAG && t.Value === identity())));

      const sg = (await h.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [lz.status?.securityGroupId as string] })))
        .SecurityGroups?.[0];
      assert.deepEqual(
        sg?.IpPermissions?.map((p) => [p.IpProtocol, p.FromPort, p.ToPort, (p.IpRanges ?? []).map((r) => r.CidrIp)]),
        [['tcp', 5432, 5432, ['10.10.0.0/16']]],
      );

      const attachment = (
        await h.ec2.send(
          new DescribeTransitGatewayVpcAttachmentsCommand({
            TransitGatewayAttachmentIds: [lz.status?.transitGatewayAttachmentId as string],
          }),
        )
      ).TransitGatewayVpcAttachments?.[0];
      assert.deepEqual([attachment?.TransitGatewayId, attachment?.VpcId, attachment?.State], [tgw, vpcId, 'available']);

      const tables =
        (await h.ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).RouteTables ?? [];
      const ours = tables.find((t) => t.Tags?.some((x) => x.Key === IDENTITY_TAG));
      assert.ok(ours?.Routes?.some((r) => r.DestinationCidrBlock === '10.10.0.0/16' && r.TransitGatewayId === tgw));
      assert.deepEqual(ours?.Associations?.map((a) => a.SubnetId).sort(), subnets.map((s) => s.SubnetId).sort());
      assert.ok(tables.every((t) => (t.Routes ?? []).every((r) => !r.GatewayId?.startsWith('igw-'))));
      const igws =
        (await h.ec2.send(new DescribeInternetGatewaysCommand({ Filters: [{ Name: 'attachment.vpc-id', Values: [vpcId] }] })))
          .InternetGateways ?? [];
      assert.equal(igws.length, 0);
    },
  );

  it(
    'builds the database: Multi-AZ, gp3 with its own IOPS and throughput, encrypted, protected, private, logical ' + 'replication on',
    async () => {
      const id = `lz-${suffix}`;
      const db = (await h.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];
      assert.deepEqual(
        [
          db?.MultiAZ,
          db?.StorageType,
          db?.AllocatedStorage,
          db?.Iops,
          db?.StorageThroughput,
          db?.StorageEncrypted,
          db?.DeletionProtection,
          db?.PubliclyAccessible,
        ],
        [true, 'gp3', 500, 12000, 500, true, true, false],
      );
      assert.deepEqual(
        db?.VpcSecurityGroups?.map((g) => g.VpcSecurityGroupId),
        [lz.status?.securityGroupId],
      );
      assert.equal(db?.DBParameterGroups?.[0]?.DBParameterGroupName, `${id}-postgres15`);
      assert.ok(db?.TagList?.some((t) => t.Key === IDENTITY_TAG && t.Value === identity()));
      const group = (await h.rds.send(new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: `${id}-subnets` }))).DBSubnetGroups?.[0];
      assert.deepEqual(group?.Subnets?.map((s) => s.SubnetIdentifier).sort(), [...(lz.status?.subnetIds ?? [])].sort());
      const params = Object.fromEntries(
        ((await h.rds.send(new DescribeDBParametersCommand({ DBParameterGroupName: `${id}-postgres15` }))).Parameters ?? []).map((p) => [
          p.ParameterName,
          p.ParameterValue,
        ]),
      );
      assert.equal(params['rds.logical_replication'], '1');
      assert.equal(params.max_replication_slots, '40');
      assert.equal(params.max_wal_senders, '50');
      assert.deepEqual(lz.status?.database, { identifier: id, endpoint: db?.Endpoint?.Address, port: 5432, status: 'available' });
      assert.deepEqual(
        lz.status?.conditions?.map((c) => [c.type, c.status]),
        ['NetworkReady', 'TransitGatewayAttached', 'DatabaseReady', 'ParametersApplied', 'ConnectionSecretReady', 'Ready'].map((t) => [
          t,
          'True',
        ]),
      );
      assert.equal(lz.status?.observedGeneration, lz.metadata.generation);
      assert.ok(lz.metadata.finalizers?.includes('tenantshift.io/landingzone-cleanup'));
    },
  );

  it(
    'writes the connection Secret with the keys of DESIGN.md, verify-full with the CA, and the master password from its ' + 'Secret',
    async () => {
      const decode = (d: Record<string, string> | undefined) =>
        Object.fromEntries(Object.entries(d ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
      const conn = decode((await h.core.readNamespacedSecret({ namespace: h.ns, name: `lz-${suffix}-db` })).data);
      const master = decode((await h.core.readNamespacedSecret({ namespace: h.ns, name: `${name}-master` })).data);
      assert.deepEqual(Object.keys(conn).sort(), ['dbname', 'host', 'password', 'port', 'sslmode', 'sslrootcert', 'user']);
      assert.deepEqual(
        [conn.host, conn.port, conn.dbname, conn.user, conn.sslmode, conn.sslrootcert],
        [`lz-${suffix}.db.local.test`, '15432', 'postgres', 'tenantshift_admin', 'verify-full', FAKE_CA],
      );
      assert.equal(conn.password, master.password);
      assert.match(master.password ?? '', /^[A-Za-z0-9]{32}$/);
      const events = await h.events(name);
      assert.ok(events.some((e) => e.reason === 'Created' && /Create DB instance/.test(e.note)));
      assert.ok(
        events.every((e) => !e.note.includes(master.password as string)),
        'no password in any event',
      );
      assert.ok(!JSON.stringify(lz.status).includes(master.password as string), 'no password in status');
    },
  );

  it('makes only a few describe calls and writes nothing on a converged pass', async () => {
    const before = await h.get(name);
    const events = (await h.events(name)).length;
    for (let k = 0; k < 3; k++) {
      const r = await h.pass(name);
      assert.equal(r.error, undefined);
      assert.ok(r.calls.every(isDescribe), JSON.stringify(r.calls));
      assert.ok(r.calls.length <= 8, `${r.calls.length} calls: ${r.calls.map((c) => c.operation).join(', ')}`);
    }
    const after = await h.get(name);
    assert.equal(after?.metadata.resourceVersion, before?.metadata.resourceVersion, 'no status write');
    assert.equal((await h.events(name)).length, events, 'no event');
  });

  it('corrects drift (an open security group, public IPs, deletion protection off, another storage type) and reports it', async () => {
    const id = `lz-${suffix}`;
    await h.ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: lz.status?.securityGroupId,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }),
    );
    await h.ec2.send(new ModifySubnetAttributeCommand({ SubnetId: lz.status?.subnetIds?.[0], MapPublicIpOnLaunch: { Value: true } }));
    await h.rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: id,
        DeletionProtection: false,
        StorageType: 'io1',
        Iops: 3000,
        ApplyImmediately: true,
      }),
    );

    // The first pass after the drift fixes the most dangerous part first: the open security group.
    const first = await h.pass(name);
    assert.deepEqual(
      first.calls.filter((c) => !isDescribe(c)).map((c) => c.operation),
      ['RevokeSecurityGroupIngress'],
    );
    const { passes } = await h.converge(name, 10);
    assert.ok(passes <= 4, `${passes} passes`);

    const sg = (await h.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [lz.status?.securityGroupId as string] })))
      .SecurityGroups?.[0];
    assert.deepEqual(
      sg?.IpPermissions?.flatMap((p) => (p.IpRanges ?? []).map((r) => r.CidrIp)),
      ['10.10.0.0/16'],
    );
    const subnet = (await h.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [lz.status?.subnetIds?.[0] as string] }))).Subnets?.[0];
    assert.equal(subnet?.MapPublicIpOnLaunch, false);
    const db = (await h.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];
    assert.deepEqual([db?.DeletionProtection, db?.StorageType, db?.Iops], [true, 'gp3', 12000]);

    const drift = (await h.events(name)).filter((e) => e.reason === 'DriftCorrected');
    assert.ok(drift.every((e) => e.type === 'Warning'));
    assert.ok(
      drift.some((e) => /admitted tcp 5432 from 0\.0\.0\.0\/0/.test(e.note)),
      JSON.stringify(drift),
    );
    assert.ok(drift.some((e) => /assigned public IPs/.test(e.note)));
    assert.ok(drift.some((e) => /deletion protection is off/.test(e.note) && /storage type is io1/.test(e.note)));
  });

  it('adopts its tagged resources when the status is lost, creating no duplicates', async () => {
    const previous = (await h.get(name))?.status;
    await h.clearStatus(name);
    await h.core.deleteNamespacedSecret({ namespace: h.ns, name: `lz-${suffix}-db` });
    const { lz: adopted } = await h.converge(name, 10);
    const s = adopted.status;
    assert.deepEqual(
      [s?.vpcId, s?.subnetIds, s?.securityGroupId, s?.transitGatewayAttachmentId, s?.database?.endpoint],
      [previous?.vpcId, previous?.subnetIds, previous?.securityGroupId, previous?.transitGatewayAttachmentId, previous?.database?.endpoint],
    );
    const vpcs =
      (await h.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: `tag:${IDENTITY_TAG}`, Values: [identity()] }] }))).Vpcs ?? [];
    assert.equal(vpcs.length, 1);
    const groups =
      (await h.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [s?.vpcId as string] }] })))
        .SecurityGroups ?? [];
    assert.equal(groups.filter((g) => g.GroupName !== 'default').length, 1);
    const attachments = ((await h.ec2.send(new DescribeTransitGatewayVpcAttachmentsCommand({}))).TransitGatewayVpcAttachments ?? []).filter(
      (a) => a.VpcId === s?.vpcId && a.State !== 'deleted',
    );
    assert.equal(attachments.length, 1);
    const conn = await h.core.readNamespacedSecret({ namespace: h.ns, name: `lz-${suffix}-db` });
    const master = await h.core.readNamespacedSecret({ namespace: h.ns, name: `${name}-master` });
    assert.equal(conn.data?.password, master.data?.password, 'the recreated Secret carries the same password');
  });
});
