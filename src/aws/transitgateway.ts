// Transit Gateway VPC attachments through the EC2 API. Filters are applied again on our side: some
// endpoints (moto among them) ignore filters they do not know and return every attachment.
import {
  CreateTransitGatewayVpcAttachmentCommand,
  DeleteTransitGatewayVpcAttachmentCommand,
  DescribeTransitGatewayVpcAttachmentsCommand,
  ModifyTransitGatewayVpcAttachmentCommand,
  type EC2Client,
  type Tag,
  type TransitGatewayVpcAttachment,
} from '@aws-sdk/client-ec2';
import { awsCall } from './errors.js';
import { tagMap, tagSpecification, type TagMap } from './tags.js';

export interface AttachmentInfo {
  id: string;
  transitGatewayId: string;
  vpcId: string;
  state: string;
  subnetIds: string[];
  tags: TagMap;
}

/** States of an attachment that is gone or going: it neither counts as present nor blocks a new one. */
export const GONE_ATTACHMENT_STATES: ReadonlySet<string> = new Set(['deleted', 'deleting', 'failed', 'failing', 'rejected', 'rejecting']);

function toAttachment(a: TransitGatewayVpcAttachment): AttachmentInfo {
  return {
    id: a.TransitGatewayAttachmentId ?? '',
    transitGatewayId: a.TransitGatewayId ?? '',
    vpcId: a.VpcId ?? '',
    state: a.State ?? '',
    subnetIds: [...(a.SubnetIds ?? [])],
    tags: tagMap(a.Tags),
  };
}

export class TransitGatewayAttachments {
  constructor(private readonly ec2: EC2Client) {}

  /** Attachments of one VPC, to any Transit Gateway, including ones being deleted. */
  async listForVpc(vpcId: string): Promise<AttachmentInfo[]> {
    const out: AttachmentInfo[] = [];
    let NextToken: string | undefined;
    do {
      const page = await awsCall('DescribeTransitGatewayVpcAttachments', () =>
        this.ec2.send(new DescribeTransitGatewayVpcAttachmentsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }], NextToken })),
      );
      out.push(...(page.TransitGatewayVpcAttachments ?? []).map(toAttachment).filter((a) => a.vpcId === vpcId));
      NextToken = page.NextToken;
    } while (NextToken);
    return out;
  }

  async create(opts: { transitGatewayId: string; vpcId: string; subnetIds: string[]; tags: Tag[] }): Promise<AttachmentInfo> {
    const out = await awsCall('CreateTransitGatewayVpcAttachment', () =>
      this.ec2.send(
        new CreateTransitGatewayVpcAttachmentCommand({
          TransitGatewayId: opts.transitGatewayId,
          VpcId: opts.vpcId,
          SubnetIds: opts.subnetIds,
          TagSpecifications: tagSpecification('transit-gateway-attachment', opts.tags),
        }),
      ),
    );
    return toAttachment(out.TransitGatewayVpcAttachment ?? {});
  }

  async modifySubnets(id: string, add: string[], remove: string[]): Promise<void> {
    await awsCall('ModifyTransitGatewayVpcAttachment', () =>
      this.ec2.send(
        new ModifyTransitGatewayVpcAttachmentCommand({
          TransitGatewayAttachmentId: id,
          ...(add.length ? { AddSubnetIds: add } : {}),
          ...(remove.length ? { RemoveSubnetIds: remove } : {}),
        }),
      ),
    );
  }

  async delete(id: string): Promise<void> {
    await awsCall('DeleteTransitGatewayVpcAttachment', () =>
      this.ec2.send(new DeleteTransitGatewayVpcAttachmentCommand({ TransitGatewayAttachmentId: id })),
    );
  }
}
