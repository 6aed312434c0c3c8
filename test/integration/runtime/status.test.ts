// Status, finalizers, events and a whole controller against the real kube-apiserver: status is written
// only when it changes, conflicts are retried, finalizers survive a stale read, events carry our names.
import assert from 'node:assert/strict';
import { CustomObjectsApi, EventsV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { SCHEMA_REPLICATIONS } from '../../../src/controllers/kinds.js';
import { ObservingReconciler } from '../../support/observing-reconciler.js';
import { EventRecorder, REPORTING_CONTROLLER } from '../../../src/observability/events.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import { Controller } from '../../../src/runtime/controller.js';
import { Finalizers } from '../../../src/runtime/finalizers.js';
import { Informer } from '../../../src/runtime/informer.js';
import type { KubeObject } from '../../../src/runtime/resources.js';
import { StatusWriter } from '../../../src/runtime/statusWriter.js';
import { testCluster, type TestCluster } from '../../support/cluster.js';
import { until } from './helpers.js';

type Obj = KubeObject & {
  status?: { observedGeneration?: number; conditions?: Array<{ type: string; status: string; lastTransitionTime: string }> };
};

describe('runtime: status, finalizers, events and a controller (real kube-apiserver)', function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  let api: CustomObjectsApi;
  let ns: string;
  const r = SCHEMA_REPLICATIONS;

  const create = async (name: string): Promise<Obj> =>
    (await api.createNamespacedCustomObject({
      group: r.group,
      version: r.version,
      plural: r.plural,
      namespace: ns,
      body: {
        apiVersion: `${r.group}/${r.version}`,
        kind: r.kind,
        metadata: { name },
        spec: { tenant: name, source: { secretRef: { name: 'src' } }, target: { secretRef: { name: 'dst' } }, schemas: ['s1'] },
      },
    })) as Obj;
  const get = async (name: string): Promise<Obj> =>
    (await api.getNamespacedCustomObject({ group: r.group, version: r.version, plural: r.plural, namespace: ns, name })) as Obj;
  const label = (name: string, value: string) =>
    api.patchNamespacedCustomObject(
      { group: r.group, version: r.version, plural: r.plural, namespace: ns, name, body: { metadata: { labels: { touched: value } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    ) as Promise<Obj>;

  before(async () => {
    cluster = await testCluster();
    api = cluster.kc.makeApiClient(CustomObjectsApi);
  });
  beforeEach(async () => {
    ns = await cluster.newNamespace('rt-status');
  });

  it('writes status only when it changes, and retries a conflict from a stale read', async () => {
    const writer = new StatusWriter(cluster.kc);
    const obj = await create('a');
    const status = {
      conditions: [{ type: 'Ready', status: 'Unknown', reason: 'Reconciling', message: 'm', lastTransitionTime: '2025-01-01T00:00:00Z' }],
    };
    const first = await writer.update({ resource: r, object: obj, status });
    assert.equal(first.written, true);
    assert.equal(first.object.status?.observedGeneration, 1);
    const rv = first.object.metadata?.resourceVersion;
    const second = await writer.update({ resource: r, object: first.object, status });
    assert.equal(second.written, false, 'an unchanged status is not sent');
    assert.equal((await get('a')).metadata?.resourceVersion, rv, 'the object did not change');

    // The object moved on after our read: the guarded patch conflicts, is recomputed and lands.
    await label('a', 'x');
    const stale = first.object;
    const changed = { ...status, conditions: [{ ...status.conditions[0], status: 'True', reason: 'Succeeded' }] };
    const third = await writer.update({ resource: r, object: stale, status: changed });
    assert.equal(third.written, true);
    assert.equal((await get('a')).status?.conditions?.[0]?.status, 'True');
  });

  it('on a conflict re-applies only its own change, never what it read before (a field another writer set stays)', async () => {
    const writer = new StatusWriter(cluster.kc);
    const obj = await create('b');
    const base = { phase: 'Streaming', lag: { bytes: 1 } };
    const read = (await writer.update({ resource: r, object: obj, status: base })).object;
    // Another writer (a newer leader) records something this one never saw.
    const other = new StatusWriter(cluster.kc);
    await other.update({ resource: r, object: read, status: { ...base, sourceServer: 'db.internal:5432' } });
    // This writer, from its older read, changes one field: only that change may land.
    await writer.update({ resource: r, object: read, status: { ...base, lag: { bytes: 2 } } });
    const now = (await get('b')).status as { lag?: { bytes?: number }; sourceServer?: string };
    assert.equal(now.lag?.bytes, 2);
    assert.equal(now.sourceServer, 'db.internal:5432', 'a stale writer wiped a field it never saw');
  });

  it('refuses to re-apply its change when another writer changed what it owns (a deposed leader’s move)', async () => {
    const writer = new StatusWriter(cluster.kc);
    const obj = await create('own');
    const read = (await writer.update({ resource: r, object: obj, status: { phase: 'Streaming' } })).object;
    // A newer leader changes the field this writer's change depends on.
    await new StatusWriter(cluster.kc).update({ resource: r, object: read, status: { phase: 'TargetServing' } });
    await assert.rejects(
      writer.update({
        resource: r,
        object: read,
        status: { phase: 'Streaming', lag: { bytes: 3 } },
        stillOurs: (o) => (o.status as { phase?: string } | undefined)?.phase === 'Streaming',
      }),
      (err: Error & { reason?: string }) => err.reason === 'Superseded',
    );
    const now = (await get('own')).status as { phase?: string; lag?: unknown };
    assert.equal(now.phase, 'TargetServing');
    assert.equal(now.lag, undefined, 'the superseded change landed');
  });

  it('adds and removes a finalizer, also from a stale copy', async () => {
    const fin = new Finalizers(cluster.kc);
    const obj = await create('b');
    const added = await fin.add(r, obj, 'tenantshift.io/cleanup');
    assert.deepEqual(added.metadata?.finalizers, ['tenantshift.io/cleanup']);
    assert.equal(
      (await fin.add(r, added, 'tenantshift.io/cleanup')).metadata?.resourceVersion,
      added.metadata?.resourceVersion,
      'idempotent',
    );
    await label('b', 'y');
    const removed = await fin.remove(r, added, 'tenantshift.io/cleanup');
    assert.deepEqual(removed.metadata?.finalizers ?? [], []);
    assert.equal(removed.metadata?.labels?.touched, 'y', 'the newer change survived');
  });

  it('records events with our reporting controller and instance, without secrets', async () => {
    const obj = await create('c');
    const rec = new EventRecorder({ kc: cluster.kc, identity: 'test-instance', log: silentLogger() });
    await rec.record(obj, {
      type: 'Warning',
      reason: 'ConnectionFailed',
      action: 'Reconcile',
      note: 'postgresql://app:hunter2@db/wallet refused',
    });
    await rec.record(obj, {
      type: 'Warning',
      reason: 'ConnectionFailed',
      action: 'Reconcile',
      note: 'postgresql://app:hunter2@db/wallet refused',
    });
    const events = await cluster.kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace: ns });
    const ours = events.items.filter((e) => e.regarding?.name === 'c');
    assert.equal(ours.length, 1, 'a repeat within the window is dropped');
    assert.equal(ours[0]?.reportingController, REPORTING_CONTROLLER);
    assert.equal(ours[0]?.reportingInstance, 'test-instance');
    assert.doesNotMatch(ours[0]?.note ?? '', /hunter2/);
  });

  it('a controller converges an object once: a second reconcile changes nothing', async () => {
    const writes: boolean[] = [];
    const writer = new StatusWriter(cluster.kc);
    const counting = Object.assign(Object.create(writer) as StatusWriter, {
      update: async (req: Parameters<StatusWriter['update']>[0]) => {
        const res = await writer.update(req);
        writes.push(res.written);
        return res;
      },
    });
    const log = silentLogger();
    const informer = new Informer<KubeObject>({ kc: cluster.kc, resource: r, log, namespaces: [ns] });
    const events = new EventRecorder({ kc: cluster.kc, identity: 'test', log });
    const controller = new Controller({
      name: 'schemareplication',
      informer,
      reconciler: new ObservingReconciler({ resource: r, status: counting, events }),
      log,
      metrics: createMetrics(new Registry(), { version: 'test' }),
      workers: 2,
    });
    informer.start();
    try {
      await until('sync', () => informer.hasSynced());
      controller.startWorkers();
      await create('d');
      const converged = await until('status written', async () => {
        const o = await get('d');
        return o.status?.conditions?.some((c) => c.type === 'Ready') ? o : undefined;
      });
      assert.equal(converged.status?.observedGeneration, 1);
      // Our own status write comes back as a watch event and is reconciled once more: nothing to write.
      await until('the write and the no-op reconcile after it', () => writes.length >= 2 && writes.filter((w) => w).length === 1);
      const rv = converged.metadata?.resourceVersion;
      controller.queue.add(`${ns}/d`);
      await until('a third reconcile', () => writes.length >= 3);
      await until('queue idle', () => controller.queue.inFlight === 0);
      assert.deepEqual(
        writes.filter((w) => w),
        [true],
        'exactly one status write',
      );
      assert.equal((await get('d')).metadata?.resourceVersion, rv, 'resourceVersion unchanged by later reconciles');
    } finally {
      await controller.shutdown(5_000);
      await informer.stop();
    }
  });
});
