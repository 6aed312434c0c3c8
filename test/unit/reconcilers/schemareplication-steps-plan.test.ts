// The pure decisions behind the SchemaReplication reconciler's steps.
import assert from 'node:assert/strict';
import type { SchemaInventory } from '../../../src/postgres/catalog.js';
import type { SchemaReplication } from '../../../src/api/index.js';
import type { Finding } from '../../../src/postgres/preflight.js';
import { claimedElsewhere } from '../../../src/reconcilers/schemareplication/preflight-step.js';
import type { SlotState, SubscriptionState } from '../../../src/postgres/replication.js';
import {
  copySlotWait,
  cutoverHandoff,
  driftResponse,
  isSlotLost,
  lagOf,
  lagThreshold,
  preflightVerdict,
  requeueAfter,
  schemaDriftCondition,
  schemasOnBothSides,
  slotRetentionCondition,
  WHILE_STREAMING_MS,
  WHILE_SYNCING_MS,
  withoutSchema,
  type Drift,
} from '../../../src/reconcilers/schemareplication/plan.js';

function inv(missingSchemas: string[]): SchemaInventory {
  return { missingSchemas, tables: [], sequences: [], fingerprint: '', columns: [] };
}

function drift(differences: string[], additive = true): Drift {
  return { differences, additive, newTables: [], newColumns: [] };
}

function sub(extra: Partial<SubscriptionState> = {}): SubscriptionState {
  return { oid: 7, enabled: true, slotName: 's', tables: [], applyErrors: 0, syncErrors: 0, ...extra };
}

const slot: SlotState = { exists: true, active: true, lagBytes: 5, retainedBytes: 9, walStatus: 'reserved', lagSeconds: 1.6 };

describe('SchemaReplication step decisions', () => {
  it('hands off to a TenantCutover that moves the tenant or switched it, not to one that streams forward', () => {
    assert.equal(cutoverHandoff(undefined), undefined);
    assert.equal(cutoverHandoff({ name: 'c', activeSide: 'source', moving: false }), undefined);
    const serving = cutoverHandoff({ name: 'c', activeSide: 'target', moving: false });
    assert.equal(serving?.serving, true);
    assert.equal(serving?.summary.reason, 'TargetServing');
    assert.equal(serving?.summary.ready, true);
    const moving = cutoverHandoff({ name: 'c', activeSide: 'source', moving: true });
    assert.equal(moving?.serving, false);
    assert.deepEqual(moving?.summary, {
      phase: 'TargetServing',
      ready: false,
      reason: 'CutoverInProgress',
      message: 'TenantCutover c is moving the tenant',
    });
  });

  it('keeps warnings and blocks with the first blocking finding, naming every blocking message', () => {
    const findings: Finding[] = [
      { reason: 'UnloggedTable', message: 'w', blocking: false },
      { reason: 'WalLevelNotLogical', message: 'a', blocking: true },
      { reason: 'SchemaNotFound', message: 'b', blocking: true },
    ];
    assert.deepEqual(preflightVerdict(findings), {
      warnings: ['w'],
      blocked: { phase: 'Blocked', ready: false, reason: 'WalLevelNotLogical', message: 'a; b' },
    });
    assert.deepEqual(preflightVerdict([findings[0] as Finding]), { warnings: ['w'] });
  });

  it('counts drift only on schemas both sides have', () => {
    assert.deepEqual(schemasOnBothSides(['a', 'b', 'c'], inv(['b']), inv(['c'])), ['a']);
  });

  it('applies additive drift when allowed, warns once otherwise', () => {
    assert.equal(driftResponse(drift([]), true, false), 'none');
    assert.equal(driftResponse(drift(['x']), true, false), 'apply');
    assert.equal(driftResponse(drift(['x']), true, true), 'apply');
    assert.equal(driftResponse(drift(['x'], false), true, false), 'warn');
    assert.equal(driftResponse(drift(['x']), false, false), 'warn');
    assert.equal(driftResponse(drift(['x']), false, true), 'none');
  });

  it('makes a new initial copy wait while the source server is at its limit', () => {
    const copies = (running: number) => ({ running: (server: string) => (server === 'h:5432' ? running : 0), limit: 2 });
    assert.equal(copySlotWait({ kind: 'create', enabled: true }, 'h:5432', undefined), undefined);
    assert.equal(copySlotWait({ kind: 'create', enabled: true }, 'h:5432', copies(1)), undefined);
    assert.equal(copySlotWait({ kind: 'refresh' }, 'h:5432', copies(2)), undefined);
    const wait = copySlotWait({ kind: 'create', enabled: true }, 'h:5432', copies(2));
    assert.equal(wait?.reason, 'WaitingForCopySlot');
    assert.equal(wait?.phase, 'Pending');
    assert.match(wait?.message ?? '', /2 initial copies already run against h:5432/);
  });

  it('leaves the sentinel schema out of progress', () => {
    assert.equal(withoutSchema(undefined, 'tenantshift'), undefined);
    const tables = [
      { schema: 'a', name: 't', state: 'r' },
      { schema: 'tenantshift', name: 'sentinel', state: 'r' },
    ];
    assert.deepEqual(withoutSchema(sub({ tables }), 'tenantshift')?.tables, [{ schema: 'a', name: 't', state: 'r' }]);
  });

  it('measures lag and reads the threshold with its defaults', () => {
    assert.deepEqual(lagOf(slot), { bytes: 5, seconds: 2 });
    assert.deepEqual(lagOf({ ...slot, lagSeconds: null }), { bytes: 5, seconds: 0 });
    assert.deepEqual(lagThreshold({}), { bytes: 64 * 1024 * 1024, seconds: 30 });
    assert.deepEqual(lagThreshold({ lagThreshold: { bytes: 1, seconds: 2 } }), { bytes: 1, seconds: 2 });
  });

  it('calls a slot lost only when the subscription we knew is there and its slot is gone', () => {
    const gone = { ...slot, exists: false };
    assert.equal(isSlotLost(sub(), gone, 7), true);
    assert.equal(isSlotLost(sub(), gone, 8), false);
    assert.equal(isSlotLost(sub(), slot, 7), false);
    assert.equal(isSlotLost(undefined, gone, 7), false);
  });

  it('reports slot retention against the budget and schema drift as conditions', () => {
    assert.equal(slotRetentionCondition(10, 10).status, 'True');
    assert.equal(slotRetentionCondition(11, 10).reason, 'SlotRetentionOverBudget');
    assert.deepEqual(schemaDriftCondition(drift(['x', 'y'])), {
      type: 'SchemaDrift',
      status: 'True',
      reason: 'DriftDetected',
      message: 'x; y',
    });
    assert.equal(schemaDriftCondition(drift([])).reason, 'Succeeded');
  });

  it('looks again soon while copying, less often while streaming', () => {
    assert.equal(requeueAfter('Syncing'), WHILE_SYNCING_MS);
    assert.equal(requeueAfter('CopyingSchema'), WHILE_SYNCING_MS);
    assert.equal(requeueAfter('Streaming'), WHILE_STREAMING_MS);
  });
});

describe('SchemaReplication refusals before anything is created', () => {
  const sr = (namespace: string, name: string, created: string, schemas: string[]): SchemaReplication => ({
    apiVersion: 'tenantshift.io/v1alpha1',
    kind: 'SchemaReplication',
    metadata: { namespace, name, uid: `${namespace}-${name}`, creationTimestamp: created as unknown as Date },
    spec: { tenant: name, source: { secretRef: { name: 's' } }, target: { secretRef: { name: 't' } }, schemas },
  });

  it('blocks a schema an older SchemaReplication of the same source database replicates, naming it', () => {
    const mine = sr('b', 'late', '2026-12-02T10:00:01Z', ['wallet', 'games']);
    const older = sr('a', 'early', '2026-12-02T10:00:00Z', ['games']);
    const found = claimedElsewhere(mine, [older, mine]);
    assert.equal(found?.reason, 'SchemaClaimed');
    assert.match(found?.message ?? '', /"games" .* SchemaReplication a\/early/);
    // The older one is not refused by the younger, and disjoint schemas are no claim.
    assert.equal(claimedElsewhere(older, [older, mine]), undefined);
    assert.equal(claimedElsewhere(sr('c', 'x', '2026-12-02T11:00:00Z', ['audit']), [older, mine]), undefined);
  });
});
