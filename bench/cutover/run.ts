// bench/cutover: write pauses of our moves (switches and rollbacks alternating) under wallet traffic,
// beside a plain scripted cutover (PAUSE, poll the slot position, setval per sequence, edit the
// routes + RELOAD, RESUME) of other tenants on the same stack in the same run; p50/p99/max of each.
// Needs a running local stack with its operator: eval "$(tenantshift dev env --state-dir DIR)".
import { CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { readFile, rename, writeFile } from 'node:fs/promises';
import pg from 'pg';
import type { SchemaReplication, TenantCutover } from '../../src/api/index.js';
import { createTenant } from '../../src/devstack/estate.js';
import { bouncerClientConfigs } from '../../src/devstack/pgbouncer.js';
import { connectionSecretStrings, stackConnectionInfo, stackTargetInfo } from '../../src/devstack/postgres.js';
import type { ConnectionInfo } from '../../src/postgres/connection.js';
import { WalletTraffic } from '../../src/devstack/traffic.js';
import { replicationNames } from '../../src/postgres/names.js';
import { readSequences } from '../../src/postgres/sequences.js';

const env = process.env;
const MOVES = Number(env.BENCH_MOVES ?? 10);
const BASELINES = Number(env.BENCH_BASELINES ?? 5);
const NS = `bench-cutover-${Date.now().toString(36)}`;
const G = { group: 'tenantshift.io', version: 'v1alpha1' };
const ACCOUNTS = 50;

function need(name: string): string {
  const v = env[name];
  if (!v) throw new Error(`${name} is not set: eval "$(tenantshift dev env --state-dir DIR)" first`);
  return v;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, read: () => Promise<T>, pred: (x: T) => boolean, timeoutMs = 180_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const x = await read();
    if (pred(x)) return x;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
}

async function main(): Promise<void> {
  const sourceUrl = need('SOURCE_URL');
  const targetUrl = need('TARGET_URL');
  const kc = new KubeConfig();
  kc.loadFromFile(need('KUBECONFIG'));
  const api = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const routesFile = need('PGBOUNCER_ROUTES_FILE');
  const tenants = ['ours', ...Array.from({ length: BASELINES }, (_, i) => `base${i}`)];
  const suffix = Date.now().toString(36);
  const wallet = (t: string): string => `bc_${suffix}_${t}_wallet`;

  console.log(`bench/cutover: ${MOVES} moves of one tenant by tenantshift, ${BASELINES} plain scripted cutovers, 6 clients each`);
  const src = new pg.Client({ connectionString: sourceUrl });
  await src.connect();
  for (const t of tenants) {
    await createTenant(src, { schemas: [wallet(t)], accounts: ACCOUNTS });
    await src.query(
      `GRANT USAGE ON SCHEMA ${pg.escapeIdentifier(wallet(t))} TO app; GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ` +
        `${pg.escapeIdentifier(wallet(t))} TO app; GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${pg.escapeIdentifier(wallet(t))} TO app`,
    );
  }
  await core.createNamespace({ body: { metadata: { name: NS } } });
  const s = new URL(sourceUrl);
  const tg = new URL(targetUrl);
  const secret = (name: string, info: ConnectionInfo) =>
    core.createNamespacedSecret({ namespace: NS, body: { metadata: { name }, stringData: connectionSecretStrings(info) } });
  await secret('legacy-db', stackConnectionInfo(sourceUrl));
  await secret('rds-db', stackTargetInfo(process.env));
  for (const t of tenants) {
    await api.createNamespacedCustomObject({
      ...G,
      namespace: NS,
      plural: 'schemareplications',
      body: {
        apiVersion: 'tenantshift.io/v1alpha1',
        kind: 'SchemaReplication',
        metadata: { name: t },
        spec: {
          tenant: `${suffix}-${t}`,
          source: { secretRef: { name: 'legacy-db' } },
          target: { secretRef: { name: 'rds-db' } },
          schemas: [wallet(t)],
        },
      },
    });
  }
  for (const t of tenants) {
    await waitFor(
      `${t} replicating`,
      async () =>
        (await api.getNamespacedCustomObject({ ...G, namespace: NS, plural: 'schemareplications', name: t })) as SchemaReplication,
      (r) => r.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    );
  }
  const traffic = (database: string, t: string): WalletTraffic =>
    new WalletTraffic({
      // Replica 0 only: the scripted baseline edits that replica's routes; our move pauses and flips every replica.
      connection: bouncerClientConfigs(process.env, database)[0] as pg.ClientConfig,
      walletSchema: wallet(t),
      accounts: ACCOUNTS,
      workers: 6,
      thinkMs: 2,
    }).start();

  // Baseline first: it edits the routes file by hand, which the route agent owns once a TenantCutover exists.
  const baseline: number[] = [];
  const admin = new pg.Client({ connectionString: need('PGBOUNCER_ADMIN_URL') });
  await admin.connect();
  const tgt = new pg.Client({ connectionString: targetUrl });
  await tgt.connect();
  const original = await readFile(routesFile, 'utf8');
  const routeLine = (db: string, u: URL): string => `${db} = host=${u.hostname} port=${u.port} dbname=${u.pathname.slice(1)}`;
  const writeRoutes = async (lines: string[]): Promise<void> => {
    await writeFile(`${routesFile}.tmp`, `${original}\n${lines.join('\n')}\n`);
    await rename(`${routesFile}.tmp`, routesFile);
  };
  const baseRoutes = new Map(tenants.slice(1).map((t) => [t, routeLine(`bench_${t}`, s)]));
  await writeRoutes([...baseRoutes.values()]);
  await admin.query('RELOAD');
  for (const t of tenants.slice(1)) {
    const load = traffic(`bench_${t}`, t);
    await sleep(1500);
    const slot = replicationNames(NS, t).slot;
    const started = process.hrtime.bigint();
    await admin.query(`PAUSE bench_${t}`);
    const { lsn } = (await src.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0] as { lsn: string };
    for (;;) {
      const r = await src.query<{ ok: boolean }>(
        'SELECT confirmed_flush_lsn >= $2::pg_lsn AS ok FROM pg_replication_slots WHERE slot_name = $1',
        [slot, lsn],
      );
      if (r.rows[0]?.ok) break;
      await sleep(5);
    }
    for (const seq of await readSequences(src, [wallet(t)])) {
      if (seq.lastValue !== null) await tgt.query('SELECT setval($1::regclass, $2::bigint + 1000)', [seq.name, seq.lastValue]);
    }
    baseRoutes.set(t, routeLine(`bench_${t}`, tg));
    await writeRoutes([...baseRoutes.values()]);
    await admin.query('RELOAD');
    await admin.query(`RESUME bench_${t}`);
    baseline.push(Number(process.hrtime.bigint() - started) / 1e6);
    await sleep(500);
    const r = await load.stop();
    console.log(
      `  scripted cutover ${t}: ${baseline[baseline.length - 1]?.toFixed(0)} ms write pause, ${r.acknowledged.length} transfers, ` +
        `${r.failures.length} failed`,
    );
  }
  await admin.end();
  await tgt.end();

  // Ours: one TenantCutover moved back and forth.
  await api.createNamespacedCustomObject({
    ...G,
    namespace: NS,
    plural: 'tenantcutovers',
    body: {
      apiVersion: 'tenantshift.io/v1alpha1',
      kind: 'TenantCutover',
      metadata: { name: 'ours' },
      spec: {
        replicationRef: { name: 'ours' },
        routing: { pgbouncer: { pool: 'local', database: `bench_ours_${suffix}` } },
        maxWritePause: '2s',
      },
    },
  });
  const cut = async (): Promise<TenantCutover> =>
    (await api.getNamespacedCustomObject({ ...G, namespace: NS, plural: 'tenantcutovers', name: 'ours' })) as TenantCutover;
  await waitFor('the route', cut, (c) => c.status?.conditions?.some((x) => x.type === 'RouteOwned' && x.status === 'True') ?? false);
  const load = traffic(`bench_ours_${suffix}`, 'ours');
  await sleep(1500);
  const ours: number[] = [];
  for (let i = 0; i < MOVES; i++) {
    const to = i % 2 === 0 ? 'target' : 'source';
    const spec = to === 'target' ? { approved: true, rollback: false } : { rollback: true };
    await api.patchNamespacedCustomObject(
      { ...G, namespace: NS, plural: 'tenantcutovers', name: 'ours', body: { spec } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const done = await waitFor(
      `move ${i + 1}`,
      cut,
      (c) =>
        c.status?.activeSide === to &&
        !c.status?.step &&
        c.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') === true,
    );
    ours.push(done.status?.writePause?.milliseconds ?? NaN);
    console.log(`  tenantshift ${to === 'target' ? 'switch  ' : 'rollback'} ${i + 1}: ${ours[ours.length - 1]} ms write pause`);
    await sleep(1500);
  }
  const r = await load.stop();
  await src.end();
  const row = (name: string, v: number[]): string =>
    `| ${name} | ${v.length} | ${percentile(v, 50).toFixed(0)} | ${percentile(v, 99).toFixed(0)} | ${Math.max(...v).toFixed(0)} |`;
  console.log(
    `\n| method | moves | p50 ms | p99 ms | max ms ` +
      `|\n|---|---|---|---|---|\n${row('tenantshift (switch + rollback)', ours)}\n${row('plain scripted cutover', baseline)}`,
  );
  console.log(
    `\nour moves: ${r.acknowledged.length} transfers acknowledged, ${r.failures.length} failed, longest client wait ${r.maxLatencyMs} ms`,
  );
  await core.deleteNamespace({ name: NS }).catch(() => undefined);
}

main().catch((err: unknown) => {
  console.error(`bench/cutover: ${(err as Error).message}`);
  process.exit(1);
});
