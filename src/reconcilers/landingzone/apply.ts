// Performs the one action a plan picked, through the AWS adapters and the Secret store. Every action is
// idempotent or fails with a classified conflict that the next pass resolves by observing again.
import type { LandingZone } from '../../api/index.js';
import type { LandingZoneAws } from '../../aws/index.js';
import { identityTags, type Part } from '../../aws/tags.js';
import { OperatorError, TerminalError } from '../../errors.js';
import type { Normalized } from './desired.js';
import type { LandingZoneNames } from './names.js';
import { APPLIED_TO_ANNOTATION, generatePassword, ownedLabels, type SecretStore } from './secrets.js';
import type { Action, Observed } from './types.js';

export interface ApplyInput {
  lz: LandingZone;
  n: Normalized;
  names: LandingZoneNames;
  observed: Observed;
  /** The connection Secret's desired data (holds the password). */
  connection?: Record<string, string>;
  aws: LandingZoneAws;
  secrets: SecretStore;
}

export interface Applied {
  vpcId?: string;
}

export async function applyAction(action: Action, a: ApplyInput): Promise<Applied> {
  const { aws, names, n, observed: o } = a;
  const tags = (part: Part, suffix: string = part) => identityTags(names.identity, part, `${names.display}-${suffix}`);
  const vpcId = o.vpc?.id ?? '';
  switch (action.kind) {
    case 'createVpc':
      return { vpcId: (await aws.network.createVpc(n.vpcCidr, tags('vpc'))).id };
    case 'createSubnet':
      await aws.network.createSubnet({
        vpcId,
        cidr: action.cidr,
        availabilityZone: action.availabilityZone,
        tags: tags('subnet', action.availabilityZone),
      });
      return {};
    case 'disablePublicIp':
      await aws.network.disablePublicIpOnLaunch(action.subnetId);
      return {};
    case 'createSecurityGroup':
      await aws.securityGroups.create({
        vpcId,
        name: names.securityGroup,
        description: `PostgreSQL of LandingZone ${names.identity}`,
        tags: tags('security-group'),
      });
      return {};
    case 'revokeIngress':
      await aws.securityGroups.revoke(action.groupId, action.rules);
      return {};
    case 'authorizeIngress':
      await aws.securityGroups.authorize(action.groupId, action.rules, `spec.network.allowedCidrs of ${names.identity}`);
      return {};
    case 'createRouteTable':
      await aws.network.createRouteTable({ vpcId, tags: tags('route-table'), clientToken: names.routeTableClientToken });
      return {};
    case 'associateRouteTable':
      await aws.network.associateRouteTable(action.routeTableId, action.subnetId);
      return {};
    case 'disassociateRouteTable':
      await aws.network.disassociateRouteTable(action.associationId);
      return {};
    case 'deleteRoute':
      await aws.network.deleteRoute(action.routeTableId, action.destination);
      return {};
    case 'createRoute':
      await aws.network.createRoute(action.routeTableId, action.destination, action.transitGatewayId);
      return {};
    case 'replaceRoute':
      await aws.network.replaceRoute(action.routeTableId, action.destination, action.transitGatewayId);
      return {};
    case 'createAttachment':
      await aws.attachments.create({
        transitGatewayId: action.transitGatewayId,
        vpcId,
        subnetIds: action.subnetIds,
        tags: tags('transit-gateway-attachment'),
      });
      return {};
    case 'modifyAttachmentSubnets':
      await aws.attachments.modifySubnets(action.attachmentId, action.add, action.remove);
      return {};
    case 'deleteAttachment':
      await aws.attachments.delete(action.attachmentId);
      return {};
    case 'createSubnetGroup':
      await aws.subnetGroups.create({
        name: names.subnetGroup,
        description: `Private subnets of LandingZone ${names.identity}`,
        subnetIds: action.subnetIds,
        tags: tags('db-subnet-group'),
      });
      return {};
    case 'modifySubnetGroup':
      await aws.subnetGroups.modify({
        name: names.subnetGroup,
        description: `Private subnets of LandingZone ${names.identity}`,
        subnetIds: action.subnetIds,
      });
      return {};
    case 'createParameterGroup':
      await aws.parameterGroups.create({
        name: names.parameterGroup,
        family: names.parameterFamily,
        description: `PostgreSQL with logical replication, LandingZone ${names.identity}`,
        tags: tags('db-parameter-group'),
      });
      return {};
    case 'setParameters':
      await aws.parameterGroups.modify(names.parameterGroup, action.settings);
      return {};
    case 'createMasterSecret':
      await a.secrets.create({
        name: names.masterSecret,
        data: { username: names.masterUsername, password: generatePassword() },
        labels: ownedLabels(a.lz.metadata.name ?? '', 'master'),
        annotations: { 'tenantshift.io/db-instance': n.identifier },
      });
      return {};
    case 'createInstance':
      await createInstance(action, a);
      return {};
    case 'modifyInstance':
      await aws.instances.modify(n.identifier, action.changes);
      return {};
    case 'setMasterPassword': {
      const password = await storedPassword(a);
      await aws.instances.setMasterPassword(n.identifier, password, action.leaveAwsManagement);
      await a.secrets.annotate(names.masterSecret, { [APPLIED_TO_ANNOTATION]: o.instance?.resourceId ?? '' });
      return {};
    }
    case 'rebootInstance':
      await aws.instances.reboot(n.identifier);
      return {};
    case 'writeConnectionSecret':
      if (!a.connection) throw new TerminalError('The connection Secret has no data to write');
      await a.secrets.write({
        name: n.connectionSecretName,
        data: a.connection,
        labels: ownedLabels(a.lz.metadata.name ?? '', 'connection'),
        annotations: { 'tenantshift.io/db-instance': n.identifier },
        ownedBy: { apiVersion: a.lz.apiVersion, kind: a.lz.kind, name: a.lz.metadata.name ?? '', uid: a.lz.metadata.uid ?? '' },
      });
      return {};
    case 'deleteSubnet':
      await aws.network.deleteSubnet(action.subnetId);
      return {};
    case 'tagResource':
      await aws.network.tagResource(action.resourceId, tags(action.part));
      return {};
    case 'deleteInstance':
      await aws.instances.delete(n.identifier, action.finalSnapshotId);
      return {};
    case 'deleteSubnetGroup':
      await aws.subnetGroups.delete(names.subnetGroup);
      return {};
    case 'deleteParameterGroup':
      await aws.parameterGroups.delete(names.parameterGroup);
      return {};
    case 'deleteRouteTable':
      await aws.network.deleteRouteTable(action.routeTableId);
      return {};
    case 'deleteSecurityGroup':
      await aws.securityGroups.delete(action.groupId);
      return {};
    case 'deleteVpc':
      await aws.network.deleteVpc(action.vpcId);
      return {};
    case 'deleteSecrets':
      await a.secrets.delete(n.connectionSecretName);
      await a.secrets.delete(names.masterSecret);
      return {};
  }
}

async function storedPassword(a: ApplyInput): Promise<string> {
  const password = (await a.secrets.read(a.names.masterSecret))?.data.password;
  // The plan only asks for this once the Secret exists; a Secret deleted since is recreated next pass.
  if (!password) throw new OperatorError('conflict', `Secret ${a.names.masterSecret} has no password`);
  return password;
}

async function createInstance(action: Extract<Action, { kind: 'createInstance' }>, a: ApplyInput): Promise<void> {
  const password = action.awsManagedPassword ? undefined : await storedPassword(a);
  const created = await a.aws.instances.create({
    identifier: a.n.identifier,
    settings: action.settings,
    subnetGroupName: a.names.subnetGroup,
    dbName: a.names.dbName,
    masterUsername: a.names.masterUsername,
    ...(password !== undefined ? { masterPassword: password } : {}),
    tags: identityTags(a.names.identity, 'db-instance', `${a.names.display}-db`),
  });
  // Recorded right away: without it the next pass would set the same password again (harmless, but a write).
  if (password !== undefined && created.resourceId) {
    await a.secrets.annotate(a.names.masterSecret, { [APPLIED_TO_ANNOTATION]: created.resourceId });
  }
}
