// The SchemaReplication kind: "keep these schemas of this tenant continuously copied from source
// to target". TypeScript types, JSON schema and CEL rules in one place; crds/ is generated from it.
import type { Static } from '@sinclair/typebox';
import type { V1ObjectMeta } from '@kubernetes/client-node';
import { API_VERSION } from './common.js';
import type { KindDefinition } from './crd.js';
import { SchemaReplicationSpecSchema } from './schemareplication/spec.js';
import { SchemaReplicationStatusSchema } from './schemareplication/status.js';

export const SchemaReplicationNames = {
  kind: 'SchemaReplication',
  listKind: 'SchemaReplicationList',
  plural: 'schemareplications',
  singular: 'schemareplication',
  shortNames: ['srep'],
} as const;

export { DEFAULT_LAG_THRESHOLD, DEFAULT_SLOT_RETENTION_BUDGET, SchemaReplicationSpecSchema } from './schemareplication/spec.js';
export { REPLICATION_PHASES, SchemaReplicationStatusSchema } from './schemareplication/status.js';

export type SchemaReplicationSpec = Static<typeof SchemaReplicationSpecSchema>;
export type SchemaReplicationStatus = Static<typeof SchemaReplicationStatusSchema>;

export interface SchemaReplication {
  apiVersion: typeof API_VERSION;
  kind: typeof SchemaReplicationNames.kind;
  metadata: V1ObjectMeta;
  spec: SchemaReplicationSpec;
  status?: SchemaReplicationStatus;
}

export const SchemaReplicationDefinition: KindDefinition = {
  names: SchemaReplicationNames,
  description:
    "SchemaReplication keeps a tenant's schemas continuously copied from a source PostgreSQL server to a " +
    'target (schema DDL, publication and slot on the source, subscription on the target), and reports lag.',
  spec: SchemaReplicationSpecSchema,
  status: SchemaReplicationStatusSchema,
  printerColumns: [
    { name: 'Tenant', type: 'string', jsonPath: '.spec.tenant', description: 'Tenant being replicated.' },
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', description: 'Ready condition.' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Progress summary.' },
    { name: 'Tables', type: 'integer', jsonPath: '.status.tables.ready', description: 'Tables streaming.' },
    { name: 'Total', type: 'integer', jsonPath: '.status.tables.total', description: 'Tables in the schemas.', priority: 1 },
    { name: 'Lag-Bytes', type: 'integer', jsonPath: '.status.lag.bytes', description: 'WAL bytes behind the source.' },
    { name: 'Lag-Seconds', type: 'integer', jsonPath: '.status.lag.seconds', description: 'Seconds behind the source.', priority: 1 },
    {
      name: 'Copied-Bytes',
      type: 'integer',
      jsonPath: '.status.bytesCopied',
      description: 'Bytes of the initial copy on the target.',
      priority: 1,
    },
    {
      name: 'Validation',
      type: 'string',
      jsonPath: '.status.validation.result',
      description: 'Result of the last row-by-row validation.',
      priority: 1,
    },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
};
