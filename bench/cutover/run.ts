// bench/cutover: write pauses of our moves (switches and rollbacks alternating) under wallet traffic,
// beside a plain scripted cutover (PAUSE, poll the slot position, setval per sequence, edit the
// routes + RELOAD, RESUME, on a PgBouncer of its own) of other tenants on the same stack in the same run;
// p50/p99/max of each.
// Needs a running local stack with its operator: eval "$(tenantshift dev env --state-dir DIR)".
import pg from 'pg';
import { createTenant } from '../../src/devstack/estate.js';
import { bouncerClientConfigs } from '../../src/devstack/pgbouncer.js';
import { WalletTraffic } from '../../src/devstack/traffic.js';
import { replicationNames } from '../../src/postgres/names.js';
import { BenchNamespace, grantApp, need, row, ScriptedCutover, sleep, TABLE_HEAD } from '../support.js';

const env = process.env;
const MOVES = Number(env.BENCH_MOVES ?? 10);
const BASELINES = Number(env.BENCH_BASELINES ?? 5);
const ACCOUNTS = 50;

async function main(): Promise<void> {
  const tenants = ['ours', ...Array.from({ length: BASELINES }, (_, i) => `base${i}`)];
  const suffix = Date.now().toString(36);
  const wallet = (t: string): string => `bc_${suffix}_${t}_wallet`;

  console.log(`bench/cutover: ${MOVES} moves of one tenant by tenantshift, ${BASELINES} plain scripted cutovers, 6 clients each`);
  const src = new pg.Client({ connectionString: need('SOURCE_URL') });
  await src.connect();
  for (const t of tenants) {
    await createTenant(src, { schemas: [wallet(t)], accounts: ACCOUNTS });
    await grantApp(src, [wallet(t)]);
  }
  await src.end();
  const bench = await BenchNamespace.create('bench-cutover');
  for (const t of tenants) await bench.replicate(t, `${suffix}-${t}`, [wallet(t)]);
  await bench.waitReady(tenants);
  const traffic = (connection: pg.ClientConfig | pg.ClientConfig[], t: string): WalletTraffic =>
    new WalletTraffic({ connection, walletSchema: wallet(t), accounts: ACCOUNTS, workers: 6, thinkMs: 2 }).start();

  const baseline: number[] = [];
  const scripted = await ScriptedCutover.open();
  await scripted.route(tenants.slice(1).map((t) => `bench_${t}`));
  for (const t of tenants.slice(1)) {
    const load = traffic(scripted.client(`bench_${t}`), t);
    await sleep(1500);
    baseline.push(await scripted.cutover(`bench_${t}`, replicationNames(bench.ns, t).slot, [wallet(t)]));
    await sleep(500);
    const r = await load.stop();
    console.log(
      `  scripted cutover ${t}: ${baseline[baseline.length - 1]?.toFixed(0)} ms write pause, ${r.acknowledged.length} transfers, ` +
        `${r.failures.length} failed`,
    );
  }
  await scripted.close();

  // Ours: one TenantCutover moved back and forth.
  await bench.cutover('ours', `bench_ours_${suffix}`);
  // Through every PgBouncer replica: our move pauses and flips them all.
  const load = traffic(bouncerClientConfigs(process.env, `bench_ours_${suffix}`), 'ours');
  await sleep(1500);
  const ours: number[] = [];
  for (let i = 0; i < MOVES; i++) {
    const to = i % 2 === 0 ? 'target' : 'source';
    const done = await bench.move('ours', to);
    ours.push(done.status?.writePause?.milliseconds ?? NaN);
    console.log(`  tenantshift ${to === 'target' ? 'switch  ' : 'rollback'} ${i + 1}: ${ours[ours.length - 1]} ms write pause`);
    await sleep(1500);
  }
  const r = await load.stop();
  console.log(`\n${TABLE_HEAD}\n${row('tenantshift (switch + rollback)', ours)}\n${row('plain scripted cutover', baseline)}`);
  console.log(
    `\nour moves: ${r.acknowledged.length} transfers acknowledged, ${r.failures.length} failed, longest client wait ${r.maxLatencyMs} ms`,
  );
  await bench.delete();
}

main().catch((err: unknown) => {
  console.error(`bench/cutover: ${(err as Error).message}`);
  process.exit(1);
});
