// A reconcile that throws still reports on the status (Ready=False, the error's reason or ReconcileError,
// its message) and then rethrows for the runtime's backoff: SchemaReplication and TenantCutover, as LandingZone.
import assert from 'node:assert/strict';
import type { SchemaReplication, TenantCutover } from '../../../src/api/index.js';
import { SchemaReplicationReconciler, type SchemaReplicationControllerDeps } from '../../../src/controllers/schemareplication.js';
import { TenantCutoverReconciler, type TenantCutoverControllerDeps } from '../../../src/controllers/tenantcutover.js';
import { OperatorError } from '../../../src/errors.js';
import { silentLogger } from '../../../src/observability/logger.js';
import type { KubeObject } from '../../../src/runtime/resources.js';
import type { StatusUpdate } from '../../../src/runtime/statusWriter.js';

/** Records every status update and answers as the API server would. */
class FakeStatusWriter {
  readonly updates: StatusUpdate<KubeObject>[] = [];
  /** What the API holds (get); the cached object itself unless a test sets it. */
  fresh: KubeObject | undefined;
  async get<T extends KubeObject>(_resource: unknown, object: KubeObject): Promise<T> {
    return (this.fresh ?? object) as T;
  }
  async update<T extends KubeObject>(req: StatusUpdate<T>): Promise<{ written: boolean; object: T }> {
    this.updates.push(req as unknown as StatusUpdate<KubeObject>);
    return { written: true, object: { ...req.object, status: req.status } };
  }
}

const finalizers = { add: async <T>(_r: unknown, obj: T) => obj, remove: async () => undefined };
const failing = (err: unknown) => ({
  get: () => {
    throw err;
  },
  list: () => {
    throw err;
  },
});

function ctx<T extends KubeObject>(object: T) {
  return { key: 'tenants/t1', namespace: 'tenants', name: 't1', object, log: silentLogger(), signal: new AbortController().signal };
}

const staleReady = {
  type: 'Ready',
  status: 'True',
  reason: 'Succeeded',
  message: 'all good a while ago',
  lastTransitionTime: '2025-01-01T00:00:00Z',
  observedGeneration: 1,
};

function replication(): SchemaReplication {
  return {
    apiVersion: 'tenantshift.io/v1alpha1',
    kind: 'SchemaReplication',
    metadata: { name: 't1', namespace: 'tenants', generation: 2, uid: 'u1', finalizers: ['tenantshift.io/replication-cleanup'] },
    spec: {} as SchemaReplication['spec'],
    status: { phase: 'Streaming', conditions: [staleReady] },
  } as SchemaReplication;
}

function cutover(): TenantCutover {
  return {
    apiVersion: 'tenantshift.io/v1alpha1',
    kind: 'TenantCutover',
    metadata: { name: 't1', namespace: 'tenants', generation: 2, uid: 'u2', finalizers: ['tenantshift.io/cutover'] },
    spec: { replicationRef: { name: 't1' } } as TenantCutover['spec'],
    status: { activeSide: 'source', conditions: [staleReady] },
  } as TenantCutover;
}

function schemaReplicationReconciler(status: FakeStatusWriter, err: unknown): SchemaReplicationReconciler {
  return new SchemaReplicationReconciler({
    status,
    finalizers,
    cutovers: failing(err),
    landingZones: failing(err),
    replications: failing(err),
    validations: { current: () => undefined, isRunning: () => false, start: () => undefined },
    maxInitialCopiesPerSource: 4,
  } as unknown as SchemaReplicationControllerDeps);
}

function tenantCutoverReconciler(status: FakeStatusWriter, err: unknown): TenantCutoverReconciler {
  return new TenantCutoverReconciler({
    status,
    finalizers,
    replications: failing(err),
    events: { record: async () => undefined },
    metrics: { seen: () => undefined, aborted: () => undefined },
  } as unknown as TenantCutoverControllerDeps);
}

function readyOf(update: StatusUpdate<KubeObject> | undefined) {
  const conditions = update?.status.conditions as { type: string; status: string; reason: string; message: string }[] | undefined;
  return conditions?.find((c) => c.type === 'Ready');
}

const cases: [string, (s: FakeStatusWriter, e: unknown) => { reconcile(c: ReturnType<typeof ctx>): Promise<unknown> }, () => KubeObject][] =
  [
    ['SchemaReplication', schemaReplicationReconciler as never, replication],
    ['TenantCutover', tenantCutoverReconciler as never, cutover],
  ];

for (const [kind, make, object] of cases) {
  describe(`controllers: a failed ${kind} reconcile`, () => {
    it("writes Ready=False with the error's reason and message, keeps the rest of the status, and rethrows", async () => {
      const status = new FakeStatusWriter();
      const err = new OperatorError('transient', 'source unreachable: connection refused', { reason: 'ConnectionFailed' });
      await assert.rejects(make(status, err).reconcile(ctx(object())), (e: unknown) => e === err);
      assert.equal(status.updates.length, 1);
      const ready = readyOf(status.updates[0]);
      assert.equal(ready?.status, 'False');
      assert.equal(ready?.reason, 'ConnectionFailed');
      assert.equal(ready?.message, 'source unreachable: connection refused');
      const kept = status.updates[0]?.status;
      assert.ok(kind === 'SchemaReplication' ? kept?.phase === 'Streaming' : kept?.activeSide === 'source');
    });

    it('falls back to ReconcileError for an error without a reason, and rethrows it classified', async () => {
      const status = new FakeStatusWriter();
      await assert.rejects(
        make(status, new Error('informer exploded')).reconcile(ctx(object())),
        (e: unknown) => e instanceof OperatorError && e.message === 'informer exploded',
      );
      const ready = readyOf(status.updates[0]);
      assert.equal(ready?.status, 'False');
      assert.equal(ready?.reason, 'ReconcileError');
      assert.equal(ready?.message, 'informer exploded');
    });

    it('still rethrows the reconcile error when the status write fails too', async () => {
      const status = new FakeStatusWriter();
      status.update = async () => {
        throw new OperatorError('conflict', 'the object changed');
      };
      const err = new OperatorError('transient', 'boom');
      await assert.rejects(make(status, err).reconcile(ctx(object())), (e: unknown) => e === err);
    });
  });
}

describe("controllers: a TenantCutover reconcile decides on the API's copy, never a stale cache", () => {
  it('works from the status the API holds when the cache still shows a step the move has passed', async () => {
    const status = new FakeStatusWriter();
    // The cache: a move mid-freeze, the source serving. The API: that move finished, the target serves.
    const stale = cutover();
    stale.metadata.resourceVersion = '1';
    stale.status = { ...stale.status, step: 'Flipping', movingTo: 'target', moveId: 'm1', activeSide: 'source' } as never;
    const fresh = cutover();
    fresh.metadata.resourceVersion = '2';
    fresh.status = { ...fresh.status, activeSide: 'target', moveId: 'm1' } as never;
    status.fresh = fresh;
    const err = new OperatorError('transient', 'source unreachable', { reason: 'ConnectionFailed' });
    await assert.rejects(tenantCutoverReconciler(status, err).reconcile(ctx(stale)), (e: unknown) => e === err);
    const written = status.updates[0];
    assert.equal(written?.object.metadata?.resourceVersion, '2', 'the write is conditional on the API copy');
    assert.equal(written?.status.activeSide, 'target');
    assert.equal(written?.status.step, undefined, 'a step the move had passed came back from the cache');
  });
});
