// The generated CRDs on the real kube-apiserver: every sample is accepted, defaults are applied,
// each invalid manifest is refused with HTTP 422 naming the offending field, and immutable fields
// stay immutable. The invalid table is data: one small mutation of a sample per row.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiException, CoreV1Api, CustomObjectsApi, type V1Secret } from '@kubernetes/client-node';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parseAllDocuments } from 'yaml';
import { GROUP, VERSION } from '../../src/api/common.js';
import { LandingZoneNames, LandingZoneSpecSchema, type LandingZoneSpec } from '../../src/api/landingzone.js';
import { SchemaReplicationNames, SchemaReplicationSpecSchema, type SchemaReplicationSpec } from '../../src/api/schemareplication.js';
import { TenantCutoverNames, TenantCutoverSpecSchema, type TenantCutoverSpec } from '../../src/api/tenantcutover.js';
import { testCluster } from '../support/cluster.js';

interface SpecOf {
  LandingZone: LandingZoneSpec;
  SchemaReplication: SchemaReplicationSpec;
  TenantCutover: TenantCutoverSpec;
}
export type CrKind = keyof SpecOf;

export interface Manifest<K extends CrKind = CrKind> {
  apiVersion: string;
  kind: K;
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  spec: SpecOf[K];
}

const SPEC_SCHEMA: Record<CrKind, TSchema> = {
  LandingZone: LandingZoneSpecSchema,
  SchemaReplication: SchemaReplicationSpecSchema,
  TenantCutover: TenantCutoverSpecSchema,
};

const PLURAL: Record<CrKind, string> = {
  LandingZone: LandingZoneNames.plural,
  SchemaReplication: SchemaReplicationNames.plural,
  TenantCutover: TenantCutoverNames.plural,
};

type CaseOf<K extends CrKind> = {
  name: string;
  kind: K;
  /** Breaks one thing in a copy of the sample's spec; `as never` marks values outside the type. */
  mutate: (spec: SpecOf[K]) => void;
  /** Must appear in the 422 message: the path of the field the refusal is about. */
  expectField: string;
};
export type InvalidCase = CaseOf<'LandingZone'> | CaseOf<'SchemaReplication'> | CaseOf<'TenantCutover'>;

// Row builders keep each row on one line; the table stays one array of {name, kind, mutate, expectField}.
const srep = (name: string, expectField: string, mutate: CaseOf<'SchemaReplication'>['mutate']): InvalidCase => ({
  name,
  kind: 'SchemaReplication',
  mutate,
  expectField,
});
const tcut = (name: string, expectField: string, mutate: CaseOf<'TenantCutover'>['mutate']): InvalidCase => ({
  name,
  kind: 'TenantCutover',
  mutate,
  expectField,
});
const lz = (name: string, expectField: string, mutate: CaseOf<'LandingZone'>['mutate']): InvalidCase => ({
  name,
  kind: 'LandingZone',
  mutate,
  expectField,
});

export const INVALID_CASES: InvalidCase[] = [
  srep('no schemas', 'spec.schemas', (s) => {
    s.schemas = [];
  }),
  srep('a schema listed twice', 'spec.schemas[1]', (s) => {
    s.schemas = ['tenant_a_wallet', 'tenant_a_wallet'];
  }),
  srep('a system schema', 'spec.schemas[2]', (s) => {
    s.schemas.push('pg_catalog');
  }),
  srep('the operator’s own schema', 'spec.schemas[2]', (s) => {
    s.schemas.push('tenantshift');
  }),
  // 40 characters, 80 bytes: PostgreSQL would truncate it to another schema's name.
  srep('a schema name over 63 bytes', 'spec.schemas[2]', (s) => {
    s.schemas.push('ü'.repeat(40));
  }),
  srep('both secretRef and landingZoneRef as target', 'spec.target', (s) => {
    s.target.landingZoneRef = { name: 'eu-west' };
  }),
  srep('no target', 'spec.target', (s) => {
    s.target = {};
  }),
  srep('a source without secretRef', 'spec.source.secretRef', (s) => {
    s.source = {} as never;
  }),
  srep('deletionPolicy Orphan', 'spec.deletionPolicy', (s) => {
    s.deletionPolicy = 'Orphan' as never;
  }),
  srep('replicaIdentityFull outside the schemas', 'spec.replicaIdentityFull', (s) => {
    s.replicaIdentityFull = ['public.audit'];
  }),
  srep('copyRoleVerifiers without copyRoles', 'spec.copyRoleVerifiers', (s) => {
    Object.assign(s, { copyRoles: false, copyRoleVerifiers: true });
  }),
  tcut('maxWritePause over 60s', 'spec.maxWritePause', (s) => {
    s.maxWritePause = '90s';
  }),
  tcut('maxWritePause under 100ms', 'spec.maxWritePause', (s) => {
    s.maxWritePause = '50ms';
  }),
  tcut('maxWritePause not a duration', 'spec.maxWritePause', (s) => {
    s.maxWritePause = 'soon';
  }),
  tcut('retry.attempts over 10', 'spec.retry.attempts', (s) => {
    s.retry = { attempts: 11, backoff: '30s' };
  }),
  tcut('retry.backoff under 1s', 'spec.retry.backoff', (s) => {
    s.retry = { attempts: 3, backoff: '0s' };
  }),
  tcut('no PgBouncer pool', 'spec.routing.pgbouncer.pool', (s) => {
    s.routing.pgbouncer = { database: 'tenant_a' } as never;
  }),
  tcut('a PgBouncer database with a space', 'spec.routing.pgbouncer.database', (s) => {
    s.routing.pgbouncer.database = 'tenant a';
  }),
  tcut('the PgBouncer admin console as database', 'spec.routing.pgbouncer.database', (s) => {
    s.routing.pgbouncer.database = 'pgbouncer';
  }),
  tcut('rollback of a completed cutover', 'spec.rollback', (s) => {
    Object.assign(s, { approved: true, complete: true, rollback: true });
  }),
  lz('unencrypted storage', 'spec.database.storageEncrypted', (s) => {
    s.database.storageEncrypted = false;
  }),
  lz('production without multiAZ', 'spec.database.multiAZ', (s) => {
    s.database.multiAZ = false;
  }),
  lz('production without deletionProtection', 'spec.database.deletionProtection', (s) => {
    s.database.deletionProtection = false;
  }),
  lz('io1 without iops', 'spec.database.storage.iops', (s) => {
    s.database.storage = { type: 'io1', allocatedGiB: 500 };
  }),
  lz('throughput on io2', 'spec.database.storage.throughputMiBps', (s) => {
    Object.assign(s.database.storage, { type: 'io2' });
  }),
  lz('gp3 iops below 400 GiB', 'spec.database.storage.allocatedGiB', (s) => {
    s.database.storage.allocatedGiB = 100;
  }),
  lz('allocatedGiB below 20', 'spec.database.storage.allocatedGiB', (s) => {
    s.database.storage.allocatedGiB = 10;
  }),
  lz('unknown storage type gp2', 'spec.database.storage.type', (s) => {
    s.database.storage.type = 'gp2' as never;
  }),
  lz('a single subnet', 'spec.network.subnets', (s) => {
    s.network.subnets.pop();
  }),
  lz('two subnets in one zone', 'spec.network.subnets[1]', (s) => {
    s.network.subnets[1].availabilityZone = 'eu-west-1a';
  }),
  lz('a subnet outside the VPC', 'spec.network.subnets', (s) => {
    s.network.subnets[1].cidr = '10.41.2.0/24';
  }),
  lz('overlapping subnets', 'spec.network.subnets', (s) => {
    s.network.subnets[1].cidr = '10.40.1.0/25';
  }),
  lz('a subnet in another region', 'spec.network.subnets', (s) => {
    s.network.subnets[1].availabilityZone = 'us-east-1b';
  }),
  lz('vpcCidr prefix /33', 'spec.network.vpcCidr', (s) => {
    s.network.vpcCidr = '10.40.0.0/33';
  }),
  lz('vpcCidr with host bits', 'spec.network.vpcCidr', (s) => {
    s.network.vpcCidr = '10.40.0.1/16';
  }),
  lz('vpcCidr larger than /16', 'spec.network.vpcCidr', (s) => {
    s.network.vpcCidr = '10.0.0.0/8';
  }),
  lz('an allowedCidrs entry without prefix', 'spec.network.allowedCidrs[0]', (s) => {
    s.network.allowedCidrs = ['10.10.0.0'];
  }),
  lz('PostgreSQL open to every address', 'spec.network.allowedCidrs[0]', (s) => {
    s.network.allowedCidrs = ['0.0.0.0/0'];
  }),
  lz('PostgreSQL 14', 'spec.database.engineVersion', (s) => {
    s.database.engineVersion = '14.9';
  }),
  lz('an identifier with a double hyphen', 'spec.database.identifier', (s) => {
    s.database.identifier = 'wallets--eu';
  }),
  lz('a region that is not one', 'spec.region', (s) => {
    s.region = 'Europe';
  }),
  lz('logical replication off', 'spec.database.parameters', (s) => {
    s.database.parameters = { 'rds.logical_replication': '0' };
  }),
];

/** The repository root: dist/ may hold a package.json copy, never a tsconfig.json. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!(existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'tsconfig.json')))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('repository root not found');
    dir = parent;
  }
  return dir;
}

export interface Samples {
  secrets: V1Secret[];
  custom: Map<CrKind, Manifest>;
}

export function loadSamples(): Samples {
  const dir = join(repoRoot(), 'config', 'samples');
  const samples: Samples = { secrets: [], custom: new Map() };
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      const object = doc.toJS() as { kind: string };
      if (object.kind === 'Secret') samples.secrets.push(object as V1Secret);
      else if (object.kind in PLURAL) samples.custom.set(object.kind as CrKind, object as Manifest);
      else throw new Error(`${file}: unexpected kind ${object.kind}`);
    }
  }
  return samples;
}

export function sampleOf<K extends CrKind>(samples: Samples, kind: K, name: string): Manifest<K> {
  const sample = samples.custom.get(kind);
  if (sample === undefined) throw new Error(`config/samples has no ${kind}`);
  const copy = structuredClone(sample) as Manifest<K>;
  copy.metadata = { name };
  return copy;
}

interface Refusal {
  code: number;
  message: string;
}

// ApiException carries response headers: tests report only its status code and Status message.
function refusalOf(err: unknown): Refusal | undefined {
  if (!(err instanceof ApiException)) return undefined;
  const body: unknown = err.body;
  let message = '';
  try {
    const status = (typeof body === 'string' ? JSON.parse(body) : body) as { message?: unknown };
    message = typeof status?.message === 'string' ? status.message : '';
  } catch {
    message = typeof body === 'string' ? body.slice(0, 2000) : '';
  }
  return { code: err.code, message };
}

async function succeed<T>(call: Promise<T>, what: string): Promise<T> {
  try {
    return await call;
  } catch (err) {
    const refusal = refusalOf(err);
    if (refusal) throw new Error(`${what}: HTTP ${refusal.code}: ${refusal.message}`);
    throw err;
  }
}

async function refuse(call: Promise<unknown>, what: string): Promise<Refusal> {
  try {
    await call;
  } catch (err) {
    const refusal = refusalOf(err);
    if (refusal) return refusal;
    throw err;
  }
  return assert.fail(`${what}: the apiserver accepted it`);
}

describe('CRDs on the real kube-apiserver', function () {
  this.timeout(60_000);
  const samples = loadSamples();
  let namespace = '';
  let custom: CustomObjectsApi;
  let core: CoreV1Api;

  const ref = (kind: CrKind) => ({ group: GROUP, version: VERSION, namespace, plural: PLURAL[kind] });
  const create = <K extends CrKind>(object: Manifest<K>): Promise<Manifest<K>> =>
    custom.createNamespacedCustomObject({ ...ref(object.kind), body: object }) as Promise<Manifest<K>>;
  const replace = <K extends CrKind>(object: Manifest<K>): Promise<Manifest<K>> =>
    custom.replaceNamespacedCustomObject({ ...ref(object.kind), name: object.metadata.name, body: object }) as Promise<Manifest<K>>;

  before(async () => {
    const cluster = await testCluster();
    custom = cluster.kc.makeApiClient(CustomObjectsApi);
    core = cluster.kc.makeApiClient(CoreV1Api);
    namespace = await cluster.newNamespace('crds');
  });

  it('accepts every sample under config/samples', async () => {
    assert.ok(samples.secrets.length >= 2, 'config/samples/secrets.yaml holds the connection Secrets');
    assert.deepEqual([...samples.custom.keys()].sort(), ['LandingZone', 'SchemaReplication', 'TenantCutover']);
    for (const secret of samples.secrets) {
      await succeed(core.createNamespacedSecret({ namespace, body: secret }), `Secret ${secret.metadata?.name}`);
    }
    for (const sample of samples.custom.values()) {
      const created = await succeed(create(structuredClone(sample)), `${sample.kind} sample`);
      assert.equal(created.metadata.name, sample.metadata.name);
      // Nothing pruned, and the server's defaults are exactly those src/api declares.
      const expected = Value.Default(SPEC_SCHEMA[sample.kind], structuredClone(sample.spec));
      assert.deepEqual(created.spec, expected, `${sample.kind}: the stored spec differs from sample + defaults`);
    }
  });

  it('fills defaults', async () => {
    const replication = sampleOf(samples, 'SchemaReplication', 'defaults-srep');
    delete replication.spec.suspend;
    delete replication.spec.deletionPolicy;
    const sr = await succeed(create(replication), 'SchemaReplication without defaults');
    assert.equal(sr.spec.deletionPolicy, 'Retain');
    assert.equal(sr.spec.suspend, false);
    assert.deepEqual(sr.spec.lagThreshold, { bytes: 67108864, seconds: 30 });

    const cutover = sampleOf(samples, 'TenantCutover', 'defaults-tcut');
    for (const key of ['approved', 'maxWritePause', 'rollback', 'retry'] as const) delete cutover.spec[key];
    const tc = await succeed(create(cutover), 'TenantCutover without defaults');
    assert.equal(tc.spec.approved, false);
    assert.equal(tc.spec.rollback, false);
    assert.equal(tc.spec.maxWritePause, '2s');
    assert.deepEqual(tc.spec.retry, { attempts: 3, backoff: '30s' });

    const zone = sampleOf(samples, 'LandingZone', 'defaults-lz');
    const db = zone.spec.database;
    for (const key of ['tier', 'multiAZ', 'storageEncrypted', 'allowReboot', 'masterPassword', 'deletionProtection'] as const) {
      delete db[key];
    }
    delete db.storage.type;
    delete zone.spec.deletionPolicy;
    const lz = await succeed(create(zone), 'LandingZone without defaults');
    assert.deepEqual(
      {
        tier: lz.spec.database.tier,
        multiAZ: lz.spec.database.multiAZ,
        storageEncrypted: lz.spec.database.storageEncrypted,
        allowReboot: lz.spec.database.allowReboot,
        masterPassword: lz.spec.database.masterPassword,
        deletionProtection: lz.spec.database.deletionProtection,
        storageType: lz.spec.database.storage.type,
        deletionPolicy: lz.spec.deletionPolicy,
      },
      {
        tier: 'production',
        multiAZ: true,
        storageEncrypted: true,
        allowReboot: false,
        masterPassword: 'operator',
        deletionProtection: true,
        storageType: 'gp3',
        deletionPolicy: 'Retain',
      },
    );
  });

  INVALID_CASES.forEach((invalid, index) => {
    it(`refuses a ${invalid.kind} with ${invalid.name}, naming ${invalid.expectField}`, async () => {
      const object = sampleOf(samples, invalid.kind, `invalid-${index}`);
      (invalid.mutate as (spec: SpecOf[CrKind]) => void)(object.spec);
      const refusal = await refuse(create(object), `${invalid.kind} with ${invalid.name}`);
      assert.equal(refusal.code, 422, `expected 422 Unprocessable Entity, got ${refusal.code}: ${refusal.message}`);
      assert.ok(
        refusal.message.includes(invalid.expectField),
        `the refusal should name ${invalid.expectField}; it said: ${refusal.message}`,
      );
    });
  });

  it('keeps TenantCutover spec.replicationRef immutable while other fields change', async () => {
    const created = await succeed(create(sampleOf(samples, 'TenantCutover', 'immutable-tcut')), 'TenantCutover');
    const moved = structuredClone(created);
    moved.spec.replicationRef = { name: 'tenant-b' };
    const refusal = await refuse(replace(moved), 'changing spec.replicationRef');
    assert.equal(refusal.code, 422, refusal.message);
    assert.ok(refusal.message.includes('spec.replicationRef'), refusal.message);

    const approved = structuredClone(created);
    approved.spec.approved = true;
    const updated = await succeed(replace(approved), 'approving the TenantCutover');
    assert.equal(updated.spec.approved, true);
    assert.deepEqual(updated.spec.replicationRef, { name: 'tenant-a' });
  });

  // The route agents render status.route into PgBouncer's routes file: a line break there would add a database.
  it('refuses a TenantCutover status.route whose host or dbname would break the routes file', async () => {
    const created = await succeed(create(sampleOf(samples, 'TenantCutover', 'route-tcut')), 'TenantCutover');
    // Each replace carries the object's current resourceVersion (a custom resource's update needs one).
    const status = async (route: Record<string, unknown>) => {
      const latest = (await custom.getNamespacedCustomObject({ ...ref('TenantCutover'), name: created.metadata.name })) as typeof created;
      const body = {
        ...latest,
        status: { route: { side: 'target', host: '10.0.0.5', port: 5432, dbname: 'wallet', revision: 2, ...route } },
      };
      return custom.replaceNamespacedCustomObjectStatus({ ...ref('TenantCutover'), name: created.metadata.name, body });
    };
    await succeed(status({}), 'a well-formed route');
    for (const [field, bad] of [
      ['host', '10.0.0.5\nevil = host=attacker'],
      ['dbname', 'wallet\nevil = host=attacker'],
    ] as const) {
      const refusal = await refuse(status({ [field]: bad }), `a ${field} with a line break`);
      assert.equal(refusal.code, 422, refusal.message);
      assert.ok(refusal.message.includes(`status.route.${field}`), refusal.message);
    }
  });

  it('keeps LandingZone spec.database.identifier, spec.region and spec.network.vpcCidr immutable', async () => {
    const created = await succeed(create(sampleOf(samples, 'LandingZone', 'immutable-lz')), 'LandingZone');
    const changes: Array<[string, (spec: LandingZoneSpec) => void]> = [
      ['spec.database.identifier', (s) => (s.database.identifier = 'wallets-eu-2')],
      ['spec.region', (s) => (s.region = 'eu-west-2')],
      ['spec.network.vpcCidr', (s) => (s.network.vpcCidr = '10.40.0.0/17')],
    ];
    for (const [field, change] of changes) {
      const changed = structuredClone(created);
      change(changed.spec);
      const refusal = await refuse(replace(changed), `changing ${field}`);
      assert.equal(refusal.code, 422, refusal.message);
      assert.ok(refusal.message.includes(field), `the refusal should name ${field}; it said: ${refusal.message}`);
    }
  });
});
