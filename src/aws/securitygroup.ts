// The database's security group through the EC2 API. Ingress permissions are flattened into one rule
// per source so that a plan can compare them with the spec and revoke exactly the extra ones.
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  RevokeSecurityGroupIngressCommand,
  type EC2Client,
  type IpPermission,
  type SecurityGroup,
  type Tag,
} from '@aws-sdk/client-ec2';
import { awsCall } from './errors.js';
import { tagMap, tagSpecification, type TagMap } from './tags.js';

export type RuleSource =
  | { kind: 'cidr'; value: string }
  | { kind: 'cidr6'; value: string }
  | { kind: 'group'; value: string }
  | { kind: 'prefix-list'; value: string };

/** One ingress permission for one source; protocol "-1" means every protocol (no ports). */
export interface IngressRule {
  protocol: string;
  fromPort?: number;
  toPort?: number;
  source: RuleSource;
}

export interface SecurityGroupInfo {
  id: string;
  name: string;
  vpcId: string;
  ingress: IngressRule[];
  tags: TagMap;
}

function permissionBase(p: IpPermission): Omit<IngressRule, 'source'> {
  return {
    protocol: p.IpProtocol ?? '-1',
    ...(p.FromPort !== undefined ? { fromPort: p.FromPort } : {}),
    ...(p.ToPort !== undefined ? { toPort: p.ToPort } : {}),
  };
}

/** The sources of one permission, in the order cidr, cidr6, group, prefix-list. */
function permissionSources(p: IpPermission): RuleSource[] {
  const out: RuleSource[] = [];
  for (const r of p.IpRanges ?? []) if (r.CidrIp) out.push({ kind: 'cidr', value: r.CidrIp });
  for (const r of p.Ipv6Ranges ?? []) if (r.CidrIpv6) out.push({ kind: 'cidr6', value: r.CidrIpv6 });
  for (const g of p.UserIdGroupPairs ?? []) if (g.GroupId) out.push({ kind: 'group', value: g.GroupId });
  for (const l of p.PrefixListIds ?? []) if (l.PrefixListId) out.push({ kind: 'prefix-list', value: l.PrefixListId });
  return out;
}

export function flattenPermissions(perms: readonly IpPermission[] | undefined): IngressRule[] {
  const out: IngressRule[] = [];
  for (const p of perms ?? []) {
    const base = permissionBase(p);
    for (const source of permissionSources(p)) out.push({ ...base, source });
  }
  return out;
}

export function toPermission(rule: IngressRule, description?: string): IpPermission {
  const perm: IpPermission = { IpProtocol: rule.protocol };
  if (rule.fromPort !== undefined) perm.FromPort = rule.fromPort;
  if (rule.toPort !== undefined) perm.ToPort = rule.toPort;
  const desc = description ? { Description: description } : {};
  switch (rule.source.kind) {
    case 'cidr':
      perm.IpRanges = [{ CidrIp: rule.source.value, ...desc }];
      break;
    case 'cidr6':
      perm.Ipv6Ranges = [{ CidrIpv6: rule.source.value, ...desc }];
      break;
    case 'group':
      perm.UserIdGroupPairs = [{ GroupId: rule.source.value, ...desc }];
      break;
    case 'prefix-list':
      perm.PrefixListIds = [{ PrefixListId: rule.source.value, ...desc }];
      break;
  }
  return perm;
}

/** "tcp 5432 from 0.0.0.0/0": how events and conditions name a rule. */
export function describeRule(rule: IngressRule): string {
  const protocol = rule.protocol === '-1' ? 'all traffic' : rule.protocol;
  const ports =
    rule.protocol === '-1' || rule.fromPort === undefined
      ? ''
      : rule.fromPort === rule.toPort
        ? ` ${rule.fromPort}`
        : ` ${rule.fromPort}-${rule.toPort}`;
  return `${protocol}${ports} from ${rule.source.value}`;
}

export function sameRule(a: IngressRule, b: IngressRule): boolean {
  return (
    a.protocol === b.protocol &&
    a.fromPort === b.fromPort &&
    a.toPort === b.toPort &&
    a.source.kind === b.source.kind &&
    a.source.value === b.source.value
  );
}

function toGroup(g: SecurityGroup): SecurityGroupInfo {
  return {
    id: g.GroupId ?? '',
    name: g.GroupName ?? '',
    vpcId: g.VpcId ?? '',
    ingress: flattenPermissions(g.IpPermissions),
    tags: tagMap(g.Tags),
  };
}

export class SecurityGroups {
  constructor(private readonly ec2: EC2Client) {}

  /** Every group of the VPC (one page in practice): the caller picks ours by tag or name. */
  async list(vpcId: string): Promise<SecurityGroupInfo[]> {
    const out = await awsCall('DescribeSecurityGroups', () =>
      this.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] })),
    );
    return (out.SecurityGroups ?? []).filter((g) => g.VpcId === vpcId).map(toGroup);
  }

  async create(opts: { vpcId: string; name: string; description: string; tags: Tag[] }): Promise<string> {
    const out = await awsCall('CreateSecurityGroup', () =>
      this.ec2.send(
        new CreateSecurityGroupCommand({
          VpcId: opts.vpcId,
          GroupName: opts.name,
          Description: opts.description,
          TagSpecifications: tagSpecification('security-group', opts.tags),
        }),
      ),
    );
    return out.GroupId ?? '';
  }

  async authorize(groupId: string, rules: IngressRule[], description: string): Promise<void> {
    if (rules.length === 0) return;
    await awsCall('AuthorizeSecurityGroupIngress', () =>
      this.ec2.send(
        new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: rules.map((r) => toPermission(r, description)) }),
      ),
    );
  }

  async revoke(groupId: string, rules: IngressRule[]): Promise<void> {
    if (rules.length === 0) return;
    await awsCall('RevokeSecurityGroupIngress', () =>
      this.ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: rules.map((r) => toPermission(r)) })),
    );
  }

  async delete(groupId: string): Promise<void> {
    await awsCall('DeleteSecurityGroup', () => this.ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId })));
  }
}
