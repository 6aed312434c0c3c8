// `tenantshift demo`: the main job on the local stack, end to end. A multi-tenant wallet estate on
// the source, replicated tenant by tenant; live wallet traffic through PgBouncer; a validation; a
// rehearsal; the cutover of one tenant with its write pause; the bank checks; then teardown.
import { CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import pg from 'pg';
import type { SchemaReplication, TenantCutover } from '../api/index.js';
import { createTenant } from '../devstack/estate.js';
import { bouncerClientConfigs } from '../devstack/pgbouncer.js';
import { connectionSecretStrings, stackConnectionInfo, stackTargetInfo } from '../devstack/postgres.js';
import { say } from '../devstack/progress.js';
import { devDown, devUp, envExports } from '../devstack/stack.js';
import { checkInvariants, WalletTraffic } from '../devstack/traffic.js';
import { replicationNames } from '../postgres/names.js';
import { validateSchemas } from '../postgres/validate.js';
import { clientConfig, type ConnectionInfo } from '../postgres/connection.js';
import { parseCommandLine, PROCESS_OUTPUT, underTenantshift } from '../runtime/commandLine.js';
import { demoCommand } from './commands.js';

const NS = 'tenantshift-demo';
const GROUP = { group: 'tenantshift.io', version: 'v1alpha1' };
const TENANTS = [
  { name: 'alpha', schemas: ['alpha_wallet', 'alpha_games'] },
  { name: 'beta', schemas: ['beta_wallet', 'beta_games', 'beta_sports'] },
  { name: 'gamma', schemas: ['Gamma_Wallet', 'gamma_casino'] },
];
const MOVED = TENANTS[0] as (typeof TENANTS)[number];
const ACCOUNTS = 50;

export async function runDemo(argv: string[]): Promise<number> {
  const cmd = underTenantshift(demoCommand());
  const code = parseCommandLine(cmd, argv, PROCESS_OUTPUT);
  if (code !== undefined) return code;
  const values = cmd.opts<{ stateDir: string; keep: boolean }>();
  const stateDir = values.stateDir;
  const state = await devUp({ stateDir, withOperator: true });
  try {
    return await journey(envExports(state));
  } finally {
    if (values.keep)
      say(
        `Stack kept running: eval "$(tenantshift dev env --state-dir ${stateDir})"; ` +
          `stop it with \`tenantshift dev down --state-dir ${stateDir}\``,
      );
    else await devDown(stateDir);
  }
}

interface Demo {
  env: Record<string, string>;
  source: ConnectionInfo;
  target: ConnectionInfo;
  api: CustomObjectsApi;
  core: CoreV1Api;
}

type Validation = Awaited<ReturnType<typeof validateSchemas>>;
type TrafficReport = Awaited<ReturnType<WalletTraffic['stop']>>;
type Invariants = Awaited<ReturnType<typeof checkInvariants>>;

async function journey(env: Record<string, string>): Promise<number> {
  const source = stackConnectionInfo(env.SOURCE_URL as string);
  const target = stackTargetInfo(env);
  const kc = new KubeConfig();
  kc.loadFromFile(env.KUBECONFIG as string);
  const d: Demo = { env, source, target, api: kc.makeApiClient(CustomObjectsApi), core: kc.makeApiClient(CoreV1Api) };
  await createEstate(d);
  await replicateTenants(d);
  const traffic = await startTraffic(d);
  const before = await validateLive(d);
  const rehearsed = await rehearse(d);
  const switched = await switchOver(d);
  await sleep(3000);
  const report = await traffic.stop();
  const { inv, after } = await bankChecks(d, report);
  return summary({ report, inv, before, after, rehearsed, switched });
}

/** Step 1: the estate on the source, each schema granted to the application role. */
async function createEstate({ source }: Demo): Promise<void> {
  say(`1/7 Creating the estate on the source: ${TENANTS.length} tenants, ${TENANTS.reduce((n, t) => n + t.schemas.length, 0)} schemas`);
  const admin = new pg.Client(clientConfig(source));
  await admin.connect();
  for (const t of TENANTS) {
    await createTenant(admin, { schemas: t.schemas, accounts: ACCOUNTS, rounds: 20_000 });
    for (const s of t.schemas) {
      const q = pg.escapeIdentifier(s);
      await admin.query(
        `GRANT USAGE ON SCHEMA ${q} TO app; GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${q} TO app; ` +
          `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${q} TO app`,
      );
    }
  }
  await admin.end();
}

/** Step 2: connection Secrets and one SchemaReplication per tenant, until every one is Ready. */
async function replicateTenants({ api, core, source, target }: Demo): Promise<void> {
  say(`2/7 Applying connection Secrets and one SchemaReplication per tenant in namespace ${NS}`);
  await core.createNamespace({ body: { metadata: { name: NS } } }).catch(() => undefined);
  const secret = (name: string, c: ConnectionInfo) =>
    core.createNamespacedSecret({
      namespace: NS,
      body: {
        metadata: { name },
        stringData: connectionSecretStrings(c),
      },
    });
  await secret('legacy-db', source);
  await secret('rds-db', target);
  for (const t of TENANTS) {
    await api.createNamespacedCustomObject({
      ...GROUP,
      namespace: NS,
      plural: 'schemareplications',
      body: {
        apiVersion: 'tenantshift.io/v1alpha1',
        kind: 'SchemaReplication',
        metadata: { name: t.name },
        spec: {
          tenant: t.name,
          source: { secretRef: { name: 'legacy-db' } },
          target: { secretRef: { name: 'rds-db' } },
          schemas: t.schemas,
        },
      },
    });
  }
  await progress('replication', async () => replicationProgress(await listReplications(api)));
}

async function listReplications(api: CustomObjectsApi): Promise<SchemaReplication[]> {
  return (
    (await api.listNamespacedCustomObject({ ...GROUP, namespace: NS, plural: 'schemareplications' })) as { items: SchemaReplication[] }
  ).items;
}

function replicationLine(r: SchemaReplication): string {
  const tables = `${r.status?.tables?.ready ?? 0}/${r.status?.tables?.total ?? '?'} tables`;
  return `${r.metadata.name}: ${r.status?.phase ?? 'Pending'} ${tables}, lag ${r.status?.lag?.bytes ?? '-'} B`;
}

function isReady(r: SchemaReplication): boolean {
  return r.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

function replicationProgress(items: SchemaReplication[]): { line: string; done: boolean } {
  return {
    line: items.map(replicationLine).join(' | '),
    done: items.length === TENANTS.length && items.every(isReady),
  };
}

async function readCutover(api: CustomObjectsApi): Promise<TenantCutover> {
  return (await api.getNamespacedCustomObject({ ...GROUP, namespace: NS, plural: 'tenantcutovers', name: MOVED.name })) as TenantCutover;
}

/** Step 3: the TenantCutover takes the route; then wallet traffic through PgBouncer. */
async function startTraffic({ api, env }: Demo): Promise<WalletTraffic> {
  say(`3/7 TenantCutover for ${MOVED.name}: the route "${MOVED.name}" in PgBouncer pool "local" belongs to it; live traffic starts`);
  await api.createNamespacedCustomObject({
    ...GROUP,
    namespace: NS,
    plural: 'tenantcutovers',
    body: {
      apiVersion: 'tenantshift.io/v1alpha1',
      kind: 'TenantCutover',
      metadata: { name: MOVED.name },
      spec: { replicationRef: { name: MOVED.name }, routing: { pgbouncer: { pool: 'local', database: MOVED.name } }, maxWritePause: '2s' },
    },
  });
  await progress('route', async () => {
    const c = await readCutover(api);
    const owned = c.status?.conditions?.find((x) => x.type === 'RouteOwned');
    return {
      line: `route ${c.status?.route?.side ?? '-'} (${owned?.message ?? 'waiting for the route agent'})`,
      done: owned?.status === 'True',
    };
  });
  // Clients spread over every PgBouncer replica of the pool: the move pauses and flips them all.
  const traffic = new WalletTraffic({
    connection: bouncerClientConfigs(env, MOVED.name),
    walletSchema: MOVED.schemas[0] as string,
    accounts: ACCOUNTS,
    workers: 6,
    thinkMs: 2,
  }).start();
  await sleep(3000);
  say(`   ${traffic.count} transfers committed through PgBouncer so far`);
  return traffic;
}

/** Step 4: a live-safe validation while traffic runs. */
async function validateLive({ source, target }: Demo): Promise<Validation> {
  say('4/7 Validating the tenant while traffic runs (live-safe: differences that are only lag are not reported)');
  const names = replicationNames(NS, MOVED.name);
  const before = await validateSchemas({ source, target, schemas: MOVED.schemas, liveReplication: { slotName: names.slot } });
  say(`   ${before.result}: ${before.totals.rows.source} rows in ${before.totals.tables} tables, ${before.totals.ranges} ranges compared`);
  return before;
}

/** Step 5: a rehearsal, which resumes the source without flipping. */
async function rehearse({ api }: Demo): Promise<TenantCutover> {
  say('5/7 Rehearsal: freeze, fence and drain, then resume the source without flipping');
  await patch(api, MOVED.name, { rehearse: true });
  const rehearsed = await waitFor(
    'the rehearsal',
    () => readCutover(api),
    (c) => c.status?.lastRehearsal !== undefined,
  );
  say(
    `   rehearsed write pause: ${rehearsed.status?.lastRehearsal?.writePauseMilliseconds} ms (${rehearsed.status?.lastRehearsal?.result})`,
  );
  return rehearsed;
}

/** Step 6: the approval, and the switch to the target with its write pause. */
async function switchOver({ api }: Demo): Promise<TenantCutover> {
  say('6/7 Approving the cutover (in GitOps: a reviewed commit setting spec.approved: true)');
  await patch(api, MOVED.name, { approved: true });
  const switched = await waitFor(
    'the switch',
    () => readCutover(api),
    (c) => c.status?.activeSide === 'target' && !c.status?.step,
  );
  const steps = (switched.status?.history?.[0]?.steps ?? []).map((s) => `${s.name}@${s.atMilliseconds}ms`).join(' ');
  say(
    `   switched: write pause ${switched.status?.writePause?.milliseconds} ms at source position ${switched.status?.switchLsn}; ${steps}`,
  );
  return switched;
}

/** Step 7: the bank's invariants on the target, and a validation over the reverse replication. */
async function bankChecks({ source, target }: Demo, report: TrafficReport): Promise<{ inv: Invariants; after: Validation }> {
  say('7/7 The bank checks and a validation over the reverse replication');
  const names = replicationNames(NS, MOVED.name);
  const tgt = new pg.Client(clientConfig(target));
  await tgt.connect();
  const inv = await checkInvariants(tgt, MOVED.schemas[0] as string, report.acknowledged);
  await tgt.end();
  await sleep(2000);
  const after = await validateSchemas({
    source,
    target,
    schemas: MOVED.schemas,
    liveReplication: { slotName: names.reverseSlot, publisher: 'target' },
  });
  return { inv, after };
}

interface Outcome {
  report: TrafficReport;
  inv: Invariants;
  before: Validation;
  after: Validation;
  rehearsed: TenantCutover;
  switched: TenantCutover;
}

/** The summary on stdout; the exit code is 0 only when not one row drifted. */
function summary({ report, inv, before, after, rehearsed, switched }: Outcome): number {
  const ok =
    inv.missingAcknowledged === 0 &&
    inv.duplicateLedgerIds === 0 &&
    inv.accountsNotMatchingLedger === 0 &&
    report.failures.length === 0 &&
    after.result === 'identical';
  process.stdout.write(
    `
tenantshift demo: summary
  tenants replicated        ${TENANTS.map((t) => `${t.name} (${t.schemas.length} schemas)`).join(', ')}
  tenant moved              ${MOVED.name} -> target (RDS stand-in), route "${MOVED.name}" in pool "local"
  rehearsed write pause     ${rehearsed.status?.lastRehearsal?.writePauseMilliseconds} ms
  write pause               ${switched.status?.writePause?.milliseconds} ms (budget 2000 ms)
` +
      `  transfers acknowledged    ${report.acknowledged.length}, failed ${report.failures.length}, ` +
      `longest client wait ${report.maxLatencyMs} ms
` +
      `  money on the target       ${inv.totalBalance} (expected ${(ACCOUNTS * 1000).toFixed(2)}), ` +
      `duplicates ${inv.duplicateLedgerIds}, missing ${inv.missingAcknowledged}
` +
      `  rows checked              before: ${before.totals.rows.source} (${before.result}), ` +
      `after the switch: ${after.totals.rows.source} (${after.result})
  result                    ${ok ? 'OK: not one row drifted' : 'FAILED'}
`,
  );
  return ok ? 0 : 1;
}

async function patch(api: CustomObjectsApi, name: string, spec: Record<string, unknown>): Promise<void> {
  await api.patchNamespacedCustomObject(
    { ...GROUP, namespace: NS, plural: 'tenantcutovers', name, body: { spec } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

/** A live progress line, printed when it changes, until done (bounded: 5 minutes). */
async function progress(what: string, probe: () => Promise<{ line: string; done: boolean }>): Promise<void> {
  let last = '';
  for (let i = 0; i < 600; i++) {
    const { line, done } = await probe();
    if (line !== last) say(`   ${line}`);
    last = line;
    if (done) return;
    await sleep(500);
  }
  throw new Error(`${what} did not settle within 5 minutes; see the stack's logs`);
}

async function waitFor<T>(what: string, read: () => Promise<T>, pred: (x: T) => boolean): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const x = await read();
    if (pred(x)) return x;
    await sleep(500);
  }
  throw new Error(`${what} did not happen within 5 minutes`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
