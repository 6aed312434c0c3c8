import { KubeConfig, Watch, CoreV1Api } from '@kubernetes/client-node';
const kc = new KubeConfig(); kc.loadFromFile('/tmp/rt-stack/kubeconfig');
const core = kc.makeApiClient(CoreV1Api);
await core.createNamespace({ body: { metadata: { name: 'bm-quiet' } } }).catch(() => {});
const list = await core.listNamespacedConfigMap({ namespace: 'bm-quiet' });
const t0 = Date.now();
const w = new Watch(kc);
await w.watch('/api/v1/namespaces/bm-quiet/configmaps', { resourceVersion: list.metadata.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 400 },
  (type, obj) => console.log(((Date.now()-t0)/1000).toFixed(1), type, obj.metadata?.resourceVersion),
  (err) => console.log('done', err?.message));
setTimeout(() => process.exit(0), 150_000);
