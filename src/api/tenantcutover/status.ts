// TenantCutover status: the serving side, the move in progress and its crash-safe progress.
import { Type } from '@sinclair/typebox';
import { conditions, observedGeneration, stringEnum } from '../common.js';
import { DATABASE_NAME_PATTERN, HOST_PATTERN } from '../routecheck.js';

export const SIDES = ['source', 'target'] as const;
export type Side = (typeof SIDES)[number];

/** The phases the reconciler writes: a summary for people and printer columns; no logic reads them. */
export const CUTOVER_PHASES = ['Pending', 'WaitingForApproval', 'Serving', 'Aborted', 'Migrated'] as const;
/** The steps of a move in progress a restarted operator acts on: undo before Flipping, finish from it. */
export const CUTOVER_STEPS = ['Freezing', 'Rehearsing', 'Flipping'] as const;

const timestamp = (description: string) => Type.String({ description, format: 'date-time' });

/** Where a side's table ACLs, saved before a fence revoked its writes, are kept. */
const grantSet = (side: string) =>
  Type.Object(
    {
      id: Type.String({ description: 'The save (tenantshift.saved_grants.id).', maxLength: 64 }),
      tables: Type.Integer({ description: 'How many tables it holds.', format: 'int64', minimum: 0 }),
    },
    { description: `The ${side}'s saved ACLs.` },
  );

/** Table ACLs saved before a fence revoked write privileges (in status before savedGrantSets). */
const grantList = (description: string) =>
  Type.Array(
    Type.Object(
      {
        table: Type.String({ description: 'Qualified, quoted table name.', maxLength: 300 }),
        acl: Type.Optional(Type.String({ description: 'The table ACL before the fence (absent: owner defaults).', maxLength: 8192 })),
        columns: Type.Optional(
          Type.Array(
            Type.Object(
              {
                column: Type.String({ description: 'Column name.', maxLength: 63 }),
                acl: Type.String({ description: 'The column ACL before the fence.', maxLength: 8192 }),
              },
              { description: 'A column with privileges of its own.' },
            ),
            { description: 'Column ACLs (a table-level REVOKE takes their write privileges too).', maxItems: 1600 },
          ),
        ),
      },
      { description: 'One table and its ACL.' },
    ),
    { description, maxItems: 5000 },
  );

export const TenantCutoverStatusSchema = Type.Object(
  {
    observedGeneration: Type.Optional(observedGeneration()),
    conditions: Type.Optional(conditions('Ready=True: the side asked for is serving and stable.')),
    phase: Type.Optional(
      stringEnum(CUTOVER_PHASES, {
        description:
          'Short summary of progress for humans: Pending (a precondition or reference blocks), WaitingForApproval, ' +
          'Serving (the side asked for serves), Aborted (retrying or out of retries), Migrated (spec.complete done).',
      }),
    ),
    activeSide: Type.Optional(stringEnum(SIDES, { description: 'Where the route points now: source or target.' })),
    movingTo: Type.Optional(
      stringEnum(SIDES, { description: 'The side the move in progress goes to; absent when no move is in progress.' }),
    ),
    step: Type.Optional(
      stringEnum(CUTOVER_STEPS, {
        description:
          'The step of the move in progress, written before it is taken so a restarted operator resumes or undoes it: ' +
          'Freezing (writes paused and fenced; undone on restart), Rehearsing (the same, by design undone), ' +
          'Flipping (the new route is recorded: the point of no return; finished on restart). Absent when no move runs.',
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
          host: Type.String({ description: 'Server host the PgBouncer database entry points at.', maxLength: 253, pattern: HOST_PATTERN }),
          port: Type.Integer({ description: 'Server port.', format: 'int32', minimum: 1, maximum: 65535 }),
          dbname: Type.String({ description: 'Database name on that server.', maxLength: 63, pattern: DATABASE_NAME_PATTERN }),
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
    savedTargetGrants: Type.Optional(
      grantList(
        'Written by earlier versions (read while savedGrantSets.target is absent): target table ACLs saved when a rollback ' +
          'fenced the target; given on the next switch.',
      ),
    ),
    savedGrantSets: Type.Optional(
      Type.Object(
        { source: Type.Optional(grantSet('source')), target: Type.Optional(grantSet('target')) },
        {
          description:
            "Where each side's table ACLs, saved before a move's fence revoked its writes, are kept: a row of " +
            "tenantshift.saved_grants on that side (cutover = this object's uid), given back when the tenant serves there again.",
        },
      ),
    ),
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
    savedGrants: Type.Optional(
      grantList(
        'Written by earlier versions (read while savedGrantSets.source is absent): source table ACLs saved before write ' +
          'privileges were revoked; given on rollback.',
      ),
    ),
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
