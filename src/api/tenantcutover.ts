// The TenantCutover kind: "move this tenant's traffic to the target, reversibly". TypeScript
// types, JSON schema and CEL rules in one place; crds/ is generated from it.
import type { Static } from '@sinclair/typebox';
import type { V1ObjectMeta } from '@kubernetes/client-node';
import { API_VERSION } from './common.js';
import type { KindDefinition } from './crd.js';
import { TenantCutoverSpecSchema } from './tenantcutover/spec.js';
import { TenantCutoverStatusSchema } from './tenantcutover/status.js';

export const TenantCutoverNames = {
  kind: 'TenantCutover',
  listKind: 'TenantCutoverList',
  plural: 'tenantcutovers',
  singular: 'tenantcutover',
  shortNames: ['tcut'],
} as const;

export { DEFAULT_MAX_WRITE_PAUSE, DEFAULT_RETRY, TenantCutoverSpecSchema } from './tenantcutover/spec.js';
export { CUTOVER_PHASES, CUTOVER_STEPS, SIDES, type Side, TenantCutoverStatusSchema } from './tenantcutover/status.js';

export type TenantCutoverSpec = Static<typeof TenantCutoverSpecSchema>;
export type TenantCutoverStatus = Static<typeof TenantCutoverStatusSchema>;

export interface TenantCutover {
  apiVersion: typeof API_VERSION;
  kind: typeof TenantCutoverNames.kind;
  metadata: V1ObjectMeta;
  spec: TenantCutoverSpec;
  status?: TenantCutoverStatus;
}

export const TenantCutoverDefinition: KindDefinition = {
  names: TenantCutoverNames,
  description:
    "TenantCutover moves a tenant's traffic from the source to the target through its PgBouncer route, fenced " +
    'and budgeted, and back again on rollback. It owns that route from the moment it exists.',
  spec: TenantCutoverSpecSchema,
  status: TenantCutoverStatusSchema,
  printerColumns: [
    { name: 'Replication', type: 'string', jsonPath: '.spec.replicationRef.name', description: 'SchemaReplication moved.' },
    { name: 'Active', type: 'string', jsonPath: '.status.activeSide', description: 'Side the route points at.' },
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', description: 'Ready condition.' },
    { name: 'Step', type: 'string', jsonPath: '.status.step', description: 'Step of the move in progress.' },
    { name: 'Pause-ms', type: 'integer', jsonPath: '.status.writePause.milliseconds', description: 'Last write freeze, ms.' },
    { name: 'Approved', type: 'boolean', jsonPath: '.spec.approved', description: 'Switch approved.', priority: 1 },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Progress summary.', priority: 1 },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
};
