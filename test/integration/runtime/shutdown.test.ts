// Graceful shutdown of the manager in-process: in-flight reconciles finish within the grace period
// (or are abandoned with their signal aborted), then the lease is released and nothing runs after.
import assert from 'node:assert/strict';
import { CoreV1Api } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { silentLogger } from '../../../src/observability/logger.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import { loadOperatorConfig } from '../../../src/runtime/config.js';
import { getJson } from '../../../src/runtime/kubeRequest.js';
import { Manager } from '../../../src/runtime/manager.js';
import type { ReconcileContext } from '../../../src/runtime/reconciler.js';
import type { KubeObject, ResourceType } from '../../../src/runtime/resources.js';
import { testCluster, type TestCluster } from '../../support/cluster.js';
import { httpStatus, until } from './helpers.js';

const CONFIG_MAPS: ResourceType = { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap' };

describe('runtime: graceful shutdown of the manager (real kube-apiserver)', function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  let ns: string;

  const manager = (reconcile: (ctx: ReconcileContext<KubeObject>) => Promise<void>): Manager => {
    const config = loadOperatorConfig(
      [
        '--identity',
        'in-process',
        '--health-port',
        '0',
        '--health-host',
        '127.0.0.1',
        '--lease-duration',
        '30s',
        '--renew-deadline',
        '20s',
        '--retry-period',
        '500ms',
      ],
      { TENANTSHIFT_OPERATOR_NAMESPACE: ns, TENANTSHIFT_WATCH_NAMESPACES: ns },
    );
    const m = new Manager({ kc: cluster.kc, config, log: silentLogger(), metrics: createMetrics(new Registry(), { version: 'test' }) });
    m.addController({ name: 'slow', resource: CONFIG_MAPS, reconciler: { reconcile: async (ctx) => reconcile(ctx) }, workers: 1 });
    return m;
  };
  const holder = async (): Promise<string | undefined> =>
    (
      await getJson<{ spec?: { holderIdentity?: string } }>(
        cluster.kc,
        `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/tenantshift-operator`,
      )
    ).spec?.holderIdentity;

  before(async () => {
    cluster = await testCluster();
  });
  beforeEach(async () => {
    ns = await cluster.newNamespace('rt-shutdown');
  });

  it('lets the reconcile in flight finish, then releases the lease and takes no more work', async () => {
    const log: string[] = [];
    const m = manager(async (ctx) => {
      log.push(`start ${ctx.name}`);
      await new Promise((r) => setTimeout(r, 1_500));
      log.push(`end ${ctx.name}`);
    });
    await m.start();
    await until('ready and leading', async () => m.isLeader && (await httpStatus(m.healthPort as number, '/readyz')) === 200);
    await cluster.kc.makeApiClient(CoreV1Api).createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'work' } } });
    await until('the reconcile to start', () => log.includes('start work'));
    await m.shutdown(10_000);
    assert.deepEqual(log, ['start work', 'end work'], 'the in-flight reconcile finished before shutdown returned');
    assert.equal(await holder(), '', 'the lease was released');
    await cluster.kc.makeApiClient(CoreV1Api).createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'late' } } });
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(!log.includes('start late'), 'nothing runs after shutdown');
  });

  it('abandons a reconcile that outlives the grace period, aborting its signal, and still releases', async () => {
    let aborted = false;
    let started = false;
    const m = manager(async (ctx) => {
      started = true;
      await new Promise<void>((r) => ctx.signal.addEventListener('abort', () => r(), { once: true }));
      aborted = true;
      await new Promise((r) => setTimeout(r, 5_000));
    });
    await m.start();
    await until('leading', () => m.isLeader);
    await cluster.kc.makeApiClient(CoreV1Api).createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'stuck' } } });
    await until('the reconcile to start', () => started);
    const t0 = Date.now();
    await m.shutdown(300);
    assert.ok(aborted, 'the reconcile was told to stop');
    assert.ok(Date.now() - t0 < 4_500, 'shutdown did not wait for the abandoned reconcile');
    assert.equal(await holder(), '');
  });
});
