// The CRD samples of config/samples and the table of invalid manifests (one small mutation of a
// sample per row, each naming the field its refusal must name), shared by the CRD test and the
// hostile-input suite; with helpers that tell a refusal from an acceptance.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ApiException, type V1Secret } from '@kubernetes/client-node';
import type { TSchema } from '@sinclair/typebox';
import { parseAllDocuments } from 'yaml';
import { LandingZoneNames, LandingZoneSpecSchema, type LandingZoneSpec } from '../../src/api/landingzone.js';
import { SchemaReplicationNames, SchemaReplicationSpecSchema, type SchemaReplicationSpec } from '../../src/api/schemareplication.js';
import { TenantCutoverNames, TenantCutoverSpecSchema, type TenantCutoverSpec } from '../../src/api/tenantcutover.js';
import { packageRoot } from '../../src/devstack/paths.js';

export interface SpecOf {
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

export const SPEC_SCHEMA: Record<CrKind, TSchema> = {
  LandingZone: LandingZoneSpecSchema,
  SchemaReplication: SchemaReplicationSpecSchema,
  TenantCutover: TenantCutoverSpecSchema,
};

export const PLURAL: Record<CrKind, string> = {
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

export interface Samples {
  secrets: V1Secret[];
  custom: Map<CrKind, Manifest>;
}

export function loadSamples(): Samples {
  const dir = join(packageRoot(), 'config', 'samples');
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

export interface Refusal {
  code: number;
  message: string;
}

// ApiException carries response headers: tests report only its status code and Status message.
export function refusalOf(err: unknown): Refusal | undefined {
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

export async function succeed<T>(call: Promise<T>, what: string): Promise<T> {
  try {
    return await call;
  } catch (err) {
    const refusal = refusalOf(err);
    if (refusal) throw new Error(`${what}: HTTP ${refusal.code}: ${refusal.message}`);
    throw err;
  }
}

export async function refuse(call: Promise<unknown>, what: string): Promise<Refusal> {
  try {
    await call;
  } catch (err) {
    const refusal = refusalOf(err);
    if (refusal) return refusal;
    throw err;
  }
  return assert.fail(`${what}: the apiserver accepted it`);
}
