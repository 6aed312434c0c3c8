// Leader election in-process against the real kube-apiserver: one leader, MicroTime on the wire,
// release hands over at once, and a restarted replica with the same identity takes its lease back.
import assert from 'node:assert/strict';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { restartDaemon } from '../../../src/devstack/stack.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { getJson } from '../../../src/runtime/kubeRequest.js';
import { LeaderElector } from '../../../src/runtime/leaderelection.js';
import { testCluster, type TestCluster } from '../../support/cluster.js';
import { until, waitForApi } from './helpers.js';

interface RawLease {
  metadata: { resourceVersion: string };
  spec: { holderIdentity?: string; renewTime?: string; acquireTime?: string; leaseDurationSeconds?: number; leaseTransitions?: number };
}

describe('runtime: leader election (real kube-apiserver)', function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  let ns: string;
  const electors: LeaderElector[] = [];
  const LEASE = 'runtime-test';

  function elector(identity: string, timings = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 500 }) {
    const state = { leading: false, started: 0, stopped: 0 };
    const e = new LeaderElector({
      kc: cluster.kc,
      namespace: ns,
      name: LEASE,
      identity,
      ...timings,
      log: silentLogger(),
      onStartedLeading: () => {
        state.leading = true;
        state.started++;
      },
      onStoppedLeading: () => {
        state.leading = false;
        state.stopped++;
      },
    });
    electors.push(e);
    return { e, state };
  }
  const readLease = () => getJson<RawLease>(cluster.kc, `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/${LEASE}`);

  before(async () => {
    cluster = await testCluster();
  });
  beforeEach(async () => {
    ns = await cluster.newNamespace('rt-lease');
  });
  afterEach(async () => {
    await Promise.all(electors.splice(0).map((e) => e.stop()));
  });

  it('elects exactly one leader and writes MicroTime with six fractional digits', async () => {
    const a = elector('a');
    const b = elector('b');
    a.e.run();
    b.e.run();
    await until('a leader', () => a.state.leading || b.state.leading);
    await new Promise((r) => setTimeout(r, 2_000));
    assert.equal(Number(a.state.leading) + Number(b.state.leading), 1, 'exactly one leads');
    const lease = await readLease();
    const leader = a.state.leading ? 'a' : 'b';
    assert.equal(lease.spec.holderIdentity, leader);
    assert.match(lease.spec.renewTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.match(lease.spec.acquireTime ?? '', /\.\d{6}Z$/);
    assert.equal(lease.spec.leaseDurationSeconds, 3);
    const rv = lease.metadata.resourceVersion;
    await until('a renewal', async () => (await readLease()).metadata.resourceVersion !== rv, 10_000);
  });

  it('hands over at once when the leader releases the lease', async () => {
    const slow = { leaseDurationMs: 30_000, renewDeadlineMs: 20_000, retryPeriodMs: 500 };
    const a = elector('a', slow);
    a.e.run();
    await until('a leads', () => a.state.leading);
    const b = elector('b', slow);
    b.e.run();
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(b.state.leading, false, 'b waits while a renews');
    const released = Date.now();
    assert.equal(await a.e.release(), true);
    await until('b leads', () => b.state.leading, 15_000);
    assert.ok(Date.now() - released < 15_000, 'the takeover did not wait for the 30 s lease to expire');
    const lease = await readLease();
    assert.equal(lease.spec.holderIdentity, 'b');
    assert.equal(lease.spec.leaseTransitions, 1);
  });

  it('a restarted replica with the same identity takes its own lease back at once', async () => {
    const slow = { leaseDurationMs: 30_000, renewDeadlineMs: 20_000, retryPeriodMs: 500 };
    const first = elector('same', slow);
    first.e.run();
    await until('first leads', () => first.state.leading);
    await first.e.stop(); // a crash: no release
    const again = elector('same', slow);
    const t0 = Date.now();
    again.e.run();
    await until('the restarted replica leads', () => again.state.leading, 15_000);
    assert.ok(Date.now() - t0 < 15_000, 'it did not wait for its own lease to expire');
    assert.equal((await readLease()).spec.leaseTransitions, 0, 'no transition: same holder');
  });

  it('steps down when the lease is taken from it and it cannot renew', async () => {
    const a = elector('a');
    a.e.run();
    await until('a leads', () => a.state.leading);
    // Someone else (an operator with a skewed view, a human) grabs the lease.
    const coord = cluster.kc.makeApiClient(CoordinationV1Api);
    const lease = await coord.readNamespacedLease({ name: LEASE, namespace: ns });
    await coord.replaceNamespacedLease({
      name: LEASE,
      namespace: ns,
      body: { ...lease, spec: { ...lease.spec, holderIdentity: 'intruder', leaseDurationSeconds: 60 } },
    });
    await until('a steps down', () => !a.state.leading && a.state.stopped === 1, 15_000);
  });

  it('steps down when it cannot renew past the renew deadline (API server down) and leads again after', async () => {
    const a = elector('a');
    a.e.run();
    await until('a leads', () => a.state.leading);
    const restarted = restartDaemon(cluster.stateDir, 'kube-apiserver', 3_000);
    await until('a steps down while the API server is away', () => !a.state.leading, 60_000);
    assert.equal(a.state.stopped, 1);
    await restarted;
    await waitForApi(cluster.kc);
    await until('a leads again', () => a.state.leading, 30_000);
    assert.equal(a.state.started, 2);
  });
});
