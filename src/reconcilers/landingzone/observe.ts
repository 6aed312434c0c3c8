// Reads the world of one LandingZone: its AWS resources, found by identity tag, deterministic name or
// VPC membership (never by status alone, so a lost status adopts instead of duplicating), and its Secrets.
// A converged landing zone costs seven describe calls here.
import type { LandingZoneAws } from '../../aws/index.js';
import { isOwnedBy } from '../../aws/tags.js';
import type { VpcInfo } from '../../aws/network.js';
import type { DbInstanceInfo } from '../../aws/rds-instance.js';
import type { Normalized } from './desired.js';
import type { LandingZoneNames } from './names.js';
import {
  connectionData,
  connectionSecretState,
  masterSecretState,
  type EndpointMapper,
  type ManagedPasswordReader,
  type SecretStore,
  type TrustStore,
} from './secrets.js';
import type { Observed } from './types.js';

export interface ObserveDeps {
  aws: LandingZoneAws;
  secrets: SecretStore;
  endpoints: EndpointMapper;
  trustStore?: TrustStore;
  managedPasswords?: ManagedPasswordReader;
}

export interface Observation {
  observed: Observed;
  /** The connection Secret's desired data, for the apply step only (holds the password). */
  connection?: Record<string, string>;
}

/** Hints from status: a VPC created a moment ago may not match a tag filter yet (EC2 is eventually consistent). */
export interface ObserveHints {
  vpcId?: string;
}

export async function observe(
  lzName: string,
  n: Normalized,
  names: LandingZoneNames,
  deps: ObserveDeps,
  hints: ObserveHints,
): Promise<Observation> {
  const { aws } = deps;
  const { vpc, duplicates } = await findVpc(aws, names.identity, hints.vpcId);
  const [subnets, routeTables, groups, attachments] = vpc
    ? await Promise.all([
        aws.network.listSubnets(vpc.id),
        aws.network.listRouteTables(vpc.id),
        aws.securityGroups.list(vpc.id),
        aws.attachments.listForVpc(vpc.id),
      ])
    : [[], [], [], []];
  const [instance, parameters] = await Promise.all([
    aws.instances.describe(n.identifier),
    aws.parameterGroups.userParameters(names.parameterGroup),
  ]);
  // The instance's description carries its subnet group: describe the group only when it cannot.
  const subnetGroup =
    instance && instance.subnetGroupName === names.subnetGroup
      ? { name: names.subnetGroup, vpcId: vpc?.id ?? '', subnetIds: instance.subnetGroupSubnetIds }
      : await aws.subnetGroups.describe(names.subnetGroup);
  const routeTable = routeTables.find((t) => isOwnedBy(t.tags, names.identity));
  const observed: Observed = {
    ...(vpc ? { vpc } : {}),
    duplicateVpcIds: duplicates,
    subnets,
    ...(routeTable ? { routeTable } : {}),
    otherRouteTables: routeTables.filter((t) => t !== routeTable),
    attachments,
    ...(subnetGroup ? { subnetGroup } : {}),
    ...(parameters ? { parameterGroup: { name: names.parameterGroup, family: names.parameterFamily, parameters } } : {}),
    ...(instance ? { instance } : {}),
    masterSecret: { exists: false, foreign: false },
    connectionSecret: 'missing',
  };
  // Ours by tag, else by our deterministic name inside our own VPC (tagged afterwards by nobody: adopted as is).
  const group = groups.find((g) => isOwnedBy(g.tags, names.identity)) ?? groups.find((g) => g.name === names.securityGroup);
  if (group) observed.securityGroup = group;
  const connection = await observeSecrets(lzName, n, names, deps, observed);
  return { observed, ...(connection ? { connection } : {}) };
}

async function findVpc(
  aws: LandingZoneAws,
  identity: string,
  hintId: string | undefined,
): Promise<{ vpc?: VpcInfo; duplicates: string[] }> {
  let vpcs = (await aws.network.findVpcsByIdentity(identity)).filter((v) => v.state !== 'deleted');
  if (vpcs.length === 0 && hintId) {
    const byId = await aws.network.describeVpc(hintId);
    if (byId && isOwnedBy(byId.tags, identity)) vpcs = [byId];
  }
  if (vpcs.length === 0) return { duplicates: [] };
  // Prefer the one status names; otherwise a stable choice, so two passes never disagree.
  const sorted = [...vpcs].sort((a, b) => (a.id === hintId ? -1 : b.id === hintId ? 1 : a.id.localeCompare(b.id)));
  const [vpc, ...rest] = sorted as [VpcInfo, ...VpcInfo[]];
  return { vpc, duplicates: rest.map((v) => v.id) };
}

async function observeSecrets(
  lzName: string,
  n: Normalized,
  names: LandingZoneNames,
  deps: ObserveDeps,
  observed: Observed,
): Promise<Record<string, string> | undefined> {
  const master = await deps.secrets.read(names.masterSecret);
  observed.masterSecret = masterSecretState(master, lzName);
  const instance = observed.instance;
  const blocker = (why: string): undefined => {
    observed.connectionSecretBlocker = why;
    return undefined;
  };
  if (!instance || !isOwnedBy(instance.tags, names.identity)) return blocker(`Waiting for DB instance ${n.identifier} to exist`);
  if (!instance.endpoint) return blocker(`Waiting for DB instance ${n.identifier} to have an endpoint (now ${instance.status})`);
  const password = await masterPassword(n, instance, observed, master?.data.password, deps);
  if (password === undefined) return undefined;
  const caBundle = await deps.trustStore?.bundleFor(n.region);
  const desired = connectionData({ instance, region: n.region, password, endpoints: deps.endpoints, ...(caBundle ? { caBundle } : {}) });
  observed.connectionSecret = connectionSecretState(await deps.secrets.read(n.connectionSecretName), desired, lzName);
  return desired;
}

async function masterPassword(
  n: Normalized,
  instance: DbInstanceInfo,
  observed: Observed,
  stored: string | undefined,
  deps: ObserveDeps,
): Promise<string | undefined> {
  if (n.masterPassword === 'aws') {
    if (!instance.managedMasterSecretArn) {
      observed.connectionSecretBlocker = `Waiting for RDS to manage the master password of ${n.identifier}`;
      return undefined;
    }
    if (!deps.managedPasswords) {
      observed.connectionSecretBlocker =
        `The master password of ${n.identifier} is AWS-managed (spec.database.masterPassword: aws) in Secrets Manager ` +
        `(${instance.managedMasterSecretArn}), and this operator has no Secrets Manager reader`;
      return undefined;
    }
    return deps.managedPasswords.read(n.region, instance.managedMasterSecretArn);
  }
  if (!observed.masterSecret.exists || observed.masterSecret.foreign || stored === undefined) {
    observed.connectionSecretBlocker = 'Waiting for the master password Secret';
    return undefined;
  }
  if (observed.masterSecret.appliedTo !== instance.resourceId) {
    observed.connectionSecretBlocker = `Waiting for the master password to be set on DB instance ${n.identifier}`;
    return undefined;
  }
  return stored;
}
