// Security group permissions flattened to one rule per source, and back, for exact revokes.
import assert from 'node:assert/strict';
import { describeRule, flattenPermissions, sameRule, toPermission } from '../../../src/aws/securitygroup.js';
import { identityTags, isOwnedBy, ownerOf, tagMap } from '../../../src/aws/tags.js';

describe('AWS security group rules', () => {
  it('flattens permissions into one rule per source and back', () => {
    const rules = flattenPermissions([
      {
        IpProtocol: 'tcp',
        FromPort: 5432,
        ToPort: 5432,
        IpRanges: [{ CidrIp: '10.10.0.0/16' }, { CidrIp: '0.0.0.0/0' }],
        Ipv6Ranges: [{ CidrIpv6: '::/0' }],
      },
      { IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: 'sg-9' }], PrefixListIds: [{ PrefixListId: 'pl-1' }] },
    ]);
    assert.deepEqual(rules.map(describeRule), [
      'tcp 5432 from 10.10.0.0/16',
      'tcp 5432 from 0.0.0.0/0',
      'tcp 5432 from ::/0',
      'all traffic from sg-9',
      'all traffic from pl-1',
    ]);
    assert.deepEqual(toPermission(rules[1]!), { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '0.0.0.0/0' }] });
    assert.deepEqual(toPermission(rules[3]!, 'why'), { IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: 'sg-9', Description: 'why' }] });
    assert.ok(sameRule(rules[0]!, { protocol: 'tcp', fromPort: 5432, toPort: 5432, source: { kind: 'cidr', value: '10.10.0.0/16' } }));
    assert.ok(!sameRule(rules[0]!, rules[1]!));
  });

  it('describes port ranges', () => {
    assert.equal(
      describeRule({ protocol: 'tcp', fromPort: 0, toPort: 65535, source: { kind: 'cidr', value: '1.2.3.0/24' } }),
      'tcp 0-65535 from 1.2.3.0/24',
    );
  });
});

describe('AWS identity tags', () => {
  it('carry the LandingZone identity, part and a Name', () => {
    const tags = identityTags('team-a/eu-west', 'vpc', 'tenantshift-team-a-eu-west-vpc');
    const map = tagMap(tags);
    assert.equal(ownerOf(map), 'team-a/eu-west');
    assert.equal(map['tenantshift.io/part'], 'vpc');
    assert.equal(map.Name, 'tenantshift-team-a-eu-west-vpc');
    assert.ok(isOwnedBy(map, 'team-a/eu-west'));
    assert.ok(!isOwnedBy(map, 'team-a/other'));
  });
});
