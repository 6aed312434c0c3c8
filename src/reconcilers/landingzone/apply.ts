// Performs the one action a plan picked, through the AWS adapters and the Secret store. Every action is
// idempotent or fails with a classified conflict that the next pass resolves by observing again.
import type { LandingZone } from '../../api/index.js';
import type { LandingZoneAws } from '../../aws/index.js';
import { identityTags, type Part } from '../../aws/tags.js';
import { OperatorError, TerminalError } from '../../errors.js';
import type { Normalized } from './desired.js';
import type { LandingZoneNames } from './names.js';
import { APPLIED_TO_ANNOTATION, generatePassword, isOwnedSecret, ownedLabels, type SecretStore } from './secrets.js';
import type { Action, Observed } from './types.js';
import { registerSecret } from '../../redact.js';

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

/** What every action's handler may use: the apply input, names, tags and the observed VPC. */
interface Context {
  a: ApplyInput;
  aws: LandingZoneAws;
  names: LandingZoneNames;
  n: Normalized;
  o: Observed;
  tags: (part: Part, suffix?: string) => ReturnType<typeof identityTags>;
  vpcId: string;
}

type Handler<K extends Action['kind']> = (action: Extract<Action, { kind: K }>, c: Context) => Promise<Applied | void>;
type Handlers<K extends Action['kind']> = { [P in K]: Handler<P> };

export async function applyAction(action: Action, a: ApplyInput): Promise<Applied> {
  const { aws, names, n, observed: o } = a;
  const tags = (part: Part, suffix: string = part) => identityTags(names.identity, part, `${names.display}-${suffix}`);
  const c: Context = { a, aws, names, n, o, tags, vpcId: o.vpc?.id ?? '' };
  const handler = HANDLERS[action.kind] as (action: Action, c: Context) => Promise<Applied | void>;
  return (await handler(action, c)) ?? {};
}

// The VPC, subnets, security group, route table and Transit Gateway attachment.
const NETWORK_HANDLERS = {
  createVpc: async (_action, { aws, n, tags }) => {
    return { vpcId: (await aws.network.createVpc(n.vpcCidr, tags('vpc'))).id };
  },
  createSubnet: async (action, { aws, tags, vpcId }) => {
    await aws.network.createSubnet({
      vpcId,
      cidr: action.cidr,
      availabilityZone: action.availabilityZone,
      tags: tags('subnet', action.availabilityZone),
    });
  },
  disablePublicIp: async (action, { aws }) => {
    await aws.network.disablePublicIpOnLaunch(action.subnetId);
  },
  createSecurityGroup: async (_action, { aws, names, tags, vpcId }) => {
    await aws.securityGroups.create({
      vpcId,
      name: names.securityGroup,
      description: `PostgreSQL of LandingZone ${names.identity}`,
      tags: tags('security-group'),
    });
  },
  revokeIngress: async (action, { aws }) => {
    await aws.securityGroups.revoke(action.groupId, action.rules);
  },
  authorizeIngress: async (action, { aws, names }) => {
    await aws.securityGroups.authorize(action.groupId, action.rules, `spec.network.allowedCidrs of ${names.identity}`);
  },
  createRouteTable: async (_action, { aws, names, tags, vpcId }) => {
    await aws.network.createRouteTable({ vpcId, tags: tags('route-table'), clientToken: names.routeTableClientToken });
  },
  associateRouteTable: async (action, { aws }) => {
    await aws.network.associateRouteTable(action.routeTableId, action.subnetId);
  },
  disassociateRouteTable: async (action, { aws }) => {
    await aws.network.disassociateRouteTable(action.associationId);
  },
  deleteRoute: async (action, { aws }) => {
    await aws.network.deleteRoute(action.routeTableId, action.destination);
  },
  createRoute: async (action, { aws }) => {
    await aws.network.createRoute(action.routeTableId, action.destination, action.transitGatewayId);
  },
  replaceRoute: async (action, { aws }) => {
    await aws.network.replaceRoute(action.routeTableId, action.destination, action.transitGatewayId);
  },
  createAttachment: async (action, { aws, tags, vpcId }) => {
    await aws.attachments.create({
      transitGatewayId: action.transitGatewayId,
      vpcId,
      subnetIds: action.subnetIds,
      tags: tags('transit-gateway-attachment'),
    });
  },
  modifyAttachmentSubnets: async (action, { aws }) => {
    await aws.attachments.modifySubnets(action.attachmentId, action.add, action.remove);
  },
  deleteAttachment: async (action, { aws }) => {
    await aws.attachments.delete(action.attachmentId);
  },
  deleteSubnet: async (action, { aws }) => {
    await aws.network.deleteSubnet(action.subnetId);
  },
  tagResource: async (action, { aws, tags }) => {
    await aws.network.tagResource(action.resourceId, tags(action.part));
  },
  deleteRouteTable: async (action, { aws }) => {
    await aws.network.deleteRouteTable(action.routeTableId);
  },
  deleteSecurityGroup: async (action, { aws }) => {
    await aws.securityGroups.delete(action.groupId);
  },
  deleteVpc: async (action, { aws }) => {
    await aws.network.deleteVpc(action.vpcId);
  },
} satisfies Partial<Handlers<Action['kind']>>;

// The DB subnet group, parameter group and instance.
const DATABASE_HANDLERS = {
  createSubnetGroup: async (action, { aws, names, tags }) => {
    await aws.subnetGroups.create({
      name: names.subnetGroup,
      description: `Private subnets of LandingZone ${names.identity}`,
      subnetIds: action.subnetIds,
      tags: tags('db-subnet-group'),
    });
  },
  modifySubnetGroup: async (action, { aws, names }) => {
    await aws.subnetGroups.modify({
      name: names.subnetGroup,
      description: `Private subnets of LandingZone ${names.identity}`,
      subnetIds: action.subnetIds,
    });
  },
  createParameterGroup: async (_action, { aws, names, tags }) => {
    await aws.parameterGroups.create({
      name: names.parameterGroup,
      family: names.parameterFamily,
      description: `PostgreSQL with logical replication, LandingZone ${names.identity}`,
      tags: tags('db-parameter-group'),
    });
  },
  setParameters: async (action, { aws, names }) => {
    await aws.parameterGroups.modify(names.parameterGroup, action.settings);
  },
  createInstance: async (action, { a }) => {
    await createInstance(action, a);
  },
  modifyInstance: async (action, { aws, n }) => {
    await aws.instances.modify(n.identifier, action.changes);
  },
  setMasterPassword: async (action, { aws, names, n, o, a }) => {
    const password = await storedPassword(a);
    await aws.instances.setMasterPassword(n.identifier, password, action.leaveAwsManagement);
    await a.secrets.annotate(names.masterSecret, { [APPLIED_TO_ANNOTATION]: o.instance?.resourceId ?? '' });
  },
  rebootInstance: async (_action, { aws, n }) => {
    await aws.instances.reboot(n.identifier);
  },
  deleteInstance: async (action, { aws, n }) => {
    await aws.instances.delete(n.identifier, action.finalSnapshotId);
  },
  deleteSubnetGroup: async (_action, { aws, names }) => {
    await aws.subnetGroups.delete(names.subnetGroup);
  },
  deleteParameterGroup: async (_action, { aws, names }) => {
    await aws.parameterGroups.delete(names.parameterGroup);
  },
} satisfies Partial<Handlers<Action['kind']>>;

// The master and connection Secrets.
const SECRETS_HANDLERS = {
  createMasterSecret: async (_action, { names, n, a }) => {
    await a.secrets.create({
      name: names.masterSecret,
      data: { username: names.masterUsername, password: generatePassword() },
      labels: ownedLabels(a.lz.metadata.name ?? '', 'master'),
      annotations: { 'tenantshift.io/db-instance': n.identifier },
    });
  },
  writeConnectionSecret: async (_action, { n, a }) => {
    if (!a.connection) throw new TerminalError('The connection Secret has no data to write');
    await a.secrets.write({
      name: n.connectionSecretName,
      data: a.connection,
      labels: ownedLabels(a.lz.metadata.name ?? '', 'connection'),
      annotations: { 'tenantshift.io/db-instance': n.identifier },
      ownedBy: { apiVersion: a.lz.apiVersion, kind: a.lz.kind, name: a.lz.metadata.name ?? '', uid: a.lz.metadata.uid ?? '' },
    });
  },
  deleteSecrets: async (_action, { names, n, a }) => {
    // Only what this LandingZone created: a Secret that merely has the configured name is someone else's.
    for (const name of [n.connectionSecretName, names.masterSecret]) {
      const secret = await a.secrets.read(name);
      if (secret && isOwnedSecret(secret, a.lz.metadata.name ?? '')) await a.secrets.delete(name);
    }
  },
} satisfies Partial<Handlers<Action['kind']>>;

const HANDLERS: Handlers<Action['kind']> = { ...NETWORK_HANDLERS, ...DATABASE_HANDLERS, ...SECRETS_HANDLERS };

async function storedPassword(a: ApplyInput): Promise<string> {
  const password = (await a.secrets.read(a.names.masterSecret))?.data.password;
  // The plan only asks for this once the Secret exists; a Secret deleted since is recreated next pass.
  if (!password) throw new OperatorError('conflict', `Secret ${a.names.masterSecret} has no password`);
  registerSecret(password);
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
