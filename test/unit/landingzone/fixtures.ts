// Shared fixtures of the LandingZone unit tests: a sample object, a converged observation of it, an
// in-memory Secret store and an event log.
import type { LandingZone, LandingZoneSpec } from '../../../src/api/index.js';
import { normalize } from '../../../src/reconcilers/landingzone/desired.js';
import { desiredParameters } from '../../../src/reconcilers/landingzone/desired.js';
import { landingZoneNames } from '../../../src/reconcilers/landingzone/names.js';
import type { SecretStore, SecretWrite, StoredSecret } from '../../../src/reconcilers/landingzone/secrets.js';
import type { PlanInput } from '../../../src/reconcilers/landingzone/steps.js';
import { DEFAULT_TIMINGS, type Observed } from '../../../src/reconcilers/landingzone/types.js';
import { identityTags, tagMap } from '../../../src/aws/tags.js';
import type { DbInstanceInfo } from '../../../src/aws/rds-instance.js';
import { OperatorError } from '../../../src/errors.js';

export const TGW = 'tgw-0123456789abcdef0';

export function sampleSpec(): LandingZoneSpec {
  return {
    region: 'eu-west-1',
    network: {
      vpcCidr: '10.40.0.0/16',
      subnets: [
        { availabilityZone: 'eu-west-1a', cidr: '10.40.1.0/24' },
        { availabilityZone: 'eu-west-1b', cidr: '10.40.2.0/24' },
      ],
      allowedCidrs: ['10.10.0.0/16'],
      transitGateway: { id: TGW, routes: ['10.10.0.0/16'] },
    },
    database: {
      identifier: 'wallets-eu',
      engineVersion: '15',
      instanceClass: 'db.r6g.xlarge',
      multiAZ: true,
      tier: 'production',
      storage: { type: 'gp3', allocatedGiB: 500, iops: 12000, throughputMiBps: 500 },
      storageEncrypted: true,
      parameters: { max_replication_slots: '40' },
      allowReboot: false,
      masterPassword: 'operator',
      deletionProtection: true,
    },
    connectionSecretName: 'eu-west-db',
    deletionPolicy: 'Retain',
  };
}

export function sampleLandingZone(mutate: (spec: LandingZoneSpec) => void = () => undefined): LandingZone {
  const spec = sampleSpec();
  mutate(spec);
  return {
    apiVersion: 'tenantshift.io/v1alpha1',
    kind: 'LandingZone',
    metadata: { name: 'eu-west', namespace: 'team-a', uid: '0f0e0d0c-1111-2222-3333-444455556666', generation: 1 },
    spec,
  };
}

const identity = 'team-a/eu-west';
export const ours = (part: Parameters<typeof identityTags>[1]) => tagMap(identityTags(identity, part, part));

export function convergedInstance(): DbInstanceInfo {
  return {
    identifier: 'wallets-eu',
    resourceId: 'db-ABC',
    status: 'available',
    engineVersion: '15.6',
    instanceClass: 'db.r6g.xlarge',
    multiAZ: true,
    storage: { type: 'gp3', allocatedGiB: 500, iops: 12000, throughputMiBps: 500 },
    storageEncrypted: true,
    deletionProtection: true,
    publiclyAccessible: false,
    endpoint: { address: 'wallets-eu.abc.eu-west-1.rds.amazonaws.com', port: 5432 },
    subnetGroupName: 'wallets-eu-subnets',
    subnetGroupSubnetIds: ['subnet-a', 'subnet-b'],
    securityGroupIds: ['sg-1'],
    parameterGroups: [{ name: 'wallets-eu-postgres15', applyStatus: 'in-sync' }],
    masterUsername: 'tenantshift_admin',
    dbName: 'postgres',
    pending: { masterPassword: false },
    tags: ours('db-instance'),
  };
}

export function convergedObserved(lz: LandingZone = sampleLandingZone()): Observed {
  const n = normalize(lz.spec);
  return {
    vpc: { id: 'vpc-1', cidr: '10.40.0.0/16', state: 'available', tags: ours('vpc') },
    duplicateVpcIds: [],
    subnets: [
      {
        id: 'subnet-a',
        vpcId: 'vpc-1',
        cidr: '10.40.1.0/24',
        availabilityZone: 'eu-west-1a',
        mapPublicIpOnLaunch: false,
        tags: ours('subnet'),
      },
      {
        id: 'subnet-b',
        vpcId: 'vpc-1',
        cidr: '10.40.2.0/24',
        availabilityZone: 'eu-west-1b',
        mapPublicIpOnLaunch: false,
        tags: ours('subnet'),
      },
    ],
    routeTable: {
      id: 'rtb-1',
      main: false,
      associations: [
        { id: 'rtbassoc-a', subnetId: 'subnet-a' },
        { id: 'rtbassoc-b', subnetId: 'subnet-b' },
      ],
      routes: [
        { destination: '10.40.0.0/16', target: { kind: 'local' }, state: 'active' },
        { destination: '10.10.0.0/16', target: { kind: 'transit-gateway', id: TGW }, state: 'active' },
      ],
      tags: ours('route-table'),
    },
    otherRouteTables: [],
    securityGroup: {
      id: 'sg-1',
      name: 'wallets-eu-postgres',
      vpcId: 'vpc-1',
      ingress: [{ protocol: 'tcp', fromPort: 5432, toPort: 5432, source: { kind: 'cidr', value: '10.10.0.0/16' } }],
      tags: ours('security-group'),
    },
    attachments: [
      {
        id: 'tgw-attach-1',
        transitGatewayId: TGW,
        vpcId: 'vpc-1',
        state: 'available',
        subnetIds: ['subnet-a', 'subnet-b'],
        tags: ours('transit-gateway-attachment'),
      },
    ],
    subnetGroup: { name: 'wallets-eu-subnets', vpcId: 'vpc-1', subnetIds: ['subnet-a', 'subnet-b'] },
    parameterGroup: { name: 'wallets-eu-postgres15', family: 'postgres15', parameters: desiredParameters(n) },
    instance: convergedInstance(),
    masterSecret: { exists: true, foreign: false, appliedTo: 'db-ABC' },
    connectionSecret: 'current',
  };
}

export function planInput(observed: Observed, lz: LandingZone = sampleLandingZone(), extra: Partial<PlanInput> = {}): PlanInput {
  return {
    n: normalize(lz.spec),
    names: landingZoneNames(lz),
    observed,
    timings: DEFAULT_TIMINGS,
    now: Date.parse('2030-01-01T00:00:00Z'),
    convergedAtGeneration: true,
    ...extra,
  };
}

/** Secrets in a Map, with the Kubernetes semantics the reconciler relies on (create fails when present). */
export class MemorySecretStore implements SecretStore {
  readonly secrets = new Map<string, StoredSecret & { ownedBy?: SecretWrite['ownedBy'] }>();

  async read(name: string): Promise<StoredSecret | undefined> {
    const s = this.secrets.get(name);
    return s ? { data: { ...s.data }, labels: { ...s.labels }, annotations: { ...s.annotations } } : undefined;
  }

  async create(secret: SecretWrite): Promise<void> {
    if (this.secrets.has(secret.name)) throw new OperatorError('conflict', `Secret ${secret.name} exists`);
    await this.write(secret);
  }

  async write(secret: SecretWrite): Promise<void> {
    this.secrets.set(secret.name, {
      data: { ...secret.data },
      labels: { ...secret.labels },
      annotations: { ...secret.annotations },
      ...(secret.ownedBy ? { ownedBy: secret.ownedBy } : {}),
    });
  }

  async annotate(name: string, annotations: Record<string, string>): Promise<void> {
    const s = this.secrets.get(name);
    if (!s) throw new OperatorError('not-found', `Secret ${name} not found`);
    s.annotations = { ...s.annotations, ...annotations };
  }

  async delete(name: string): Promise<void> {
    this.secrets.delete(name);
  }
}

export class EventLog {
  readonly events: { type: 'Normal' | 'Warning'; reason: string; note: string }[] = [];
  readonly sink = {
    normal: (reason: string, note: string): void => void this.events.push({ type: 'Normal', reason, note }),
    warning: (reason: string, note: string): void => void this.events.push({ type: 'Warning', reason, note }),
  };
}
