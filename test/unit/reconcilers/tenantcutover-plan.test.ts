// The pure decisions of the TenantCutover reconciler: where the tenant should be, recovery of an
// interrupted move, the retry gate, rehearsals, route ownership and the preconditions of a move.
import assert from 'node:assert/strict';
import type { SchemaReplicationStatus, TenantCutover, TenantCutoverStatus } from '../../../src/api/index.js';
import type { AgentStatus, RoutedRoute } from '../../../src/routing/protocol.js';
import {
  backoffAfter,
  completionDue,
  desiredSide,
  intentFor,
  recoveryFor,
  rehearsalDue,
  retryGate,
} from '../../../src/reconcilers/tenantcutover/plan.js';
import { preconditionBlocker, type PreconditionFacts } from '../../../src/reconcilers/tenantcutover/preconditions.js';
import { routeOwnership } from '../../../src/reconcilers/tenantcutover/routes.js';

function cutover(spec: Partial<TenantCutover['spec']> = {}, status: TenantCutoverStatus = {}, generation = 1): TenantCutover {
  return {
    apiVersion: 'tenantshift.io/v1alpha1',
    kind: 'TenantCutover',
    metadata: { name: 'tenant-a', namespace: 'default', generation },
    spec: { replicationRef: { name: 'tenant-a' }, routing: { pgbouncer: { pool: 'local', database: 'tenant_a' } }, ...spec },
    status,
  } as TenantCutover;
}

const route = (side: 'source' | 'target', revision: number): RoutedRoute => ({ side, host: 'h', port: 5432, dbname: 'wallet', revision });
const agent = (identity: string, revision: number, mode = 'transaction'): AgentStatus => ({
  identity,
  pool: 'local',
  routes: { tenant_a: route('source', revision) },
  paused: [],
  poolModes: { tenant_a: mode },
});

describe('tenantcutover: desiredSide', () => {
  it('moves to the target only when approved and not rolled back', () => {
    assert.equal(desiredSide(cutover().spec, 'source'), 'source');
    assert.equal(desiredSide(cutover({ approved: true }).spec, 'source'), 'target');
    assert.equal(desiredSide(cutover({ approved: true, rollback: true }).spec, 'source'), 'source');
  });
  it('keeps a switched tenant on the target when approval is withdrawn; only rollback moves it back', () => {
    assert.equal(desiredSide(cutover({ approved: false }).spec, 'target'), 'target');
    assert.equal(desiredSide(cutover({ approved: true, rollback: true }).spec, 'target'), 'source');
    assert.equal(desiredSide(cutover({ approved: false, rollback: true }).spec, 'target'), 'source');
  });
});

describe('tenantcutover: recoveryFor', () => {
  it('does nothing without a move in progress', () => {
    assert.deepEqual(recoveryFor(undefined), { kind: 'none' });
    assert.deepEqual(recoveryFor({ activeSide: 'source' }), { kind: 'none' });
    assert.deepEqual(recoveryFor({ step: 'Freezing' }), { kind: 'none' });
  });
  it('undoes a move whose route was not yet written for the new side', () => {
    const st: TenantCutoverStatus = { step: 'Freezing', movingTo: 'target', activeSide: 'source', route: route('source', 1) };
    assert.deepEqual(recoveryFor(st), { kind: 'abortInterrupted' });
    assert.deepEqual(recoveryFor({ ...st, step: 'Rehearsing' }), { kind: 'abortInterrupted' });
  });
  it('finishes a move past the point of no return (the route names the new side)', () => {
    const st: TenantCutoverStatus = { step: 'Flipping', movingTo: 'target', activeSide: 'source', route: route('target', 2) };
    assert.deepEqual(recoveryFor(st), { kind: 'finishMove', to: 'target' });
    const back: TenantCutoverStatus = { step: 'Flipping', movingTo: 'source', activeSide: 'target', route: route('source', 3) };
    assert.deepEqual(recoveryFor(back), { kind: 'finishMove', to: 'source' });
  });
  it('does nothing once the new side is recorded as active', () => {
    assert.deepEqual(recoveryFor({ step: 'Flipping', movingTo: 'target', activeSide: 'target', route: route('target', 2) }), {
      kind: 'none',
    });
  });
});

describe('tenantcutover: retryGate', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  it('lets a first attempt go', () => assert.deepEqual(retryGate(cutover({ approved: true }), now), { kind: 'go' }));
  it('waits for the backoff after an abort, then goes', () => {
    const next = new Date(now + 10_000).toISOString();
    const obj = cutover({ approved: true }, { attempts: 1, attemptsGeneration: 1, nextAttemptAt: next });
    assert.deepEqual(retryGate(obj, now), { kind: 'wait', untilMs: now + 10_000 });
    assert.deepEqual(retryGate(obj, now + 10_001), { kind: 'go' });
  });
  it('is exhausted after spec.retry.attempts retries', () => {
    const obj = cutover({ approved: true, retry: { attempts: 2 } }, { attempts: 3, attemptsGeneration: 1 });
    assert.deepEqual(retryGate(obj, now), { kind: 'exhausted', attempts: 3 });
  });
  it('starts afresh for a new generation', () => {
    const obj = cutover({ approved: true, retry: { attempts: 2 } }, { attempts: 3, attemptsGeneration: 1 }, 2);
    assert.deepEqual(retryGate(obj, now), { kind: 'go' });
  });
  it('doubles the backoff with each attempt', () => {
    const obj = cutover({ retry: { backoff: '10s' } });
    assert.deepEqual(
      [1, 2, 3].map((n) => backoffAfter(obj, n)),
      [10_000, 20_000, 40_000],
    );
  });
});

describe('tenantcutover: rehearsals, intent and completion', () => {
  it('rehearses once per generation and only while no real move is due', () => {
    assert.equal(rehearsalDue(cutover({ rehearse: true }), 'source'), true);
    assert.equal(rehearsalDue(cutover({ rehearse: true }, { rehearsedGeneration: 1 }), 'source'), false);
    assert.equal(rehearsalDue(cutover({ rehearse: true, approved: true }), 'source'), false);
    assert.equal(rehearsalDue(cutover({ rehearse: true }, { completed: true }), 'source'), false);
  });
  it('turns the spec into an intent', () => {
    assert.deepEqual(intentFor(cutover(), 'source'), { kind: 'stay' });
    assert.deepEqual(intentFor(cutover({ approved: true }), 'source'), { kind: 'move', to: 'target', rehearse: false });
    assert.deepEqual(intentFor(cutover({ rehearse: true }), 'source'), { kind: 'move', to: 'target', rehearse: true });
    assert.deepEqual(intentFor(cutover({ approved: true, rollback: true }), 'target'), { kind: 'move', to: 'source', rehearse: false });
  });
  it('completes only a switched tenant that is not asked back, and stays completed', () => {
    assert.equal(completionDue(cutover({ approved: true, complete: true }), 'source'), false);
    assert.equal(completionDue(cutover({ approved: true, complete: true }), 'target'), true);
    assert.equal(completionDue(cutover({ approved: true, rollback: true, complete: true }), 'target'), false);
    assert.equal(completionDue(cutover({}, { completed: true }), 'target'), true);
  });
});

describe('tenantcutover: routeOwnership', () => {
  it('needs a live agent', () => assert.equal(routeOwnership([], [], 'tenant_a', route('source', 1)).ok, false));
  it('reports agents that did not answer', () => {
    const o = routeOwnership([{ identity: 'a', endpoint: 'x' }], new Error('timeout'), 'tenant_a', route('source', 1));
    assert.equal(o.ok, false);
    assert.match(o.message, /did not answer: timeout/);
  });
  it('names the agents behind the route revision', () => {
    const agents = [
      { identity: 'a', endpoint: 'x' },
      { identity: 'b', endpoint: 'y' },
    ];
    const o = routeOwnership(agents, [agent('a', 2), agent('b', 1)], 'tenant_a', route('source', 2));
    assert.equal(o.ok, false);
    assert.match(o.message, /route agent\(s\) b have not applied route revision 2/);
    assert.equal(routeOwnership(agents, [agent('a', 2), agent('b', 2)], 'tenant_a', route('source', 2)).ok, true);
  });
});

describe('tenantcutover: preconditions', () => {
  const ready: SchemaReplicationStatus = {
    conditions: [{ type: 'Ready', status: 'True', reason: 'Succeeded', message: 'streaming', lastTransitionTime: '2026-12-01T00:00:00Z' }],
    lag: { bytes: 10, seconds: 0 },
  };
  const now = Date.parse('2026-12-01T12:00:00Z');
  const forward = (over: Partial<PreconditionFacts> = {}): PreconditionFacts => ({
    to: 'target',
    now,
    spec: {},
    replicationName: 'tenant-a',
    replication: ready,
    database: 'tenant_a',
    ownership: { ok: true, message: 'ok' },
    sessionPooled: [],
    sourceIsSuperuser: true,
    ...over,
  });
  const reasonOf = (f: PreconditionFacts): string | undefined => preconditionBlocker(f)?.reason;

  it('lets a move to the target go when every fact holds', () => assert.equal(preconditionBlocker(forward()), undefined));
  it('blocks on a replication that is not Ready, naming its message', () => {
    const notReady = { conditions: [{ ...ready.conditions![0]!, status: 'False' as const, message: 'copying 3 tables' }] };
    const b = preconditionBlocker(forward({ replication: notReady }));
    assert.equal(b?.reason, 'ReplicationNotReady');
    assert.match(b?.message ?? '', /copying 3 tables/);
  });
  it('blocks on schema drift, lag above the gate, and a stale or missing validation', () => {
    const drift = { conditions: [...ready.conditions!, { ...ready.conditions![0]!, type: 'SchemaDrift', status: 'True' as const }] };
    assert.equal(reasonOf(forward({ replication: drift })), 'SchemaDrift');
    assert.equal(reasonOf(forward({ spec: { maxLagBytes: 5 } })), 'LagAboveGate');
    assert.equal(reasonOf(forward({ spec: { maxLagBytes: 10 } })), undefined);
    assert.equal(reasonOf(forward({ spec: { requireValidationWithin: '1h' } })), 'ValidationRequired');
    const fresh = { ...ready, validation: { state: 'Done', result: 'identical', finishedAt: new Date(now - 60_000).toISOString() } };
    assert.equal(reasonOf(forward({ spec: { requireValidationWithin: '1h' }, replication: fresh as SchemaReplicationStatus })), undefined);
    const old = { ...fresh, validation: { ...fresh.validation, finishedAt: new Date(now - 7_200_000).toISOString() } };
    assert.equal(
      reasonOf(forward({ spec: { requireValidationWithin: '1h' }, replication: old as SchemaReplicationStatus })),
      'ValidationRequired',
    );
  });
  it('blocks on unconfirmed route agents, session pooling, and a source that cannot build the way back', () => {
    assert.equal(reasonOf(forward({ ownership: { ok: false, message: 'no agent' } })), 'RouteAgentsNotReady');
    const pooled = preconditionBlocker(forward({ sessionPooled: [{ identity: 'pgb-1', mode: 'session' }] }));
    assert.equal(pooled?.reason, 'SessionPooling');
    assert.match(pooled?.message ?? '', /session pooling at pgb-1/);
    assert.equal(reasonOf(forward({ sourceIsSuperuser: false })), 'ReverseReplicationNeedsSuperuser');
  });
  it('blocks while a table of the tenant is not carried, or still copying, naming it', () => {
    const left = preconditionBlocker(forward({ coverage: { notPublished: ['wallet.bonus'], notReady: [] } }));
    assert.equal(left?.reason, 'TablesNotCovered');
    assert.match(left?.message ?? '', /wallet\.bonus .*leave their rows behind/);
    const copying = preconditionBlocker(forward({ coverage: { notPublished: [], notReady: ['wallet.ledger'] } }));
    assert.equal(copying?.reason, 'InitialCopyInProgress');
    assert.equal(reasonOf(forward({ coverage: { notPublished: [], notReady: [] } })), undefined);
    const back = forward({
      to: 'source',
      replication: {},
      reversePath: { subscription: 'rev', exists: true, enabled: true },
      coverage: { notPublished: ['wallet.promo'], notReady: [] },
    });
    assert.match(preconditionBlocker(back)?.message ?? '', /wallet\.promo of the tenant on the target/);
  });
  it('reports the first failing precondition in order', () => {
    assert.equal(
      reasonOf(forward({ replication: {}, ownership: { ok: false, message: 'x' }, sourceIsSuperuser: false })),
      'ReplicationNotReady',
    );
  });
  it('rolls back only over a flowing reverse replication, with the route agents confirmed', () => {
    const back = (over: Partial<PreconditionFacts>): PreconditionFacts =>
      forward({
        to: 'source',
        replication: {},
        sourceIsSuperuser: false,
        reversePath: { subscription: 'rev', exists: true, enabled: true },
        ...over,
      });
    assert.equal(reasonOf(back({})), undefined);
    assert.equal(reasonOf(back({ reversePath: { subscription: 'rev', exists: true, enabled: false } })), 'ReverseReplicationNotReady');
    assert.equal(reasonOf(back({ reversePath: undefined })), 'ReverseReplicationNotReady');
    assert.equal(reasonOf(back({ ownership: { ok: false, message: 'x' } })), 'RouteAgentsNotReady');
    assert.equal(reasonOf(back({ sessionPooled: [{ identity: 'a', mode: 'statement' }] })), 'SessionPooling');
  });
});
