// bench/deadman: how long a client waits on a paused PgBouncer when nobody comes back, past the
// pause's deadline: with the API server answering, and with it cut off (requests hang) so the agent's
// read of the recorded route runs into its 150 ms bound. Same agent, PgBouncer and client, same run.
// A real client blocked on the paused database measures the release; the promise is deadline + 250 ms.
// Needs a running local stack: eval "$(tenantshift dev env --state-dir DIR)".
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import pg from 'pg';
import { RouteAgentClient } from '../../src/routing/client.js';
import { scratchBouncer, startScratchAgent } from '../../test/support/bouncer.js';
import { CutProxy } from '../../test/support/cutproxy.js';
import { need, percentile, sleep } from '../support.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const DEADLINE_MS = Number(process.env.BENCH_DEADLINE_MS ?? 500);
const TOKEN = randomBytes(16).toString('hex');

async function main(): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(need('KUBECONFIG'));
  // The stack's state dir holds its kubeconfig (BENCH_STATE_DIR overrides).
  const bouncer = await scratchBouncer(process.env.BENCH_STATE_DIR ?? dirname(need('KUBECONFIG')));
  const ns = `bench-deadman-${Date.now().toString(36)}`;
  const pool = `bench-${randomBytes(3).toString('hex')}`;
  const server = new URL(kc.getCurrentCluster()?.server ?? '');
  const proxy = await CutProxy.start({ host: server.hostname, port: Number(server.port) });
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: ns } } });
  const ref = { group: 'tenantshift.io', version: 'v1alpha1', plural: 'tenantcutovers', namespace: ns, name: 'deadman' };
  const api = kc.makeApiClient(CustomObjectsApi);
  await api.createNamespacedCustomObject({
    ...ref,
    body: {
      apiVersion: 'tenantshift.io/v1alpha1',
      kind: 'TenantCutover',
      metadata: { name: 'deadman' },
      spec: { replicationRef: { name: 'deadman' }, routing: { pgbouncer: { pool, database: bouncer.database } } },
    },
  });
  const route = { ...bouncer.route, side: 'source' as const, revision: 1 };
  await api.patchNamespacedCustomObjectStatus(
    { ...ref, body: { status: { route } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  const scratch = await startScratchAgent(bouncer, {
    kc: proxy.kubeConfig(kc),
    pool,
    identity: 'bench-deadman',
    token: TOKEN,
    leaseNamespace: ns,
  });
  const { agent } = scratch;
  const agents = [scratch.ref];
  const client = new RouteAgentClient({ kc, namespace: ns, token: TOKEN });
  const app = new pg.Client(bouncer.app);
  await app.connect();
  const results: Array<{ mode: string; over: number[] }> = [];
  try {
    for (const mode of ['API server answering', 'API server cut off']) {
      const over: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const t0 = performance.now();
        await client.pause(agents, bouncer.database, `bench-${mode.length}-${i}`, DEADLINE_MS);
        if (mode.endsWith('cut off')) proxy.cut();
        await app.query('SELECT 1'); // waits on the paused database until the dead-man resumes it
        over.push(performance.now() - t0 - DEADLINE_MS);
        proxy.restore();
        await sleep(300);
      }
      results.push({ mode, over });
    }
  } finally {
    await app.end().catch(() => undefined);
    await agent.stop();
    await proxy.stop();
    await bouncer.stop();
    await core.deleteNamespace({ name: ns }).catch(() => undefined);
  }
  console.log(
    `bench/deadman: ${ROUNDS} pauses per mode, deadline ${DEADLINE_MS} ms, nobody resumes; a client blocked on the paused database`,
  );
  console.log('client wait past the deadline (ms)   p50      p99      max');
  for (const r of results) {
    const f = (n: number): string => n.toFixed(1).padStart(8);
    console.log(`${r.mode.padEnd(34)} ${f(percentile(r.over, 50))} ${f(percentile(r.over, 99))} ${f(Math.max(...r.over))}`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench/deadman: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
