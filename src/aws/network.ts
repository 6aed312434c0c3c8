// The VPC, its private subnets and route table through the EC2 API: describes that return plain
// records, and creates tagged at creation (CreateVpc and CreateSubnet take no ClientToken).
import {
  AssociateRouteTableCommand,
  CreateTagsCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteRouteCommand,
  DeleteRouteTableCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  DisassociateRouteTableCommand,
  ModifySubnetAttributeCommand,
  ReplaceRouteCommand,
  type EC2Client,
  type Route,
  type RouteTable,
  type Subnet,
  type Tag,
  type Vpc,
} from '@aws-sdk/client-ec2';
import { awsCall, isAwsError } from './errors.js';
import { identityFilter, tagMap, tagSpecification, type TagMap } from './tags.js';

export interface VpcInfo {
  id: string;
  cidr: string;
  state: string;
  tags: TagMap;
}

export interface SubnetInfo {
  id: string;
  vpcId: string;
  cidr: string;
  availabilityZone: string;
  mapPublicIpOnLaunch: boolean;
  tags: TagMap;
}

export type RouteTarget =
  | { kind: 'local' }
  | { kind: 'transit-gateway'; id: string }
  | { kind: 'internet-gateway'; id: string }
  | { kind: 'nat-gateway'; id: string }
  | { kind: 'other'; id: string };

export interface RouteInfo {
  destination: string;
  target: RouteTarget;
  state: string;
}

export interface RouteTableInfo {
  id: string;
  main: boolean;
  /** Subnet associations (the main-table association has no subnet and is left out). */
  associations: { id: string; subnetId: string }[];
  routes: RouteInfo[];
  tags: TagMap;
}

function toVpc(v: Vpc): VpcInfo {
  return { id: v.VpcId ?? '', cidr: v.CidrBlock ?? '', state: v.State ?? '', tags: tagMap(v.Tags) };
}

function toSubnet(s: Subnet): SubnetInfo {
  return {
    id: s.SubnetId ?? '',
    vpcId: s.VpcId ?? '',
    cidr: s.CidrBlock ?? '',
    availabilityZone: s.AvailabilityZone ?? '',
    mapPublicIpOnLaunch: s.MapPublicIpOnLaunch === true,
    tags: tagMap(s.Tags),
  };
}

export function routeTarget(r: Route): RouteTarget {
  if (r.GatewayId === 'local') return { kind: 'local' };
  if (r.TransitGatewayId) return { kind: 'transit-gateway', id: r.TransitGatewayId };
  if (r.GatewayId?.startsWith('igw-')) return { kind: 'internet-gateway', id: r.GatewayId };
  if (r.EgressOnlyInternetGatewayId) return { kind: 'internet-gateway', id: r.EgressOnlyInternetGatewayId };
  if (r.NatGatewayId) return { kind: 'nat-gateway', id: r.NatGatewayId };
  const id = r.GatewayId ?? r.NetworkInterfaceId ?? r.VpcPeeringConnectionId ?? r.InstanceId ?? '';
  return { kind: 'other', id };
}

function toRouteTable(t: RouteTable): RouteTableInfo {
  return {
    id: t.RouteTableId ?? '',
    main: (t.Associations ?? []).some((a) => a.Main === true),
    associations: (t.Associations ?? [])
      .filter((a) => a.SubnetId && a.RouteTableAssociationId && a.AssociationState?.State !== 'disassociated')
      .map((a) => ({ id: a.RouteTableAssociationId as string, subnetId: a.SubnetId as string })),
    routes: (t.Routes ?? [])
      .filter((r) => r.DestinationCidrBlock)
      .map((r) => ({ destination: r.DestinationCidrBlock as string, target: routeTarget(r), state: r.State ?? '' })),
    tags: tagMap(t.Tags),
  };
}

/** Follows NextToken; describes of one VPC's parts normally fit one page. */
async function allPages<P, I>(
  fetch: (token: string | undefined) => Promise<P & { NextToken?: string | undefined }>,
  items: (page: P) => I[] | undefined,
): Promise<I[]> {
  const out: I[] = [];
  let token: string | undefined;
  do {
    const page = await fetch(token);
    out.push(...(items(page) ?? []));
    token = page.NextToken;
  } while (token);
  return out;
}

export class Network {
  constructor(private readonly ec2: EC2Client) {}

  findVpcsByIdentity(identity: string): Promise<VpcInfo[]> {
    return awsCall('DescribeVpcs', async () =>
      (
        await allPages(
          (NextToken) => this.ec2.send(new DescribeVpcsCommand({ Filters: [identityFilter(identity)], NextToken })),
          (p) => p.Vpcs,
        )
      ).map(toVpc),
    );
  }

  /** By id: covers EC2's eventual consistency right after a create, when a tag filter may miss it. */
  async describeVpc(id: string): Promise<VpcInfo | undefined> {
    try {
      const out = await awsCall('DescribeVpcs', () => this.ec2.send(new DescribeVpcsCommand({ VpcIds: [id] })));
      const vpc = out.Vpcs?.[0];
      return vpc ? toVpc(vpc) : undefined;
    } catch (e) {
      if (isAwsError(e, 'not-found')) return undefined;
      throw e;
    }
  }

  async createVpc(cidr: string, tags: Tag[]): Promise<VpcInfo> {
    const out = await awsCall('CreateVpc', () =>
      this.ec2.send(new CreateVpcCommand({ CidrBlock: cidr, TagSpecifications: tagSpecification('vpc', tags) })),
    );
    return toVpc(out.Vpc ?? {});
  }

  /** Tags an existing resource: adopting one that lacks our identity (or that an endpoint created untagged). */
  async tagResource(id: string, tags: Tag[]): Promise<void> {
    await awsCall('CreateTags', () => this.ec2.send(new CreateTagsCommand({ Resources: [id], Tags: tags })));
  }

  async deleteVpc(id: string): Promise<void> {
    await awsCall('DeleteVpc', () => this.ec2.send(new DeleteVpcCommand({ VpcId: id })));
  }

  listSubnets(vpcId: string): Promise<SubnetInfo[]> {
    return awsCall('DescribeSubnets', async () =>
      (
        await allPages(
          (NextToken) => this.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }], NextToken })),
          (p) => p.Subnets,
        )
      )
        .map(toSubnet)
        .filter((s) => s.vpcId === vpcId),
    );
  }

  async createSubnet(opts: { vpcId: string; cidr: string; availabilityZone: string; tags: Tag[] }): Promise<SubnetInfo> {
    const out = await awsCall('CreateSubnet', () =>
      this.ec2.send(
        new CreateSubnetCommand({
          VpcId: opts.vpcId,
          CidrBlock: opts.cidr,
          AvailabilityZone: opts.availabilityZone,
          TagSpecifications: tagSpecification('subnet', opts.tags),
        }),
      ),
    );
    return toSubnet(out.Subnet ?? {});
  }

  async disablePublicIpOnLaunch(subnetId: string): Promise<void> {
    await awsCall('ModifySubnetAttribute', () =>
      this.ec2.send(new ModifySubnetAttributeCommand({ SubnetId: subnetId, MapPublicIpOnLaunch: { Value: false } })),
    );
  }

  async deleteSubnet(id: string): Promise<void> {
    await awsCall('DeleteSubnet', () => this.ec2.send(new DeleteSubnetCommand({ SubnetId: id })));
  }

  listRouteTables(vpcId: string): Promise<RouteTableInfo[]> {
    return awsCall('DescribeRouteTables', async () =>
      (
        await allPages(
          (NextToken) => this.ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }], NextToken })),
          (p) => p.RouteTables,
        )
      )
        .filter((t) => t.VpcId === vpcId)
        .map(toRouteTable),
    );
  }

  async createRouteTable(opts: { vpcId: string; tags: Tag[]; clientToken: string }): Promise<RouteTableInfo> {
    const out = await awsCall('CreateRouteTable', () =>
      this.ec2.send(
        new CreateRouteTableCommand({
          VpcId: opts.vpcId,
          ClientToken: opts.clientToken,
          TagSpecifications: tagSpecification('route-table', opts.tags),
        }),
      ),
    );
    return toRouteTable(out.RouteTable ?? {});
  }

  async associateRouteTable(routeTableId: string, subnetId: string): Promise<void> {
    await awsCall('AssociateRouteTable', () =>
      this.ec2.send(new AssociateRouteTableCommand({ RouteTableId: routeTableId, SubnetId: subnetId })),
    );
  }

  async disassociateRouteTable(associationId: string): Promise<void> {
    await awsCall('DisassociateRouteTable', () => this.ec2.send(new DisassociateRouteTableCommand({ AssociationId: associationId })));
  }

  async deleteRouteTable(id: string): Promise<void> {
    await awsCall('DeleteRouteTable', () => this.ec2.send(new DeleteRouteTableCommand({ RouteTableId: id })));
  }

  async createRoute(routeTableId: string, destination: string, transitGatewayId: string): Promise<void> {
    await awsCall('CreateRoute', () =>
      this.ec2.send(
        new CreateRouteCommand({ RouteTableId: routeTableId, DestinationCidrBlock: destination, TransitGatewayId: transitGatewayId }),
      ),
    );
  }

  async replaceRoute(routeTableId: string, destination: string, transitGatewayId: string): Promise<void> {
    await awsCall('ReplaceRoute', () =>
      this.ec2.send(
        new ReplaceRouteCommand({ RouteTableId: routeTableId, DestinationCidrBlock: destination, TransitGatewayId: transitGatewayId }),
      ),
    );
  }

  async deleteRoute(routeTableId: string, destination: string): Promise<void> {
    await awsCall('DeleteRoute', () =>
      this.ec2.send(new DeleteRouteCommand({ RouteTableId: routeTableId, DestinationCidrBlock: destination })),
    );
  }
}
