// The TenantCutover kind: "move this tenant's traffic to the target, reversibly". TypeScript
// types, JSON schema and CEL rules in one place; crds/ is generated from it.
import { Type, type Static } from '@sinclair/typebox';
import type { V1ObjectMeta } from '@kubernetes/client-node';
import { API_VERSION, celRules, conditions, localRef, observedGeneration, phase, stringEnum } from './common.js';
import type { KindDefinition } from './crd.js';
import { durationField } from './duration.js';

export const TenantCutoverNames = {
  kind: 'TenantCutover',
  listKind: 'TenantCutoverList',
  plural: 'tenantcutovers',
  singular: 'tenantcutover',
  shortNames: ['tcut'],
} as const;

export const DEFAULT_MAX_WRITE_PAUSE = '2s';
export const DEFAULT_RETRY = { attempts: 3, backoff: '30s' } as const;

export const SIDES = ['source', 'target'] as const;
export type Side = (typeof SIDES)[number];

const timestamp = (description: string) => Type.String({ description, format: 'date-time' });

/** Table ACLs saved before a fence revoked write privileges. */
const grantList = (description: string) =>
  Type.Array(
    Type.Object(
      {
        table: Type.String({ description: 'Qualified, quoted table name.', maxLength: 300 }),
        acl: Type.Optional(Type.String({ description: 'The table ACL before the fence (absent: owner defaults).', maxLength: 8192 })),
      },
      { description: 'One table and its ACL.' },
    ),
    { description, maxItems: 5000 },
  );

export const TenantCutoverSpecSchema = Type.Object(
  {
    replicationRef: localRef(
      'SchemaReplication',
      'The SchemaReplication whose tenant this cutover moves. Immutable: create a new TenantCutover instead.',
      celRules({ rule: 'self == oldSelf', message: 'spec.replicationRef is immutable; create a new TenantCutover instead' }),
    ),
    routing: Type.Object(
      {
        pgbouncer: Type.Object(
          {
            pool: Type.String({
              description: 'The PgBouncer pool (one route agent per pool) that serves this tenant, e.g. local. A DNS label.',
              minLength: 1,
              maxLength: 63,
              pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
            }),
            database: Type.String({
              description:
                'The PgBouncer database name clients connect to; its route is owned by this cutover and points ' +
                'at the source until the switch. Letters, digits, "_" and "-"; not "pgbouncer" (the admin console).',
              minLength: 1,
              maxLength: 63,
              pattern: '^[A-Za-z_][A-Za-z0-9_-]*$',
              ...celRules({
                rule: "self != 'pgbouncer'",
                message: 'spec.routing.pgbouncer.database must not be "pgbouncer", the PgBouncer admin console',
              }),
            }),
          },
          { description: 'The PgBouncer route flipped at the switch.' },
        ),
      },
      { description: 'Where client traffic for this tenant is routed.' },
    ),
    approved: Type.Optional(
      Type.Boolean({
        description:
          'The switch to the target happens only once this is true (GitOps: a reviewed commit). Withdrawing it ' +
          'after the switch moves nothing and is reported as a condition. Default false.',
        default: false,
      }),
    ),
    maxWritePause: Type.Optional(
      durationField({
        path: 'spec.maxWritePause',
        description:
          'Budget for the write freeze of each move, first PAUSE to RESUME. When exceeded the move aborts and ' +
          'the source resumes with nothing lost; no client waits longer than this plus 250ms. Default 2s.',
        min: '100ms',
        max: '60s',
        default: DEFAULT_MAX_WRITE_PAUSE,
      }),
    ),
    rollback: Type.Optional(
      Type.Boolean({
        description:
          'After the switch, true moves the tenant back to the source (through reverse replication); false ' +
          'again moves it forward again. Default false.',
        default: false,
      }),
    ),
    retry: Type.Optional(
      Type.Object(
        {
          attempts: Type.Optional(
            Type.Integer({
              description: 'Automatic retries after an aborted move, 0 to 10. Default 3.',
              format: 'int32',
              minimum: 0,
              maximum: 10,
              default: DEFAULT_RETRY.attempts,
            }),
          ),
          backoff: Type.Optional(
            durationField({
              path: 'spec.retry.backoff',
              description: 'Wait before the first retry; doubles with each further one. Default 30s.',
              min: '1s',
              max: '1h',
              default: DEFAULT_RETRY.backoff,
            }),
          ),
        },
        {
          description:
            'Retries after an aborted move; each attempt passes every precondition again. After the last one ' +
            'the object stays not Ready until its spec changes.',
          default: { ...DEFAULT_RETRY },
        },
      ),
    ),
    rehearse: Type.Optional(
      Type.Boolean({
        description:
          'true runs the preconditions, the fence and the drain under maxWritePause, then resumes the source ' +
          'without flipping the route, and reports the measured pause. Default false.',
        default: false,
      }),
    ),
    complete: Type.Optional(
      Type.Boolean({
        description:
          'true after the switch retires the reverse replication and releases the source: the move becomes ' +
          'final and rollback is no longer possible. Requires approved. Default false.',
        default: false,
      }),
    ),
    maxLagBytes: Type.Optional(
      Type.Integer({
        description:
          'Gate: a move starts only while replication lag is at most this many WAL bytes. Unset: the ' +
          "SchemaReplication's Ready condition is the only lag gate.",
        format: 'int64',
        minimum: 0,
      }),
    ),
    requireValidationWithin: Type.Optional(
      durationField({
        path: 'spec.requireValidationWithin',
        description:
          'Gate: a move starts only if a validation of the tenant schemas (rows compared on both sides) ' +
          'succeeded within this long before. Unset: no validation gate.',
        min: '1m',
        max: '168h',
      }),
    ),
  },
  {
    description: 'Which tenant to move, how traffic is routed, and the guardrails of each move.',
    ...celRules(
      {
        rule: '!self.complete || !self.rollback',
        message: 'spec.rollback cannot be true while spec.complete is true: a completed cutover has no way back',
        fieldPath: '.rollback',
      },
      {
        rule: '!self.complete || self.approved',
        message: 'spec.complete requires spec.approved: true',
        fieldPath: '.complete',
      },
      {
        rule: '!has(oldSelf.complete) || !oldSelf.complete || (self.complete && self.approved == oldSelf.approved && self.rollback == oldSelf.rollback)',
        message: 'spec.complete is final: once true, spec.complete, spec.approved and spec.rollback can no longer change',
        fieldPath: '.complete',
      },
    ),
  },
);

export const TenantCutoverStatusSchema = Type.Object(
  {
    observedGeneration: Type.Optional(observedGeneration()),
    conditions: Type.Optional(conditions('Ready=True: the side asked for is serving and stable.')),
    phase: Type.Optional(phase('Pending, WaitingForApproval, Moving, Serving, Aborted, RolledBack')),
    activeSide: Type.Optional(stringEnum(SIDES, { description: 'Where the route points now: source or target.' })),
    movingTo: Type.Optional(
      stringEnum(SIDES, { description: 'The side the move in progress goes to; absent when no move is in progress.' }),
    ),
    step: Type.Optional(
      Type.String({
        description:
          'The step of the move in progress, written before the step is taken so a restarted operator resumes ' +
          'or undoes it, e.g. Preflight, Fencing, Draining, SyncingSequences, Flipping, Resuming.',
        maxLength: 64,
      }),
    ),
    attempts: Type.Optional(
      Type.Integer({ description: 'Attempts made for the current move, including the first.', format: 'int32', minimum: 0 }),
    ),
    switchLsn: Type.Optional(
      Type.String({
        description: 'Source WAL position (e.g. 0/16B3748) the target was drained to at the last switch.',
        maxLength: 17,
      }),
    ),
    writePause: Type.Optional(
      Type.Object(
        {
          milliseconds: Type.Optional(Type.Integer({ description: 'Length of the freeze in milliseconds.', format: 'int64', minimum: 0 })),
        },
        { description: "The last switch's or rollback's write freeze, first PAUSE to RESUME." },
      ),
    ),
    freezeStartedAt: Type.Optional(timestamp('When the freeze of the move in progress began.')),
    freezeDeadline: Type.Optional(timestamp('When the route agent resumes the unchanged route on its own if the move has not finished.')),
    nextAttemptAt: Type.Optional(timestamp('When the next automatic retry after an abort starts.')),
    lastSwitchTime: Type.Optional(timestamp('When the route last changed sides.')),
    route: Type.Optional(
      Type.Object(
        {
          side: stringEnum(SIDES, { description: 'The side this route leads to.' }),
          host: Type.String({ description: 'Server host the PgBouncer database entry points at.', maxLength: 253 }),
          port: Type.Integer({ description: 'Server port.', format: 'int32', minimum: 1, maximum: 65535 }),
          dbname: Type.String({ description: 'Database name on that server.', maxLength: 63 }),
          revision: Type.Integer({
            description: 'Increases with every change; route agents apply only newer revisions.',
            format: 'int64',
            minimum: 0,
          }),
        },
        {
          description:
            'The PgBouncer route the pool serves for spec.routing.pgbouncer.database, written before each flip (no credentials).',
        },
      ),
    ),
    savedTargetGrants: Type.Optional(grantList('Target table ACLs saved when a rollback fenced the target; restored on the next switch.')),
    rehearsedGeneration: Type.Optional(
      Type.Integer({ description: 'The generation whose spec.rehearse was carried out.', format: 'int64', minimum: 0 }),
    ),
    lastRehearsal: Type.Optional(
      Type.Object(
        {
          writePauseMilliseconds: Type.Integer({
            description: 'The rehearsed freeze, first PAUSE to RESUME.',
            format: 'int64',
            minimum: 0,
          }),
          at: timestamp('When the rehearsal ran.'),
          result: Type.String({ description: 'Rehearsed, or Aborted with the reason in lastAbortReason.', maxLength: 32 }),
        },
        { description: 'The last rehearsal: what the write pause of a real move would be.' },
      ),
    ),
    completed: Type.Optional(Type.Boolean({ description: 'True once spec.complete retired the way back: the tenant is migrated.' })),
    attemptsGeneration: Type.Optional(
      Type.Integer({
        description: 'The generation status.attempts counts for; a new generation starts afresh.',
        format: 'int64',
        minimum: 0,
      }),
    ),
    moveId: Type.Optional(Type.String({ description: 'Identifier of the move in progress or last made.', maxLength: 64 })),
    lastAbortReason: Type.Optional(
      Type.String({ description: 'Why the last move was aborted (the source kept serving).', maxLength: 1024 }),
    ),
    savedGrants: Type.Optional(grantList('Source table ACLs saved before write privileges were revoked; restored on rollback.')),
    sequences: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String({ description: 'Qualified sequence name.', maxLength: 300 }),
            value: Type.String({ description: 'Value set on the side that took over.', maxLength: 32 }),
          },
          { description: 'One sequence and its value.' },
        ),
        { description: 'Sequence values set at the last switch (evidence).', maxItems: 5000 },
      ),
    ),
    history: Type.Optional(
      Type.Array(
        Type.Object(
          {
            moveId: Type.String({ description: 'The move.', maxLength: 64 }),
            to: stringEnum(SIDES, { description: 'Direction of the move.' }),
            result: Type.String({ description: 'Switched, Aborted or Rehearsed.', maxLength: 32 }),
            reason: Type.Optional(Type.String({ description: 'Why it ended so.', maxLength: 1024 })),
            startedAt: timestamp('When the freeze began.'),
            finishedAt: timestamp('When the move ended.'),
            writePauseMilliseconds: Type.Optional(
              Type.Integer({ description: 'First PAUSE to last RESUME.', format: 'int64', minimum: 0 }),
            ),
            switchLsn: Type.Optional(Type.String({ description: 'Source position drained to.', maxLength: 17 })),
            steps: Type.Optional(
              Type.Array(
                Type.Object(
                  {
                    name: Type.String({ description: 'Step name.', maxLength: 64 }),
                    atMilliseconds: Type.Integer({ description: 'Milliseconds after the freeze began.', format: 'int64', minimum: 0 }),
                  },
                  { description: 'One step of the freeze.' },
                ),
                { description: 'Steps of the freeze with their offsets.', maxItems: 32 },
              ),
            ),
          },
          { description: 'One move.' },
        ),
        { description: 'The last moves, newest first (evidence for auditors).', maxItems: 20 },
      ),
    ),
  },
  { description: 'Observed state and crash-safe progress, written by the operator.' },
);

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
