// What a spec asks of AWS: parameters sized for logical replication, storage settings, instance diffs.
import assert from 'node:assert/strict';
import {
  applyMethodFor,
  desiredParameters,
  desiredStorage,
  normalize,
  parameterChanges,
} from '../../../src/reconcilers/landingzone/desired.js';
import { diffInstance, engineVersionMatches } from '../../../src/reconcilers/landingzone/instance-diff.js';
import { landingZoneNames, parameterFamily } from '../../../src/reconcilers/landingzone/names.js';
import { instanceSettings } from '../../../src/reconcilers/landingzone/desired.js';
import { convergedInstance, sampleLandingZone } from './fixtures.js';

describe('LandingZone desired state', () => {
  it('always turns logical replication on and sizes slots, senders and workers from the declared slots', () => {
    const p = desiredParameters(normalize(sampleLandingZone().spec));
    assert.deepEqual(p, {
      'rds.logical_replication': '1',
      max_replication_slots: '40',
      max_wal_senders: '50',
      max_logical_replication_workers: '44',
      max_worker_processes: '52',
      max_slot_wal_keep_size: String(50 * 1024),
    });
  });

  it('lets the user override sizing but never logical replication', () => {
    const lz = sampleLandingZone(
      (s) => (s.database.parameters = { 'rds.logical_replication': '0', max_wal_senders: '99', work_mem: '65536' }),
    );
    const p = desiredParameters(normalize(lz.spec));
    assert.equal(p['rds.logical_replication'], '1');
    assert.equal(p.max_wal_senders, '99');
    assert.equal(p.max_replication_slots, '20');
    assert.equal(p.work_mem, '65536');
  });

  it('applies static parameters at the next reboot and dynamic ones at once', () => {
    assert.equal(applyMethodFor('rds.logical_replication'), 'pending-reboot');
    assert.equal(applyMethodFor('max_replication_slots'), 'pending-reboot');
    assert.equal(applyMethodFor('work_mem'), 'immediate');
    assert.deepEqual(parameterChanges({ a: '1', work_mem: '2' }, { a: '1', work_mem: '1' }), [
      { name: 'work_mem', value: '2', applyMethod: 'immediate' },
    ]);
  });

  it('sends IOPS and throughput for gp3 only from 400 GiB, IOPS only for io1/io2', () => {
    const n = (storage: object) => normalize(sampleLandingZone((s) => (s.database.storage = storage as typeof s.database.storage)).spec);
    assert.deepEqual(desiredStorage(n({ type: 'gp3', allocatedGiB: 100 })), { type: 'gp3', allocatedGiB: 100 });
    assert.deepEqual(desiredStorage(n({ type: 'gp3', allocatedGiB: 400, iops: 12000, throughputMiBps: 500 })), {
      type: 'gp3',
      allocatedGiB: 400,
      iops: 12000,
      throughputMiBps: 500,
    });
    assert.deepEqual(desiredStorage(n({ type: 'io2', allocatedGiB: 100, iops: 20000 })), { type: 'io2', allocatedGiB: 100, iops: 20000 });
    assert.deepEqual(desiredStorage(n({ allocatedGiB: 20 })), { type: 'gp3', allocatedGiB: 20 });
  });

  it('derives deterministic names and the parameter family', () => {
    const names = landingZoneNames(sampleLandingZone());
    assert.equal(names.identity, 'team-a/eu-west');
    assert.equal(names.parameterGroup, 'wallets-eu-postgres15');
    assert.equal(names.subnetGroup, 'wallets-eu-subnets');
    assert.equal(names.masterSecret, 'eu-west-master');
    assert.equal(names.finalSnapshot, 'wallets-eu-final-0f0e0d0c');
    assert.equal(parameterFamily('16.4'), 'postgres16');
  });

  it('fills the CRD defaults for objects stored without them', () => {
    const lz = sampleLandingZone((s) => {
      delete s.database.tier;
      delete s.database.multiAZ;
      delete s.database.storageEncrypted;
      delete s.database.deletionProtection;
      delete s.database.masterPassword;
      delete s.deletionPolicy;
    });
    const n = normalize(lz.spec);
    assert.deepEqual(
      [n.tier, n.multiAZ, n.storageEncrypted, n.deletionProtection, n.masterPassword, n.deletionPolicy],
      ['production', true, true, true, 'operator', 'Retain'],
    );
  });
});

describe('LandingZone instance diff', () => {
  const want = instanceSettings(normalize(sampleLandingZone().spec), {
    securityGroupId: 'sg-1',
    parameterGroupName: 'wallets-eu-postgres15',
  });

  it('finds nothing on a matching instance ("15" matches 15.6)', () => {
    const d = diffInstance(want, convergedInstance());
    assert.deepEqual(d, { changes: {}, differences: [], touchesStorage: false, refusals: [] });
    assert.ok(engineVersionMatches('15', '15.6'));
    assert.ok(!engineVersionMatches('15.1', '15.10'));
  });

  it('changes storage type, IOPS and throughput independently of the instance class', () => {
    const inst = convergedInstance();
    inst.storage = { type: 'io1', allocatedGiB: 500, iops: 3000 };
    const d = diffInstance(want, inst);
    assert.deepEqual(d.changes, { storage: { type: 'gp3', allocatedGiB: 500, iops: 12000, throughputMiBps: 500 } });
    assert.ok(d.touchesStorage);
    assert.equal((d.changes as { instanceClass?: string }).instanceClass, undefined);
  });

  it('makes a publicly accessible instance private and restores its security group', () => {
    const inst = { ...convergedInstance(), publiclyAccessible: true, securityGroupIds: ['sg-1', 'sg-open'] };
    const d = diffInstance(want, inst);
    assert.deepEqual(d.changes, { publiclyAccessible: false, securityGroupIds: ['sg-1'] });
  });

  it('refuses downgrades and major upgrades, and upgrades minors', () => {
    assert.match(diffInstance({ ...want, engineVersion: '15.2' }, convergedInstance()).refusals[0] ?? '', /cannot downgrade/);
    assert.match(diffInstance({ ...want, engineVersion: '16' }, convergedInstance()).refusals[0] ?? '', /major version upgrades/);
    assert.deepEqual(diffInstance({ ...want, engineVersion: '15.8' }, convergedInstance()).changes, { engineVersion: '15.8' });
  });

  it('counts pending modifications as asked for', () => {
    const inst = convergedInstance();
    inst.storage = { type: 'gp3', allocatedGiB: 400, iops: 12000, throughputMiBps: 500 };
    inst.pending = { allocatedGiB: 500, masterPassword: false };
    assert.deepEqual(diffInstance(want, inst).changes, {});
  });
});
