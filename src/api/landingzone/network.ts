// LandingZone spec.network: the VPC, its private subnets and the Transit Gateway attachment.
import { Type } from '@sinclair/typebox';
import { ipv4CidrField } from '../cidr.js';
import { celRules } from '../common.js';

export const SubnetSchema = Type.Object(
  {
    availabilityZone: Type.String({
      description: 'Availability zone name in spec.region, e.g. eu-west-1a. One subnet per zone.',
      minLength: 1,
      maxLength: 64,
      pattern: '^[a-z]{2}(-[a-z0-9]+)+$',
    }),
    cidr: ipv4CidrField({
      path: 'spec.network.subnets[].cidr',
      description: 'Address range of this private subnet, inside spec.network.vpcCidr.',
      minPrefix: 16,
      maxPrefix: 28,
    }),
  },
  { description: 'A private subnet for the database.' },
);

const cidrList = (path: string, description: string, forbidEveryAddress = false) =>
  Type.Array(ipv4CidrField({ path, description: 'One network.', forbidEveryAddress }), {
    description,
    maxItems: 32,
    'x-kubernetes-list-type': 'set',
  });

export const NetworkSchema = Type.Object(
  {
    vpcCidr: ipv4CidrField({
      path: 'spec.network.vpcCidr',
      description: 'Primary address range of the VPC. Immutable.',
      minPrefix: 16,
      maxPrefix: 28,
    }),
    subnets: Type.Array(SubnetSchema, {
      description: 'Private subnets for the DB subnet group: 2 to 16, each in its own availability zone, not overlapping.',
      minItems: 2,
      maxItems: 16,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['availabilityZone'],
      ...celRules({
        rule:
          'self.all(a, self.all(b, a.availabilityZone == b.availabilityZone || !isCIDR(a.cidr) || ' +
          '!isCIDR(b.cidr) || !cidr(a.cidr).containsCIDR(b.cidr)))',
        message: 'spec.network.subnets must not overlap each other',
      }),
    }),
    allowedCidrs: Type.Optional(
      cidrList(
        'spec.network.allowedCidrs[]',
        'Networks allowed to reach PostgreSQL (port 5432) through the security group, ' +
          'e.g. the legacy site over the Transit Gateway. Never 0.0.0.0/0.',
        true,
      ),
    ),
    transitGateway: Type.Optional(
      Type.Object(
        {
          id: Type.String({
            description: 'ID of an existing Transit Gateway to attach the VPC to, e.g. tgw-0123456789abcdef0.',
            minLength: 5,
            maxLength: 21,
            pattern: '^tgw-[0-9a-f]+$',
          }),
          routes: Type.Optional(
            cidrList('spec.network.transitGateway.routes[]', 'Destinations routed from the subnets through the attachment.'),
          ),
        },
        { description: 'Attachment of the VPC to a Transit Gateway and the routes through it.' },
      ),
    ),
  },
  {
    description: 'The VPC and its private subnets.',
    // Messages map to strings before filtering: indexing a list of objects loses the length bound
    // and the apiserver's CEL cost estimate of the message becomes unbounded.
    ...celRules({
      rule: '!isCIDR(self.vpcCidr) || self.subnets.all(s, !isCIDR(s.cidr) || cidr(self.vpcCidr).containsCIDR(s.cidr))',
      messageExpression:
        `'spec.network.subnets[].cidr must lie inside spec.network.vpcCidr ' + self.vpcCidr + ', got "' + ` +
        `self.subnets.map(s, s.cidr).filter(c, isCIDR(c) && !cidr(self.vpcCidr).containsCIDR(c))[0] + '"'`,
      fieldPath: '.subnets',
    }),
  },
);
