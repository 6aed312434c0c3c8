// A LandingZone's lifecycle against moto and the real kube-apiserver: deletion under Retain (and
// re-adoption by a new object of the same name), deletion under Delete, every guardrail, and the
// AWS-managed master password.
import assert from 'node:assert/strict';
import { ApiException } from '@kubernetes/client-node';
import {
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeTransitGatewayVpcAttachmentsCommand,
  DescribeVpcsCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeDBInstancesCommand,
  DescribeDBParametersCommand,
  DescribeDBSnapshotsCommand,
  DescribeDBSubnetGroupsCommand,
} from '@aws-sdk/client-rds';
import type { LandingZoneSpec } from '../../../src/api/index.js';
import { newHarness, specFor, uniqueSuffix, uniqueVpcBase, type Harness } from './harness.js';

const IDENTITY_TAG = 'tenantshift.io/landing-zone';

async function gone(call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call();
    return false;
  } catch (e) {
    return (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404 || /NotFound/.test((e as Error).name);
  }
}

describe('LandingZone against moto: deletion, guardrails, AWS-managed password', function () {
  this.timeout(180_000);
  let h: Harness;

  before(async () => {
    h = await newHarness('lzlife');
  });

  after(() => h?.destroy());

  const secretExists = async (name: string): Promise<boolean> => {
    try {
      await h.core.readNamespacedSecret({ namespace: h.ns, name });
      return true;
    } catch (e) {
      if (e instanceof ApiException && e.code === 404) return false;
      throw e;
    }
  };

  it('Retain leaves everything in AWS, releases the object, and a new object of the same name adopts it all', async () => {
    const suffix = uniqueSuffix();
    const tgw = await h.newTransitGateway();
    const spec = specFor({ suffix, base: uniqueVpcBase(), tgw });
    await h.create('retained', spec);
    const { lz } = await h.converge('retained');

    await h.remove('retained');
    const passes = await h.finalize('retained', 3);
    assert.equal(passes, 1, 'Retain needs one pass');
    const db = (await h.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: `lz-${suffix}` }))).DBInstances?.[0];
    assert.deepEqual([db?.DBInstanceStatus, db?.DeletionProtection], ['available', true]);
    const vpcs = (await h.ec2.send(new DescribeVpcsCommand({ VpcIds: [lz.status?.vpcId as string] }))).Vpcs ?? [];
    assert.equal(vpcs.length, 1);
    assert.ok(await secretExists('retained-master'), 'the master password of a retained database is kept');
    const retained = (await h.events('retained')).find((e) => e.reason === 'Retained');
    assert.match(retained?.note ?? '', new RegExp(`${lz.status?.vpcId}.*lz-${suffix}`));

    await h.create('retained', spec);
    const { lz: again } = await h.converge('retained');
    assert.equal(again.status?.vpcId, lz.status?.vpcId);
    assert.equal(again.status?.securityGroupId, lz.status?.securityGroupId);
    assert.equal(again.status?.database?.endpoint, lz.status?.database?.endpoint);
    const tagged =
      (await h.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: `tag:${IDENTITY_TAG}`, Values: [`${h.ns}/retained`] }] }))).Vpcs ?? [];
    assert.equal(tagged.length, 1, 'adopted, not duplicated');
  });

  it('Delete turns off deletion protection, keeps a final snapshot and removes everything in dependency order', async () => {
    const suffix = uniqueSuffix();
    const id = `lz-${suffix}`;
    const tgw = await h.newTransitGateway();
    await h.create('deleted', { ...specFor({ suffix, base: uniqueVpcBase(), tgw }), deletionPolicy: 'Delete' });
    const { lz } = await h.converge('deleted');
    const vpcId = lz.status?.vpcId as string;

    await h.remove('deleted');
    await h.finalize('deleted');

    assert.ok(await gone(() => h.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))), 'instance gone');
    const snapshots = (await h.rds.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: id }))).DBSnapshots ?? [];
    const final = snapshots.filter((s) => s.DBSnapshotIdentifier?.startsWith(`${id}-final-`));
    assert.equal(final.length, 1, JSON.stringify(snapshots.map((s) => s.DBSnapshotIdentifier)));
    assert.ok(await gone(() => h.rds.send(new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: `${id}-subnets` }))), 'subnet group gone');
    assert.ok(
      await gone(() => h.rds.send(new DescribeDBParametersCommand({ DBParameterGroupName: `${id}-postgres15` }))),
      'parameter group gone',
    );
    const attachments = ((await h.ec2.send(new DescribeTransitGatewayVpcAttachmentsCommand({}))).TransitGatewayVpcAttachments ?? []).filter(
      (a) => a.VpcId === vpcId,
    );
    assert.ok(
      attachments.every((a) => a.State === 'deleted'),
      JSON.stringify(attachments.map((a) => a.State)),
    );
    const subnets = (await h.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).Subnets ?? [];
    assert.equal(subnets.length, 0);
    const groups =
      (await h.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).SecurityGroups ?? [];
    assert.ok(groups.every((g) => g.GroupName === 'default'));
    assert.ok(await gone(() => h.ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }))), 'VPC gone');
    assert.ok(!(await secretExists(`lz-${suffix}-db`)) && !(await secretExists('deleted-master')), 'Secrets gone');
    const reasons = (await h.events('deleted')).map((e) => `${e.reason}: ${e.note}`);
    assert.ok(reasons.some((r) => /Turn off deletion protection/.test(r)));
    assert.ok(reasons.some((r) => /^Deleted: deletionPolicy Delete/.test(r)));
  });

  it('Delete never deletes a Secret it did not create, even one with the configured name', async () => {
    const suffix = uniqueSuffix();
    const foreign = `lz-${suffix}-db`;
    await h.core.createNamespacedSecret({ namespace: h.ns, body: { metadata: { name: foreign }, stringData: { url: 'theirs' } } });
    const tgw = await h.newTransitGateway();
    await h.create('foreign', { ...specFor({ suffix, base: uniqueVpcBase(), tgw }), deletionPolicy: 'Delete' });
    for (let i = 0; i < 40; i++) {
      const lz = await h.get('foreign');
      if (lz?.status?.conditions?.some((c) => c.reason === 'SecretConflict')) break;
      await h.pass('foreign');
    }
    await h.remove('foreign');
    await h.finalize('foreign');
    assert.ok(await secretExists(foreign), `the Secret ${foreign} the LandingZone did not create was deleted`);
    const secret = await h.core.readNamespacedSecret({ namespace: h.ns, name: foreign });
    assert.equal(Buffer.from(secret.data?.url ?? '', 'base64').toString(), 'theirs');
    assert.ok(!(await secretExists('foreign-master')), 'its own master Secret was not deleted');
    const reasons = (await h.events('foreign')).map((e) => `${e.reason}: ${e.note}`);
    assert.ok(
      reasons.some((r) => r.startsWith('SecretKept') && r.includes(foreign)),
      reasons.join('\n'),
    );
  });

  const guardrails: Array<[string, (s: LandingZoneSpec) => void, RegExp]> = [
    ['unencrypted storage', (s) => (s.database.storageEncrypted = false), /spec\.database\.storageEncrypted/],
    ['a single-AZ production database', (s) => (s.database.multiAZ = false), /spec\.database\.multiAZ/],
    ['an unprotected production database', (s) => (s.database.deletionProtection = false), /spec\.database\.deletionProtection/],
    ['an allowedCidr of 0.0.0.0/0', (s) => s.network.allowedCidrs?.push('0.0.0.0/0'), /spec\.network\.allowedCidrs\[1\].*0\.0\.0\.0\/0/],
    [
      'gp3 IOPS below 400 GiB',
      (s) => (s.database.storage = { type: 'gp3', allocatedGiB: 200, iops: 4000 }),
      /spec\.database\.storage\.(allocatedGiB|iops)/,
    ],
    [
      'gp3 throughput below 400 GiB',
      (s) => (s.database.storage = { type: 'gp3', allocatedGiB: 200, throughputMiBps: 250 }),
      /spec\.database\.storage\.(allocatedGiB|throughputMiBps)/,
    ],
  ];
  for (const [what, mutate, field] of guardrails) {
    it(`refuses ${what}, naming the field, without calling AWS`, async () => {
      const spec = specFor({ suffix: uniqueSuffix(), base: uniqueVpcBase(), tgw: 'tgw-0123456789abcdef0' });
      mutate(spec);
      const name = `guard-${uniqueSuffix()}`;
      try {
        await h.create(name, spec);
      } catch (e) {
        // Refused by the CRD's CEL rules: HTTP 422 naming the field.
        assert.ok(e instanceof ApiException && e.code === 422, String(e));
        assert.match(String(e.body), field);
        return;
      }
      // Accepted by the schema: the reconciler refuses before any AWS call.
      const r = await h.pass(name);
      assert.deepEqual(r.calls, []);
      const ready = (await h.get(name))?.status?.conditions?.find((c) => c.type === 'Ready');
      assert.deepEqual([ready?.status, ready?.reason], ['False', 'InvalidSpec']);
      assert.match(ready?.message ?? '', field);
    });
  }

  it('lets RDS manage the master password (aws) and publishes it from Secrets Manager in the connection Secret', async () => {
    const suffix = uniqueSuffix();
    const tgw = await h.newTransitGateway();
    const spec = specFor({ suffix, base: uniqueVpcBase(), tgw });
    spec.database.masterPassword = 'aws';
    await h.create('managed', spec);
    let lz = await h.get('managed');
    const cond = (t: string) => lz?.status?.conditions?.find((c) => c.type === t);
    for (let k = 0; k < 30 && cond('ConnectionSecretReady')?.status !== 'True'; k++) {
      await h.pass('managed');
      lz = await h.get('managed');
    }
    const all = JSON.stringify(lz?.status?.conditions?.map((c) => `${c.type}=${c.status} ${c.reason}: ${c.message}`));
    assert.equal(cond('DatabaseReady')?.status, 'True', all);
    assert.equal(cond('ConnectionSecretReady')?.status, 'True', all);
    const db = (await h.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: `lz-${suffix}` }))).DBInstances?.[0];
    assert.ok(db?.MasterUserSecret?.SecretArn);
    const managed = (await h.core.readNamespacedSecret({ namespace: h.ns, name: `lz-${suffix}-db` })).data ?? {};
    const secret = await h.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: `lz-${suffix}` }));
    assert.ok(secret.DBInstances?.[0]?.MasterUserSecret?.SecretArn);
    assert.ok(
      Buffer.from(managed.password ?? '', 'base64').toString().length > 0,
      'the connection Secret carries the RDS-managed password',
    );
    assert.ok(!(await secretExists('managed-master')), 'no operator-kept password in aws mode');
  });

  it('reports a Transit Gateway that does not exist and still converges the rest', async () => {
    const suffix = uniqueSuffix();
    const missing = 'tgw-0000000000000bad0';
    await h.create('no-gateway', specFor({ suffix, base: uniqueVpcBase(), tgw: missing }));
    let lz = await h.get('no-gateway');
    const cond = (t: string) => lz?.status?.conditions?.find((c) => c.type === t);
    for (let k = 0; k < 30 && cond('ConnectionSecretReady')?.status !== 'True'; k++) {
      await h.pass('no-gateway');
      lz = await h.get('no-gateway');
    }
    assert.deepEqual([cond('TransitGatewayAttached')?.status, cond('TransitGatewayAttached')?.reason], ['False', 'ReferenceNotFound']);
    assert.match(cond('TransitGatewayAttached')?.message ?? '', new RegExp(missing));
    assert.equal(cond('DatabaseReady')?.status, 'True', JSON.stringify(lz?.status?.conditions));
    assert.equal(cond('ConnectionSecretReady')?.status, 'True');
    assert.equal(cond('Ready')?.status, 'False');
  });
});
