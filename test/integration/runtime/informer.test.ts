// The informer against the real kube-apiserver: it follows changes, survives an API server restart,
// relists when its watch goes silent, and resyncs every cached key.
import assert from 'node:assert/strict';
import { CoreV1Api } from '@kubernetes/client-node';
import { restartDaemon } from '../../../src/devstack/stack.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { Informer, type InformerOptions, type RestartReason } from '../../../src/runtime/informer.js';
import type { KubeObject, ResourceType } from '../../../src/runtime/resources.js';
import { testCluster, type TestCluster } from '../../support/cluster.js';
import { until, waitForApi } from './helpers.js';

const CONFIG_MAPS: ResourceType = { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap' };

describe('runtime: informer (real kube-apiserver)', function () {
  this.timeout(180_000);
  let cluster: TestCluster;
  let core: CoreV1Api;
  let ns: string;
  const informers: Informer[] = [];

  function informer(opts: Partial<InformerOptions> = {}): Informer {
    const inf = new Informer<KubeObject>({ kc: cluster.kc, resource: CONFIG_MAPS, log: silentLogger(), namespaces: [ns], ...opts });
    informers.push(inf);
    return inf;
  }
  const configMap = (name: string, data: Record<string, string> = {}) =>
    core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name }, data } });

  before(async () => {
    cluster = await testCluster();
    core = cluster.kc.makeApiClient(CoreV1Api);
  });
  beforeEach(async () => {
    ns = await cluster.newNamespace('rt-inf');
  });
  afterEach(async () => {
    await Promise.all(informers.splice(0).map((i) => i.stop()));
  });

  it('lists, then follows creates, updates and deletes into its cache, in its namespaces only', async () => {
    const other = await cluster.newNamespace('rt-inf-other');
    await configMap('before');
    const changes: string[] = [];
    const inf = informer();
    inf.addHandler((key, obj) => changes.push(`${key}:${obj ? 'present' : 'gone'}`));
    inf.start();
    await until('sync', () => inf.hasSynced());
    assert.ok(inf.get(`${ns}/before`), 'listed object cached');
    assert.equal(inf.get(`${ns}/before`)?.kind, 'ConfigMap', 'list items get apiVersion and kind');

    await configMap('after', { a: '1' });
    await core.createNamespacedConfigMap({ namespace: other, body: { metadata: { name: 'elsewhere' } } });
    await until('the new object', () => inf.get(`${ns}/after`));
    await core.patchNamespacedConfigMap({ namespace: ns, name: 'after', body: [{ op: 'replace', path: '/data/a', value: '2' }] });
    await until('the update', () => (inf.get(`${ns}/after`) as { data?: Record<string, string> } | undefined)?.data?.a === '2');
    await core.deleteNamespacedConfigMap({ namespace: ns, name: 'before' });
    await until('the delete', () => inf.get(`${ns}/before`) === undefined);
    assert.equal(inf.get(`${other}/elsewhere`), undefined, 'objects of unwatched namespaces stay out');
    assert.ok(changes.includes(`${ns}/before:gone`));
  });

  it('recovers after the kube-apiserver restarts: an object created afterwards is seen', async () => {
    const restarts: RestartReason[] = [];
    const inf = informer({ retryBackoff: { baseMs: 200, maxMs: 2_000 }, onRestart: (r) => restarts.push(r) });
    inf.start();
    await until('sync', () => inf.hasSynced());
    await configMap('pre-restart');
    await until('pre-restart object', () => inf.get(`${ns}/pre-restart`));

    await restartDaemon(cluster.stateDir, 'kube-apiserver', 1_000);
    await waitForApi(cluster.kc);
    await configMap('post-restart');
    await until('the object created after the restart', () => inf.get(`${ns}/post-restart`), 60_000);
    assert.ok(restarts.length >= 1, 'the informer noticed the broken watch and restarted');
    assert.ok(inf.get(`${ns}/pre-restart`), 'the cache kept what it had');
  });

  it('relists when the watch stays silent past the stall timeout, and keeps following', async () => {
    const restarts: RestartReason[] = [];
    const inf = informer({ watchStallTimeoutMs: 1_500, retryBackoff: { baseMs: 100, maxMs: 500 }, onRestart: (r) => restarts.push(r) });
    inf.start();
    await until('a stall-triggered relist', () => restarts.includes('stalled'), 30_000);
    await configMap('after-stall');
    await until('an object after the relist', () => inf.get(`${ns}/after-stall`), 30_000);
  });

  it('hands every cached key to its handlers again at each resync', async () => {
    await configMap('steady');
    const inf = informer({ resyncPeriodMs: 300 });
    let seen = 0;
    inf.addHandler((key) => {
      if (key === `${ns}/steady`) seen++;
    });
    inf.start();
    await until('three resyncs of an unchanged object', () => seen >= 4, 15_000);
  });
});
