// Everything a LandingZone needs from AWS in one bundle, built over a region's EC2 and RDS clients.
import type { AwsClients } from './clients.js';
import { Network } from './network.js';
import { DbParameterGroups, DbSubnetGroups } from './rds-groups.js';
import { DbInstances } from './rds-instance.js';
import { SecurityGroups } from './securitygroup.js';
import { TransitGatewayAttachments } from './transitgateway.js';

export interface LandingZoneAws {
  network: Network;
  securityGroups: SecurityGroups;
  attachments: TransitGatewayAttachments;
  subnetGroups: DbSubnetGroups;
  parameterGroups: DbParameterGroups;
  instances: DbInstances;
}

export function landingZoneAws(clients: AwsClients): LandingZoneAws {
  return {
    network: new Network(clients.ec2),
    securityGroups: new SecurityGroups(clients.ec2),
    attachments: new TransitGatewayAttachments(clients.ec2),
    subnetGroups: new DbSubnetGroups(clients.rds),
    parameterGroups: new DbParameterGroups(clients.rds),
    instances: new DbInstances(clients.rds),
  };
}

export * from './clients.js';
export * from './errors.js';
export * from './metrics.js';
export * from './tags.js';
