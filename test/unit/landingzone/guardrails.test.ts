// Guardrails refuse a spec before any AWS call, each message naming the field and the offending value.
import assert from 'node:assert/strict';
import { normalize } from '../../../src/reconcilers/landingzone/desired.js';
import { checkGuardrails, cidrContains, cidrOverlaps, parseCidr } from '../../../src/reconcilers/landingzone/guardrails.js';
import { sampleLandingZone } from './fixtures.js';
import type { LandingZoneSpec } from '../../../src/api/index.js';

function violations(mutate: (s: LandingZoneSpec) => void) {
  return checkGuardrails(normalize(sampleLandingZone(mutate).spec));
}

describe('LandingZone guardrails', () => {
  it('accept the sample spec', () => {
    assert.deepEqual(
      violations(() => undefined),
      [],
    );
  });

  const cases: Array<[string, (s: LandingZoneSpec) => void, string, RegExp]> = [
    ['unencrypted storage', (s) => (s.database.storageEncrypted = false), 'spec.database.storageEncrypted', /storageEncrypted is false/],
    [
      'single-AZ production',
      (s) => (s.database.multiAZ = false),
      'spec.database.multiAZ',
      /multiAZ is false but spec\.database\.tier is production/,
    ],
    [
      'unprotected production',
      (s) => (s.database.deletionProtection = false),
      'spec.database.deletionProtection',
      /deletionProtection is false/,
    ],
    [
      'an allowedCidr open to the world',
      (s) => s.network.allowedCidrs?.push('0.0.0.0/0'),
      'spec.network.allowedCidrs[1]',
      /allowedCidrs\[1\] is "0\.0\.0\.0\/0"/,
    ],
    [
      'gp3 IOPS below 400 GiB',
      (s) => (s.database.storage = { type: 'gp3', allocatedGiB: 100, iops: 4000 }),
      'spec.database.storage.iops',
      /iops is 4000 with allocatedGiB 100/,
    ],
    [
      'gp3 throughput below 400 GiB',
      (s) => (s.database.storage = { type: 'gp3', allocatedGiB: 399, throughputMiBps: 200 }),
      'spec.database.storage.throughputMiBps',
      /throughputMiBps is 200 with allocatedGiB 399/,
    ],
    [
      'io2 without IOPS',
      (s) => (s.database.storage = { type: 'io2', allocatedGiB: 400 }),
      'spec.database.storage.iops',
      /required with spec\.database\.storage\.type io2/,
    ],
    [
      'throughput on io1',
      (s) => (s.database.storage = { type: 'io1', allocatedGiB: 400, iops: 3000, throughputMiBps: 200 }),
      'spec.database.storage.throughputMiBps',
      /only gp3 takes it, not io1/,
    ],
    ['PostgreSQL 14', (s) => (s.database.engineVersion = '14.9'), 'spec.database.engineVersion', /"14\.9"/],
    [
      'a subnet outside the VPC',
      (s) => (s.network.subnets[1]!.cidr = '10.41.2.0/24'),
      'spec.network.subnets[1].cidr',
      /"10\.41\.2\.0\/24".*10\.40\.0\.0\/16/,
    ],
    [
      'a route into the VPC itself',
      (s) => (s.network.transitGateway!.routes = ['10.40.0.0/20']),
      'spec.network.transitGateway.routes[0]',
      /"10\.40\.0\.0\/20"/,
    ],
  ];
  for (const [what, mutate, field, message] of cases) {
    it(`refuse ${what}`, () => {
      const v = violations(mutate);
      assert.equal(v.length, 1, JSON.stringify(v));
      assert.equal(v[0]?.field, field);
      assert.match(v[0]?.message ?? '', message);
    });
  }

  it('allow single-AZ and unprotected databases in development', () => {
    assert.deepEqual(
      violations((s) => Object.assign(s.database, { tier: 'development', multiAZ: false, deletionProtection: false })),
      [],
    );
  });

  it('compute CIDR containment and overlap', () => {
    assert.deepEqual(parseCidr('10.40.0.0/16'), { start: 10 * 2 ** 24 + 40 * 2 ** 16, prefix: 16 });
    assert.equal(parseCidr('10.400.0.0/16'), undefined);
    assert.ok(cidrContains('10.40.0.0/16', '10.40.255.0/24'));
    assert.ok(!cidrContains('10.40.0.0/16', '10.41.0.0/24'));
    assert.ok(!cidrContains('10.40.1.0/24', '10.40.0.0/16'));
    assert.ok(cidrOverlaps('10.40.1.0/24', '10.40.0.0/16'));
    assert.ok(cidrContains('0.0.0.0/0', '192.168.1.0/24'));
  });
});
