// Static checks of the generated CRD schemas that the apiserver would otherwise only report at
// install time: structural types, bounds that keep CEL cost estimates finite, defaults that
// validate, and refusal messages that name their field.
import assert from 'node:assert/strict';
import { Value } from '@sinclair/typebox/value';
import type { TSchema } from '@sinclair/typebox';
import { buildCrd, type JsonObject } from '../../../src/api/crd.js';
import { parseDurationMs } from '../../../src/api/duration.js';
import { KIND_DEFINITIONS } from '../../../src/api/generate.js';
import { LandingZoneSpecSchema } from '../../../src/api/landingzone.js';
import { SchemaReplicationSpecSchema } from '../../../src/api/schemareplication.js';
import { TenantCutoverSpecSchema } from '../../../src/api/tenantcutover.js';

interface Node {
  path: string;
  schema: JsonObject;
}

function walk(schema: JsonObject, path: string, out: Node[] = []): Node[] {
  out.push({ path, schema });
  const properties = (schema.properties ?? {}) as Record<string, JsonObject>;
  for (const [name, child] of Object.entries(properties)) walk(child, `${path}.${name}`, out);
  if (schema.items) walk(schema.items as JsonObject, `${path}[]`, out);
  if (typeof schema.additionalProperties === 'object') walk(schema.additionalProperties as JsonObject, `${path}{}`, out);
  return out;
}

function rootSchema(crd: JsonObject): JsonObject {
  const spec = crd.spec as { versions: Array<{ schema: { openAPIV3Schema: JsonObject } }> };
  return spec.versions[0].schema.openAPIV3Schema;
}

for (const definition of KIND_DEFINITIONS) {
  describe(`${definition.names.kind} CRD schema`, () => {
    const nodes = walk(rootSchema(buildCrd(definition)), definition.names.kind);

    it('gives every node a type (structural schema)', () => {
      for (const { path, schema } of nodes) assert.equal(typeof schema.type, 'string', `${path} has no type`);
    });

    it('bounds every string, list and map, so CEL cost estimation passes', () => {
      for (const { path, schema } of nodes) {
        if (path.endsWith('.metadata') || path.endsWith('.apiVersion') || path.endsWith('.kind')) continue;
        if (schema.type === 'string' && schema.enum === undefined && schema.format !== 'date-time') {
          assert.equal(typeof schema.maxLength, 'number', `${path} has no maxLength`);
        }
        if (schema.type === 'array') assert.equal(typeof schema.maxItems, 'number', `${path} has no maxItems`);
        if (schema.additionalProperties !== undefined) {
          assert.equal(typeof schema.maxProperties, 'number', `${path} has no maxProperties`);
        }
      }
    });

    it('makes every CEL rule explain itself by naming a spec field', () => {
      for (const { path, schema } of nodes) {
        for (const rule of (schema['x-kubernetes-validations'] ?? []) as Array<Record<string, string>>) {
          const text = rule.message ?? rule.messageExpression ?? '';
          assert.match(text, /spec\.[A-Za-z]/, `${path}: rule "${rule.rule}" has a message naming no field`);
          // A backslash inside a CEL string literal is an escape CEL may reject ('\.' is invalid):
          // patterns embedded in rules use character classes such as [.] instead.
          assert.doesNotMatch(`${rule.rule} ${text}`, /\\/, `${path}: rule "${rule.rule}" contains a backslash`);
        }
      }
    });
  });
}

describe('spec defaults', () => {
  it('validate under their own schema', () => {
    for (const definition of KIND_DEFINITIONS) {
      for (const { path, schema } of walk(rootSchema(buildCrd(definition)), definition.names.kind)) {
        if (schema.default === undefined) continue;
        if (schema.enum) assert.ok((schema.enum as unknown[]).includes(schema.default), `${path} default not in enum`);
        if (typeof schema.pattern === 'string') {
          assert.match(String(schema.default), new RegExp(schema.pattern), `${path} default breaks its pattern`);
        }
      }
    }
  });

  it('fill a minimal spec the way the apiserver does', () => {
    const filled = (schema: TSchema, value: unknown): unknown => Value.Default(schema, structuredClone(value));
    const replication = filled(SchemaReplicationSpecSchema, {
      tenant: 'a',
      source: { secretRef: { name: 's' } },
      target: { secretRef: { name: 't' } },
      schemas: ['a'],
    });
    assert.deepEqual(replication, {
      tenant: 'a',
      source: { secretRef: { name: 's' } },
      target: { secretRef: { name: 't' } },
      schemas: ['a'],
      suspend: false,
      deletionPolicy: 'Retain',
      copyRoles: true,
      copyRoleVerifiers: false,
      subscriptionSslFallback: 'None',
      applyAdditiveDDL: false,
      lagThreshold: { bytes: 67108864, seconds: 30 },
      slotRetentionBudgetBytes: 10737418240,
    });
    const cutover = filled(TenantCutoverSpecSchema, {
      replicationRef: { name: 'a' },
      routing: { pgbouncer: { pool: 'local', database: 'a' } },
    }) as Record<string, unknown>;
    assert.equal(cutover.maxWritePause, '2s');
    assert.deepEqual(cutover.retry, { attempts: 3, backoff: '30s' });
    assert.equal(cutover.approved, false);
    assert.equal(cutover.rollback, false);
    const zone = filled(LandingZoneSpecSchema, {
      database: { storage: { allocatedGiB: 100 } },
    }) as { database: Record<string, unknown>; deletionPolicy: string };
    assert.deepEqual(
      { ...zone.database, deletionPolicy: zone.deletionPolicy },
      {
        storage: { allocatedGiB: 100, type: 'gp3' },
        tier: 'production',
        multiAZ: true,
        storageEncrypted: true,
        allowReboot: false,
        masterPassword: 'operator',
        deletionProtection: true,
        deletionPolicy: 'Retain',
      },
    );
  });
});

describe('parseDurationMs', () => {
  it('reads the grammar the CRDs accept', () => {
    assert.equal(parseDurationMs('2s'), 2000);
    assert.equal(parseDurationMs('100ms'), 100);
    assert.equal(parseDurationMs('1m30s'), 90_000);
    assert.equal(parseDurationMs('1h'), 3_600_000);
  });

  it('refuses anything else', () => {
    for (const text of ['', '2', '1.5s', '2 s', '-1s', '1d']) {
      assert.throws(() => parseDurationMs(text), /invalid duration/, text);
    }
  });
});
