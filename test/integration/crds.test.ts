// The generated CRDs on the real kube-apiserver: every sample is accepted, defaults are applied,
// each invalid manifest is refused with HTTP 422 naming the offending field, and immutable fields
// stay immutable. The invalid table is data: one small mutation of a sample per row.
import assert from 'node:assert/strict';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { Value } from '@sinclair/typebox/value';
import { GROUP, VERSION } from '../../src/api/common.js';
import type { LandingZoneSpec } from '../../src/api/landingzone.js';
import { testCluster } from '../support/cluster.js';
import {
  INVALID_CASES,
  PLURAL,
  SPEC_SCHEMA,
  loadSamples,
  refuse,
  sampleOf,
  succeed,
  type CrKind,
  type Manifest,
  type SpecOf,
} from '../support/manifests.js';

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
