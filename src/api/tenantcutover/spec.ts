// TenantCutover spec: which replication to cut over, the write pause, the retries and the approvals.
import { Type } from '@sinclair/typebox';
import { celRules, localRef } from '../common.js';
import { durationField } from '../duration.js';

export const DEFAULT_MAX_WRITE_PAUSE = '2s';
export const DEFAULT_RETRY = { attempts: 3, backoff: '30s' } as const;

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
        rule:
          '!has(oldSelf.complete) || !oldSelf.complete || ' +
          '(self.complete && self.approved == oldSelf.approved && self.rollback == oldSelf.rollback)',
        message: 'spec.complete is final: once true, spec.complete, spec.approved and spec.rollback can no longer change',
        fieldPath: '.complete',
      },
    ),
  },
);
