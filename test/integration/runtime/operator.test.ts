// Two `tenantshift operator` processes on one lease, against the real kube-apiserver: exactly one
// leads and reconciles; kill -9 of the leader hands over within the lease duration; SIGTERM releases
// the lease so the standby takes over at once, and the process exits 0.
import assert from 'node:assert/strict';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { SCHEMA_REPLICATIONS } from '../../../src/controllers/kinds.js';
import { getJson } from '../../../src/runtime/kubeRequest.js';
import { testCluster, type TestCluster } from '../../support/cluster.js';
import { httpStatus, metric, startOperator, stopProcess, until, type OperatorProcess } from './helpers.js';

const LEASE = 'tenantshift-operator';

describe('runtime: operator processes and leader handover (real kube-apiserver)', function () {
  this.timeout(180_000);
  let cluster: TestCluster;
  let ns: string;
  let procs: OperatorProcess[] = [];

  const holder = async (): Promise<string | undefined> => {
    try {
      const lease = await getJson<{ spec?: { holderIdentity?: string } }>(
        cluster.kc,
        `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/${LEASE}`,
      );
      return lease.spec?.holderIdentity || undefined;
    } catch {
      return undefined;
    }
  };
  const launch = async (identity: string, timing: string[]): Promise<OperatorProcess> => {
    const p = await startOperator({ env: cluster.env, identity, namespace: ns, args: timing });
    procs.push(p);
    return p;
  };
  const ready = (p: OperatorProcess) => until(`${p.identity} ready`, async () => (await httpStatus(p.port, '/readyz')) === 200, 60_000);
  const explain = (): string => procs.map((p) => `--- ${p.identity}\n${p.output().split('\n').slice(-25).join('\n')}`).join('\n');

  before(async () => {
    cluster = await testCluster();
  });
  beforeEach(async () => {
    ns = await cluster.newNamespace('rt-op');
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') console.log(explain());
    await Promise.all(procs.map((p) => stopProcess(p)));
    procs = [];
  });

  it('exactly one of two processes leads; kill -9 of the leader hands over within the lease duration', async () => {
    const short = ['--lease-duration', '3s', '--renew-deadline', '2s', '--retry-period', '500ms'];
    const a = await launch('op-a', short);
    const b = await launch('op-b', short);
    await Promise.all([ready(a), ready(b)]);
    const first = await until('a lease holder', holder);
    assert.ok(['op-a', 'op-b'].includes(first));
    const [leader, standby] = first === 'op-a' ? [a, b] : [b, a];
    await until('leader gauge 1 on the leader', async () => (await metric(leader.port, 'tenantshift_leader')) === 1);
    assert.equal(await metric(standby.port, 'tenantshift_leader'), 0);
    assert.equal(await httpStatus(standby.port, '/readyz'), 200, 'a synced standby is ready');
    assert.equal(await httpStatus(leader.port, '/healthz'), 200);

    // The leader reconciles objects of the watched namespace.
    const api = cluster.kc.makeApiClient(CustomObjectsApi);
    const r = SCHEMA_REPLICATIONS;
    await api.createNamespacedCustomObject({
      group: r.group,
      version: r.version,
      plural: r.plural,
      namespace: ns,
      body: {
        apiVersion: `${r.group}/${r.version}`,
        kind: r.kind,
        metadata: { name: 'observed' },
        spec: { tenant: 't', source: { secretRef: { name: 's' } }, target: { secretRef: { name: 't' } }, schemas: ['s'] },
      },
    });
    await until('the leader to record its observation', async () => {
      const o = (await api.getNamespacedCustomObject({
        group: r.group,
        version: r.version,
        plural: r.plural,
        namespace: ns,
        name: 'observed',
      })) as {
        status?: { observedGeneration?: number };
      };
      return o.status?.observedGeneration === 1;
    });

    const killedAt = Date.now();
    leader.child.kill('SIGKILL');
    await leader.exited;
    await until('the standby to take the lease', async () => (await holder()) === standby.identity, 3_000 + 15_000);
    await until('leader gauge 1 on the new leader', async () => (await metric(standby.port, 'tenantshift_leader')) === 1, 10_000);
    assert.ok(Date.now() - killedAt < 3_000 + 15_000);
    assert.equal(await httpStatus(standby.port, '/readyz'), 200, 'the new leader is ready once reconciling');
  });

  it('SIGTERM releases the lease: the standby takes over at once and the process exits 0', async () => {
    // A long lease: a takeover well before it expires can only come from the release.
    const long = ['--lease-duration', '40s', '--renew-deadline', '30s', '--retry-period', '500ms', '--shutdown-grace', '3s'];
    const a = await launch('op-a', long);
    await ready(a);
    await until('op-a leads', async () => (await holder()) === 'op-a');
    const b = await launch('op-b', long);
    await ready(b);
    assert.equal(await metric(b.port, 'tenantshift_leader'), 0);

    const termAt = Date.now();
    a.child.kill('SIGTERM');
    assert.equal(await a.exited, 0, `op-a exit code\n${a.output().slice(-2000)}`);
    assert.match(a.output(), /Leader lease released/);
    assert.match(a.output(), /Operator stopped/);
    await until('op-b to lead', async () => (await holder()) === 'op-b', 20_000);
    assert.ok(Date.now() - termAt < 25_000, 'the takeover did not wait for the 40 s lease to expire');
    await until('leader gauge on op-b', async () => (await metric(b.port, 'tenantshift_leader')) === 1, 10_000);
  });

  it('serves metrics with help text, and refuses a missing lease namespace with a clear message', async () => {
    const a = await launch('op-a', []);
    await ready(a);
    const text = await (await fetch(`http://127.0.0.1:${a.port}/metrics`)).text();
    for (const name of [
      'tenantshift_reconcile_total',
      'tenantshift_reconcile_errors_total',
      'tenantshift_reconcile_duration_seconds',
      'tenantshift_workqueue_depth',
      'tenantshift_workqueue_retries_total',
      'tenantshift_leader',
      'tenantshift_build_info',
    ]) {
      assert.match(text, new RegExp(`# HELP ${name} \\S`), `${name} has help text`);
    }
    assert.match(text, /tenantshift_build_info\{version="[^"]+"\} 1/);

    const bad = await startOperator({ env: cluster.env, identity: 'op-x', namespace: `${ns}-missing` });
    procs.push(bad);
    assert.equal(await bad.exited, 1);
    assert.match(bad.output(), /Lease namespace .* does not exist/);
  });
});
