// bench/initial-copy data: the generated multi-tenant estate, database helpers and per-table row counts.
import pg from 'pg';
import { createTenant } from '../../src/devstack/estate.js';
import { withClient, type ConnectionInfo } from '../../src/postgres/connection.js';

export const ACCOUNTS = 1000;

export interface Estate {
  tenants: string[];
  /** Schemas per tenant: [wallet, games]. */
  schemas: Record<string, string[]>;
}

export function estate(tenantCount: number, prefix: string): Estate {
  const tenants = Array.from({ length: tenantCount }, (_, i) => `t${i}`);
  return { tenants, schemas: Object.fromEntries(tenants.map((t) => [t, [`${prefix}_${t}_wallet`, `${prefix}_${t}_games`]])) };
}

export const allSchemas = (e: Estate): string[] => e.tenants.flatMap((t) => e.schemas[t] ?? []);

/** Per tenant: ACCOUNTS accounts, then `rows` split evenly between games.rounds and wallet.ledger. */
export async function generate(c: pg.Client, e: Estate, rowsPerTenant: number): Promise<void> {
  const rounds = Math.ceil(rowsPerTenant / 2);
  const ledger = rowsPerTenant - rounds;
  for (const t of e.tenants) {
    const [wallet, games] = e.schemas[t] as [string, string];
    await createTenant(c, { schemas: [wallet, games], accounts: ACCOUNTS, rounds });
    await c.query(
      `INSERT INTO ${pg.escapeIdentifier(wallet)}.ledger (id, account_id, amount, transfer_id, meta, created_at)
       SELECT g, 1 + g % $2, ((g % 200) - 100) + 0.25, md5('ledger' || g)::uuid,
              jsonb_build_object('round', g, 'game', 'slots'), now() - make_interval(secs => g)
       FROM generate_series(1, $1) g`,
      [ledger, ACCOUNTS],
    );
  }
}

export async function admin(info: ConnectionInfo, sql: string): Promise<void> {
  await withClient(info, (c) => c.query(sql));
}

export async function setting(info: ConnectionInfo, name: string): Promise<string> {
  return withClient(info, async (c) => (await c.query<{ v: string }>('SELECT current_setting($1) AS v', [name])).rows[0]?.v ?? '?');
}

/** count(*) of every table in the schemas, keyed "schema.table". */
export async function rowCounts(info: ConnectionInfo, schemas: string[]): Promise<Map<string, number>> {
  return withClient(info, async (c) => {
    const tables = await c.query<{ s: string; t: string }>(
      'SELECT schemaname AS s, tablename AS t FROM pg_tables WHERE schemaname = ANY($1) ORDER BY 1, 2',
      [schemas],
    );
    const counts = new Map<string, number>();
    for (const { s, t } of tables.rows) {
      const r = await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${pg.escapeIdentifier(s)}.${pg.escapeIdentifier(t)}`);
      counts.set(`${s}.${t}`, Number(r.rows[0]?.n));
    }
    return counts;
  });
}

/** Tables whose count on the target differs from the source (or that the target lacks). */
export function mismatches(source: Map<string, number>, target: Map<string, number>): string[] {
  const out: string[] = [];
  for (const [table, n] of source) {
    const m = target.get(table);
    if (m !== n) out.push(`${table}: source ${n}, target ${m ?? 'missing'}`);
  }
  return out;
}

/** Drops a database after removing any subscription in it (target) or slot of it (source). */
export async function dropDatabase(server: ConnectionInfo, dbname: string, role: 'source' | 'target'): Promise<void> {
  const lit = pg.escapeLiteral(dbname);
  if (role === 'target') {
    await withClient({ ...server, dbname }, async (c) => {
      const subs = await c.query<{ subname: string }>(
        'SELECT subname FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())',
      );
      for (const { subname } of subs.rows) {
        const s = pg.escapeIdentifier(subname);
        await c.query(`ALTER SUBSCRIPTION ${s} DISABLE`);
        await c.query(`ALTER SUBSCRIPTION ${s} SET (slot_name = NONE)`);
        await c.query(`DROP SUBSCRIPTION ${s}`);
      }
    }).catch(() => undefined);
  } else {
    await admin(
      server,
      `SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = ${lit} AND active_pid IS NOT NULL`,
    ).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 200));
    await admin(
      server,
      `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = ${lit} AND NOT active`,
    ).catch(() => undefined);
  }
  await admin(server, `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(dbname)} WITH (FORCE)`).catch((err: unknown) => {
    console.error(`bench/initial-copy: could not drop database ${dbname} (${role}): ${(err as Error).message}`);
  });
}
