// The controller loop without a cluster: a stand-in informer feeds keys, the reconciler's outcome drives
// retries (with backoff), terminal errors (no retry), requeueAfter, and the metrics.
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { silentLogger } from '../../../src/observability/logger.js';
import { createMetrics, type OperatorMetrics } from '../../../src/observability/metrics.js';
import { Controller } from '../../../src/runtime/controller.js';
import { conditionError, OperatorError, TerminalError } from '../../../src/errors.js';
import type { ChangeHandler, Informer } from '../../../src/runtime/informer.js';
import type { ReconcileContext, Reconciler } from '../../../src/runtime/reconciler.js';
import type { KubeObject } from '../../../src/runtime/resources.js';

class StubInformer {
  readonly objects = new Map<string, KubeObject>();
  private handler: ChangeHandler<KubeObject> | undefined;
  addHandler(h: ChangeHandler<KubeObject>): void {
    this.handler = h;
  }
  get(key: string): KubeObject | undefined {
    return this.objects.get(key);
  }
  keys(): string[] {
    return [...this.objects.keys()];
  }
  set(ns: string, name: string, generation = 1): void {
    const obj = { metadata: { namespace: ns, name, generation, resourceVersion: String(Math.random()) } };
    this.objects.set(`${ns}/${name}`, obj);
    this.handler?.(`${ns}/${name}`, obj);
  }
}

async function until(cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function metricValue(m: OperatorMetrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = await m.registry.getSingleMetric(name)?.get();
  const v = metric?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value ?? 0;
}

describe('runtime: controller', () => {
  let informer: StubInformer;
  let metrics: OperatorMetrics;
  let controller: Controller | undefined;

  beforeEach(() => {
    informer = new StubInformer();
    metrics = createMetrics(new Registry(), { version: 'test' });
  });
  afterEach(async () => {
    await controller?.shutdown(1_000);
    controller = undefined;
  });

  function start(reconcile: (ctx: ReconcileContext<KubeObject>) => Promise<{ requeueAfterMs?: number } | void>): Controller {
    const reconciler: Reconciler = { reconcile };
    controller = new Controller({
      name: 'test',
      informer: informer as unknown as Informer<KubeObject>,
      reconciler,
      log: silentLogger(),
      metrics,
      workers: 3,
    });
    controller.startWorkers();
    return controller;
  }

  it('retries a failing key with growing delays until it succeeds, then forgets it', async () => {
    const attempts: number[] = [];
    const c = start(async () => {
      attempts.push(Date.now());
      if (attempts.length < 4) throw new OperatorError('transient', 'not yet');
    });
    informer.set('ns', 'a');
    await until(() => attempts.length === 4);
    await until(() => c.queue.inFlight === 0);
    assert.equal(c.queue.numRequeues('ns/a'), 0, 'success forgets the failures');
    const gaps = attempts.slice(1).map((t, i) => t - (attempts[i] as number));
    assert.ok((gaps[2] as number) >= 15, `third retry waits >= 20 ms of backoff (gaps ${gaps.join(',')})`);
    assert.equal(await metricValue(metrics, 'tenantshift_reconcile_errors_total', { controller: 'test' }), 3);
    assert.equal(await metricValue(metrics, 'tenantshift_workqueue_retries_total', { controller: 'test' }), 3);
    assert.equal(await metricValue(metrics, 'tenantshift_reconcile_total', { controller: 'test', result: 'success' }), 1);
  });

  it('does not retry a terminal error until the object changes', async () => {
    let calls = 0;
    start(async () => {
      calls++;
      throw new TerminalError('spec.schemas must not be empty');
    });
    informer.set('ns', 'b');
    await until(() => calls === 1);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(calls, 1);
    assert.equal(await metricValue(metrics, 'tenantshift_reconcile_total', { controller: 'test', result: 'terminal' }), 1);
    informer.set('ns', 'b', 2);
    await until(() => calls === 2);
  });

  it('checks a condition of the world again after its own delay, without the fast backoff', async () => {
    let calls = 0;
    const c = start(async () => {
      calls++;
      if (calls === 1) throw conditionError('PermissionDenied', 'password authentication failed for user "op"', 50);
    });
    informer.set('ns', 'w');
    await until(() => calls === 2);
    await until(() => c.queue.inFlight === 0);
    assert.equal(c.queue.numRequeues('ns/w'), 0, 'not a rate-limited retry');
    assert.equal(await metricValue(metrics, 'tenantshift_workqueue_retries_total', { controller: 'test' }), 0);
    assert.equal(await metricValue(metrics, 'tenantshift_reconcile_total', { controller: 'test', result: 'requeue' }), 1);
  });

  it('requeues after the requested delay', async () => {
    const seen: number[] = [];
    start(async () => {
      seen.push(Date.now());
      return seen.length === 1 ? { requeueAfterMs: 80 } : {};
    });
    informer.set('ns', 'c');
    await until(() => seen.length === 2);
    assert.ok((seen[1] as number) - (seen[0] as number) >= 70);
  });

  it('coalesces changes that arrive while a key reconciles into one more run, with a child logger', async () => {
    let running = 0;
    let maxRunning = 0;
    let calls = 0;
    let release: () => void = () => {};
    const generations: unknown[] = [];
    start(async (ctx) => {
      calls++;
      running++;
      maxRunning = Math.max(maxRunning, running);
      generations.push(ctx.object.metadata?.generation);
      assert.ok(ctx.log, 'a logger per reconcile');
      if (calls === 1) await new Promise<void>((r) => (release = r));
      running--;
    });
    informer.set('ns', 'd', 1);
    await until(() => calls === 1);
    for (let g = 2; g <= 6; g++) informer.set('ns', 'd', g);
    release();
    await until(() => calls === 2);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(calls, 2, 'five changes during one run give exactly one more run');
    assert.equal(maxRunning, 1);
    assert.deepEqual(generations, [1, 6], 'the re-run sees the newest object');
  });

  it('skips keys whose object is gone from the cache', async () => {
    let calls = 0;
    const c = start(async () => {
      calls++;
    });
    c.queue.add('ns/ghost');
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(calls, 0);
  });

  it('stops taking work on stopWorkers and waits for the reconcile in flight', async () => {
    let finished = false;
    const reconciled: string[] = [];
    const c = start(async (ctx) => {
      reconciled.push(ctx.name);
      await new Promise((r) => setTimeout(r, 100));
      finished = true;
    });
    informer.set('ns', 'e');
    await until(() => reconciled.length === 1);
    assert.equal(await c.stopWorkers(5_000), true);
    assert.ok(finished, 'the in-flight reconcile finished before stopWorkers returned');
    assert.equal(c.running, false);
    informer.set('ns', 'f');
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(reconciled, ['e'], 'no new work after stopWorkers');
    assert.equal(c.queue.length, 1, 'the change waits in the queue for the next term');
  });

  it('abandons a reconcile that outlives the grace period and aborts its signal', async () => {
    let aborted = false;
    const c = start(async (ctx) => {
      await new Promise<void>((r) => ctx.signal.addEventListener('abort', () => r()));
      aborted = true;
      await new Promise((r) => setTimeout(r, 300));
    });
    informer.set('ns', 'g');
    await until(() => c.queue.inFlight === 1);
    assert.equal(await c.stopWorkers(50), false);
    assert.ok(aborted);
  });
});
