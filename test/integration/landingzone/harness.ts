// Drives LandingZoneReconciler against the local stack: the real kube-apiserver (CRDs applied) with the
// real StatusWriter, Finalizers and EventRecorder, and moto's server for EC2 and RDS. Every call to AWS
// is recorded per pass, so tests can assert what a converged pass costs.
import { randomBytes } from 'node:crypto';
import { CoreV1Api, CustomObjectsApi, EventsV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { CreateTransitGatewayCommand, EC2Client } from '@aws-sdk/client-ec2';
import { RDSClient } from '@aws-sdk/client-rds';
import type { LandingZone, LandingZoneSpec } from '../../../src/api/index.js';
import { AwsClientFactory, type AwsCallRecord } from '../../../src/aws/clients.js';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsManagerPasswords } from '../../../src/aws/secretsmanager.js';
import { LandingZoneReconciler } from '../../../src/controllers/landingzone.js';
import { LANDING_ZONES } from '../../../src/controllers/kinds.js';
import { EventRecorder } from '../../../src/observability/events.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { fromUnknown } from '../../../src/errors.js';
import { Finalizers } from '../../../src/runtime/finalizers.js';
import { StatusWriter } from '../../../src/runtime/statusWriter.js';
import { testCluster, type TestCluster } from '../../support/cluster.js';

export const FAKE_CA = '-----BEGIN CERTIFICATE-----\nMIIBfakeRdsCaForTests\n-----END CERTIFICATE-----\n';

export interface PassResult {
  calls: AwsCallRecord[];
  error?: string;
}

export interface Harness {
  cluster: TestCluster;
  ns: string;
  ec2: EC2Client;
  rds: RDSClient;
  core: CoreV1Api;
  reconciler: LandingZoneReconciler;
  /** A fresh Transit Gateway in moto, owned by this test. */
  newTransitGateway(): Promise<string>;
  create(name: string, spec: LandingZoneSpec): Promise<LandingZone>;
  get(name: string): Promise<LandingZone | undefined>;
  patchSpec(name: string, patch: Record<string, unknown>): Promise<void>;
  clearStatus(name: string): Promise<void>;
  remove(name: string): Promise<void>;
  /** One reconcile of the object as it is now; the AWS calls it made. */
  pass(name: string): Promise<PassResult>;
  /** Passes until Ready=True and a pass changes nothing in AWS; returns the object and the passes taken. */
  converge(name: string, maxPasses?: number): Promise<{ lz: LandingZone; passes: number }>;
  /** Passes until the object is gone (finalizer released). */
  finalize(name: string, maxPasses?: number): Promise<number>;
  events(name: string): Promise<{ type: string; reason: string; note: string }[]>;
  destroy(): void;
}

export const isDescribe = (c: AwsCallRecord): boolean => c.operation.startsWith('Describe');

/** A unique suffix: moto's state is shared by every test of the run. */
export function uniqueSuffix(): string {
  return randomBytes(3).toString('hex');
}

/** A /16 no other test of this run picks (moto accepts overlapping VPCs, but distinct ones read better). */
export function uniqueVpcBase(): number {
  return 100 + ((randomBytes(1)[0] ?? 0) % 150);
}

export async function newHarness(prefix: string): Promise<Harness> {
  const cluster = await testCluster();
  const ns = await cluster.newNamespace(prefix);
  const env = cluster.env;
  const credentials = { accessKeyId: env.AWS_ACCESS_KEY_ID as string, secretAccessKey: env.AWS_SECRET_ACCESS_KEY as string };
  const region = env.AWS_REGION as string;
  const endpoint = env.AWS_ENDPOINT_URL as string;
  let calls: AwsCallRecord[] = [];
  const factory = new AwsClientFactory({ endpoint, credentials, maxAttempts: 1, onCall: (c) => calls.push(c) });
  const ec2 = new EC2Client({ endpoint, region, credentials });
  const rds = new RDSClient({ endpoint, region, credentials });
  const core = cluster.kc.makeApiClient(CoreV1Api);
  const custom = cluster.kc.makeApiClient(CustomObjectsApi);
  const eventsApi = cluster.kc.makeApiClient(EventsV1Api);
  const log = silentLogger();
  const recorder = new EventRecorder({ kc: cluster.kc, identity: `lz-test-${prefix}`, log, dedupeWindowMs: 0 });
  // The reconciler records events without waiting; a pass here waits for them so tests can read them.
  const pending: Promise<void>[] = [];
  const reconciler = new LandingZoneReconciler({
    core,
    status: new StatusWriter(cluster.kc),
    finalizers: new Finalizers(cluster.kc),
    events: { record: (regarding, input) => track(recorder.record(regarding, input)) },
    aws: factory,
    // moto's endpoints resolve nowhere: the test maps them like a port-forward would.
    endpoints: (db) => ({ host: `${db.identifier}.db.local.test`, port: 15432 }),
    trustStore: { bundleFor: async () => FAKE_CA },
    // moto keeps RDS-managed master passwords in its Secrets Manager, as AWS does.
    managedPasswords: new SecretsManagerPasswords({ client: (r) => new SecretsManagerClient({ endpoint, region: r, credentials }) }),
  });
  function track(p: Promise<void>): Promise<void> {
    pending.push(p);
    return p;
  }
  const { group, version, plural } = LANDING_ZONES;
  const mergeHeaders = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

  const get = async (name: string): Promise<LandingZone | undefined> => {
    try {
      return (await custom.getNamespacedCustomObject({ group, version, plural, namespace: ns, name })) as LandingZone;
    } catch (err) {
      if (fromUnknown(err).code === 'not-found') return undefined;
      throw err;
    }
  };

  const pass = async (name: string): Promise<PassResult> => {
    const object = await get(name);
    if (!object) return { calls: [] };
    calls = [];
    try {
      await reconciler.reconcile({ key: `${ns}/${name}`, namespace: ns, name, object, log, signal: new AbortController().signal });
      return { calls };
    } catch (err) {
      return { calls, error: fromUnknown(err).message };
    } finally {
      await Promise.all(pending.splice(0));
    }
  };

  const h: Harness = {
    cluster,
    ns,
    ec2,
    rds,
    core,
    reconciler,
    async newTransitGateway() {
      const out = await ec2.send(new CreateTransitGatewayCommand({ Description: `tenantshift test ${ns}` }));
      return out.TransitGateway?.TransitGatewayId as string;
    },
    async create(name, spec) {
      return (await custom.createNamespacedCustomObject({
        group,
        version,
        plural,
        namespace: ns,
        body: { apiVersion: `${group}/${version}`, kind: 'LandingZone', metadata: { name }, spec },
      })) as LandingZone;
    },
    get,
    async patchSpec(name, patch) {
      await custom.patchNamespacedCustomObject({ group, version, plural, namespace: ns, name, body: { spec: patch } }, mergeHeaders);
    },
    async clearStatus(name) {
      await custom.patchNamespacedCustomObjectStatus({ group, version, plural, namespace: ns, name, body: { status: null } }, mergeHeaders);
    },
    async remove(name) {
      await custom.deleteNamespacedCustomObject({ group, version, plural, namespace: ns, name });
    },
    pass,
    async converge(name, maxPasses = 40) {
      for (let k = 1; k <= maxPasses; k++) {
        const r = await pass(name);
        const lz = await get(name);
        const ready = lz?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
        if (lz && ready && !r.error && r.calls.every(isDescribe)) return { lz, passes: k };
      }
      const lz = await get(name);
      throw new Error(`LandingZone ${name} did not converge in ${maxPasses} passes: ${JSON.stringify(lz?.status?.conditions)}`);
    },
    async finalize(name, maxPasses = 40) {
      for (let k = 1; k <= maxPasses; k++) {
        await pass(name);
        if (!(await get(name))) return k;
      }
      throw new Error(
        `LandingZone ${name} was not finalized in ${maxPasses} passes: ${JSON.stringify((await get(name))?.status?.conditions)}`,
      );
    },
    async events(name) {
      const list = await eventsApi.listNamespacedEvent({ namespace: ns });
      return list.items
        .filter((e) => e.regarding?.name === name)
        .map((e) => ({ type: e.type ?? '', reason: e.reason ?? '', note: e.note ?? '' }));
    },
    destroy() {
      factory.destroy();
      ec2.destroy();
      rds.destroy();
    },
  };
  return h;
}

export function specFor(opts: { suffix: string; base: number; tgw: string; connectionSecretName?: string }): LandingZoneSpec {
  const { suffix, base, tgw } = opts;
  return {
    region: 'eu-west-1',
    network: {
      vpcCidr: `10.${base}.0.0/16`,
      subnets: [
        { availabilityZone: 'eu-west-1a', cidr: `10.${base}.1.0/24` },
        { availabilityZone: 'eu-west-1b', cidr: `10.${base}.2.0/24` },
      ],
      allowedCidrs: ['10.10.0.0/16'],
      transitGateway: { id: tgw, routes: ['10.10.0.0/16'] },
    },
    database: {
      identifier: `lz-${suffix}`,
      engineVersion: '15',
      instanceClass: 'db.r6g.large',
      multiAZ: true,
      tier: 'production',
      storage: { type: 'gp3', allocatedGiB: 500, iops: 12000, throughputMiBps: 500 },
      storageEncrypted: true,
      parameters: { max_replication_slots: '40' },
      allowReboot: false,
      masterPassword: 'operator',
      deletionProtection: true,
    },
    connectionSecretName: opts.connectionSecretName ?? `lz-${suffix}-db`,
    deletionPolicy: 'Retain',
  };
}
