// What the cutover benchmarks share: the stack's settings, polling, percentiles, the tenantshift
// objects of a benchmark namespace, and the baseline every figure of ours stands beside: a plain
// scripted cutover (PAUSE, poll the slot position, setval per sequence, edit the routes + RELOAD, RESUME)
// on a PgBouncer of its own.
import { dirname } from 'node:path';
import { CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import pg from 'pg';
import type { SchemaReplication, TenantCutover } from '../src/api/index.js';
import { connectionSecretStrings, stackConnectionInfo, stackTargetInfo } from '../src/devstack/postgres.js';
import { readSequences } from '../src/postgres/sequences.js';
import { renderRoutes, writeRoutesFile, type Route } from '../src/routing/pgbouncer.js';
import { scratchBouncer, type ScratchBouncer } from '../test/support/bouncer.js';

const G = { group: 'tenantshift.io', version: 'v1alpha1' };

export function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: eval "$(tenantshift dev env --state-dir DIR)" first`);
  return v;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, read: () => Promise<T>, pred: (x: T) => boolean, timeoutMs = 180_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const x = await read();
    if (pred(x)) return x;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
}

/** `| name | n | p50 | p99 | max |` for a markdown table. */
export function row(name: string, v: number[]): string {
  return `| ${name} | ${v.length} | ${percentile(v, 50).toFixed(0)} | ${percentile(v, 99).toFixed(0)} | ${Math.max(...v).toFixed(0)} |`;
}

export const TABLE_HEAD = '| method | moves | p50 ms | p99 ms | max ms |\n|---|---|---|---|---|';

/** The app role may use every table and sequence of the schemas (as the application would on the source). */
export async function grantApp(client: pg.Client, schemas: string[]): Promise<void> {
  for (const s of schemas.map((x) => pg.escapeIdentifier(x)))
    await client.query(
      `GRANT USAGE ON SCHEMA ${s} TO app; GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${s} TO app; ` +
        `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO app`,
    );
}

/** A benchmark's namespace with the stack's connection Secrets, and its SchemaReplications and TenantCutovers. */
export class BenchNamespace {
  readonly api: CustomObjectsApi;
  private readonly core: CoreV1Api;

  private constructor(
    kc: KubeConfig,
    readonly ns: string,
  ) {
    this.api = kc.makeApiClient(CustomObjectsApi);
    this.core = kc.makeApiClient(CoreV1Api);
  }

  static async create(prefix: string): Promise<BenchNamespace> {
    const kc = new KubeConfig();
    kc.loadFromFile(need('KUBECONFIG'));
    const b = new BenchNamespace(kc, `${prefix}-${Date.now().toString(36)}`);
    await b.core.createNamespace({ body: { metadata: { name: b.ns } } });
    const secret = (name: string, info: ReturnType<typeof stackTargetInfo>) =>
      b.core.createNamespacedSecret({ namespace: b.ns, body: { metadata: { name }, stringData: connectionSecretStrings(info) } });
    await secret('legacy-db', stackConnectionInfo(need('SOURCE_URL')));
    await secret('rds-db', stackTargetInfo(process.env));
    return b;
  }

  async replicate(name: string, tenant: string, schemas: string[]): Promise<void> {
    await this.api.createNamespacedCustomObject({
      ...G,
      namespace: this.ns,
      plural: 'schemareplications',
      body: {
        apiVersion: 'tenantshift.io/v1alpha1',
        kind: 'SchemaReplication',
        metadata: { name },
        spec: { tenant, source: { secretRef: { name: 'legacy-db' } }, target: { secretRef: { name: 'rds-db' } }, schemas },
      },
    });
  }

  replication = async (name: string): Promise<SchemaReplication> =>
    (await this.api.getNamespacedCustomObject({ ...G, namespace: this.ns, plural: 'schemareplications', name })) as SchemaReplication;

  async waitReady(names: string[], timeoutMs = 900_000): Promise<void> {
    for (const name of names)
      await waitFor(
        `${name} replicating`,
        () => this.replication(name),
        (r) => r.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
        timeoutMs,
      );
  }

  /** A TenantCutover of the replication `name` owning PgBouncer database `database`, waited for until it owns the route. */
  async cutover(name: string, database: string, maxWritePause = '2s'): Promise<void> {
    await this.api.createNamespacedCustomObject({
      ...G,
      namespace: this.ns,
      plural: 'tenantcutovers',
      body: {
        apiVersion: 'tenantshift.io/v1alpha1',
        kind: 'TenantCutover',
        metadata: { name },
        spec: { replicationRef: { name }, routing: { pgbouncer: { pool: 'local', database } }, maxWritePause },
      },
    });
    await waitFor(
      'the route',
      () => this.readCutover(name),
      (c) => c.status?.conditions?.some((x) => x.type === 'RouteOwned' && x.status === 'True') ?? false,
    );
  }

  readCutover = async (name: string): Promise<TenantCutover> =>
    (await this.api.getNamespacedCustomObject({ ...G, namespace: this.ns, plural: 'tenantcutovers', name })) as TenantCutover;

  /** Moves the tenant to `to` and returns the settled object (its status.history[0] is the move). */
  async move(name: string, to: 'source' | 'target'): Promise<TenantCutover> {
    const spec = to === 'target' ? { approved: true, rollback: false } : { rollback: true };
    await this.api.patchNamespacedCustomObject(
      { ...G, namespace: this.ns, plural: 'tenantcutovers', name, body: { spec } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    return waitFor(
      `the move of ${name} to the ${to}`,
      () => this.readCutover(name),
      (c) =>
        c.status?.activeSide === to &&
        !c.status?.step &&
        c.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') === true,
    );
  }

  async delete(): Promise<void> {
    await this.core.deleteNamespace({ name: this.ns }).catch(() => undefined);
  }
}

/**
 * The recipe a team would script by hand, on a PgBouncer of its own (the stack's replicas have route
 * agents that own their routes files): PAUSE, poll the slot's confirmed_flush_lsn past the source's
 * position, setval every sequence on the target, rewrite the routes file and RELOAD, RESUME.
 */
export class ScriptedCutover {
  private readonly routes: Record<string, Route> = {};

  private constructor(
    private readonly bouncer: ScratchBouncer,
    private readonly admin: pg.Client,
    private readonly source: pg.Client,
    private readonly target: pg.Client,
  ) {}

  static async open(): Promise<ScriptedCutover> {
    const connect = async (url: string): Promise<pg.Client> => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      return c;
    };
    // The stack's state dir holds its kubeconfig (BENCH_STATE_DIR overrides).
    const bouncer = await scratchBouncer(process.env.BENCH_STATE_DIR ?? dirname(need('KUBECONFIG')));
    return new ScriptedCutover(
      bouncer,
      await connect(bouncer.adminUrl),
      await connect(need('SOURCE_URL')),
      await connect(need('TARGET_URL')),
    );
  }

  private static route(url: string): Route {
    const u = new URL(url);
    return { host: u.hostname, port: Number(u.port), dbname: u.pathname.slice(1) };
  }

  private async writeRoutes(): Promise<void> {
    await writeRoutesFile(this.bouncer.routesFile, renderRoutes(this.routes));
    await this.admin.query('RELOAD');
  }

  /** Routes each database to the source. */
  async route(databases: string[]): Promise<void> {
    for (const d of databases) this.routes[d] = ScriptedCutover.route(need('SOURCE_URL'));
    await this.writeRoutes();
  }

  /** The application's login to `database` through this PgBouncer. */
  client(database: string): pg.ClientConfig {
    return { ...this.bouncer.app, database };
  }

  /** One cutover of `database` to the target; returns its write pause (first PAUSE to RESUME) in ms. */
  async cutover(database: string, slot: string, schemas: string[]): Promise<number> {
    const started = process.hrtime.bigint();
    await this.admin.query(`PAUSE ${database}`);
    const { lsn } = (await this.source.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0] as { lsn: string };
    for (;;) {
      const r = await this.source.query<{ ok: boolean }>(
        'SELECT confirmed_flush_lsn >= $2::pg_lsn AS ok FROM pg_replication_slots WHERE slot_name = $1',
        [slot, lsn],
      );
      if (r.rows[0]?.ok) break;
      await sleep(5);
    }
    for (const seq of await readSequences(this.source, schemas)) {
      if (seq.lastValue !== null) await this.target.query('SELECT setval($1::regclass, $2::bigint + 1000)', [seq.name, seq.lastValue]);
    }
    this.routes[database] = ScriptedCutover.route(need('TARGET_URL'));
    await this.writeRoutes();
    await this.admin.query(`RESUME ${database}`);
    return Number(process.hrtime.bigint() - started) / 1e6;
  }

  async close(): Promise<void> {
    await Promise.all([this.admin.end(), this.source.end(), this.target.end()]);
    await this.bouncer.stop();
  }
}
