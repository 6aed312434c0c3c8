// The benchmark's tables: the same deterministic content generated on both servers (bigint,
// composite text and uuid keys; numeric, jsonb, timestamptz and text columns), then a few
// differences planted on the target that both methods must find.
import pg from 'pg';

const id = pg.escapeIdentifier;

export const BENCH_SCHEMA = 'bench_wallet';

export interface BenchTable {
  table: string;
  /** Key columns and how the client orders them (as PostgreSQL does, text in byte order). */
  key: Array<{ name: string; order: 'integer' | 'text' | 'uuid' }>;
  rows: number;
}

export function benchTables(rows: number): BenchTable[] {
  return [
    { table: 'ledger', key: [{ name: 'id', order: 'integer' }], rows },
    {
      table: 'rounds',
      key: [
        { name: 'region', order: 'text' },
        { name: 'round', order: 'integer' },
      ],
      rows: Math.floor(rows / 2),
    },
    { table: 'sessions', key: [{ name: 'id', order: 'uuid' }], rows: Math.floor(rows / 4) },
  ];
}

export async function generate(c: pg.Client, rows: number): Promise<void> {
  const s = id(BENCH_SCHEMA);
  const [ledger, rounds, sessions] = benchTables(rows).map((t) => t.rows);
  await c.query(`CREATE SCHEMA ${s}`);
  await c.query(`CREATE TABLE ${s}.ledger (id bigint PRIMARY KEY, account_id bigint NOT NULL, amount numeric(18, 2) NOT NULL,
    transfer_id uuid NOT NULL, meta jsonb, created_at timestamptz NOT NULL)`);
  await c.query(
    `INSERT INTO ${s}.ledger SELECT g, 1 + g % 1000, (g % 997) * 1.25 - 300, md5('x' || g)::uuid,
       CASE WHEN g % 5 = 0 THEN NULL ELSE jsonb_build_object('channel', 'web', 'n', g) END,
       timestamptz '2025-01-01 00:00:00+00' + g * interval '1 second' FROM generate_series(1, $1::int) g`,
    [ledger],
  );
  await c.query(`CREATE TABLE ${s}.rounds (region text NOT NULL, round integer NOT NULL, stake numeric(18, 2) NOT NULL,
    payout numeric(18, 2) NOT NULL, detail text, PRIMARY KEY (region, round))`);
  const regions = ['eu-west', 'EU-north', 'us-east', 'ap-south'];
  await c.query(
    `INSERT INTO ${s}.rounds SELECT r, g, (g % 50) + 0.5, (g % 7) * 1.25, repeat(md5(g::text), 2)
       FROM unnest($1::text[]) r, generate_series(1, $2::int) g`,
    [regions, Math.ceil(rounds / regions.length)],
  );
  await c.query(
    `CREATE TABLE ${s}.sessions (id uuid PRIMARY KEY, player text NOT NULL, started_at timestamptz NOT NULL, ended_at timestamptz)`,
  );
  await c.query(
    `INSERT INTO ${s}.sessions SELECT md5('s' || g)::uuid, 'player-' || (g % 5000),
      timestamptz '2025-03-01 00:00:00+00' + g * interval '3 seconds',
       CASE WHEN g % 9 = 0 THEN NULL ELSE timestamptz '2025-03-01 00:10:00+00' + g * interval '3 seconds' END
       FROM generate_series(1, $1::int) g`,
    [sessions],
  );
  await c.query(`ANALYZE ${s}.ledger, ${s}.rounds, ${s}.sessions`);
}

/** Three differences on the target: a changed amount, a missing round, an extra session. */
export async function plantDifferences(target: pg.Client, rows: number): Promise<void> {
  const s = id(BENCH_SCHEMA);
  await target.query(`UPDATE ${s}.ledger SET amount = amount + 0.01 WHERE id = $1`, [Math.floor(rows / 3)]);
  await target.query(`DELETE FROM ${s}.rounds WHERE region = 'us-east' AND round = 17`);
  await target.query(`INSERT INTO ${s}.sessions VALUES (md5('planted')::uuid, 'ghost', now(), NULL)`);
}
