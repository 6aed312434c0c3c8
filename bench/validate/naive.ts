// The baseline: fetch every row of both sides into the client (a server-side cursor per table and
// side, every column as text, in key order) and compare them there, row by row, merging by key.
import pg from 'pg';
import { connect, type ConnectionInfo } from '../../src/postgres/connection.js';
import { SESSION_SETTINGS_SQL } from '../../src/postgres/validation/sql.js';
import type { BenchTable } from './data.js';

const id = pg.escapeIdentifier;
const BATCH = 5000;
type Row = Array<string | null>;

/** Streams a table's rows (key columns first, then every column) in key order, BATCH at a time. */
class TableCursor {
  private rows: Row[] = [];
  private at = 0;
  private done = false;

  constructor(private readonly client: pg.Client) {}

  static async open(client: pg.Client, schema: string, t: BenchTable, columns: string[]): Promise<TableCursor> {
    const order = t.key.map((k) => (k.order === 'text' ? `${id(k.name)} COLLATE "C"` : id(k.name))).join(', ');
    const list = [...t.key.map((k) => `${id(k.name)}::text`), ...columns.map((c) => `${id(c)}::text`)].join(', ');
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(`DECLARE naive NO SCROLL CURSOR FOR SELECT ${list} FROM ${id(schema)}.${id(t.table)} ORDER BY ${order}`);
    return new TableCursor(client);
  }

  async next(): Promise<Row | undefined> {
    if (this.at === this.rows.length && !this.done) {
      const res = await this.client.query({ text: `FETCH ${BATCH} FROM naive`, rowMode: 'array' });
      this.rows = res.rows as Row[];
      this.at = 0;
      this.done = this.rows.length < BATCH;
    }
    return this.rows[this.at++];
  }

  async close(): Promise<void> {
    await this.client.query('COMMIT');
  }
}

function compareKeys(a: Row, b: Row, t: BenchTable): number {
  for (let i = 0; i < t.key.length; i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    const order = t.key[i]?.order;
    const c =
      order === 'integer'
        ? Number(BigInt(x) - BigInt(y))
        : order === 'text'
          ? Buffer.compare(Buffer.from(x), Buffer.from(y))
          : x < y
            ? -1
            : x > y
              ? 1
              : 0;
    if (c !== 0) return Math.sign(c);
  }
  return 0;
}

/** Returns the number of source rows compared and the differing keys. */
export async function naiveCompare(
  source: ConnectionInfo,
  target: ConnectionInfo,
  schema: string,
  tables: BenchTable[],
): Promise<{ rows: number; differences: string[] }> {
  const s = await connect(source);
  const t = await connect(target);
  const differences: string[] = [];
  let rows = 0;
  try {
    await s.query(SESSION_SETTINGS_SQL);
    await t.query(SESSION_SETTINGS_SQL);
    for (const table of tables) {
      const cols = await s.query<{ attname: string }>(
        'SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum',
        [`${id(schema)}.${id(table.table)}`],
      );
      const columns = cols.rows.map((r) => r.attname);
      const [sc, tc] = await Promise.all([TableCursor.open(s, schema, table, columns), TableCursor.open(t, schema, table, columns)]);
      const name = (r: Row): string => `${table.table} ${JSON.stringify(r.slice(0, table.key.length))}`;
      let [a, b] = await Promise.all([sc.next(), tc.next()]);
      while (a || b) {
        const c = !a ? 1 : !b ? -1 : compareKeys(a, b, table);
        if (c < 0 && a) {
          differences.push(`${name(a)} missing`);
          rows += 1;
          a = await sc.next();
        } else if (c > 0 && b) {
          differences.push(`${name(b)} extra`);
          b = await tc.next();
        } else if (a && b) {
          if (a.some((v, k) => v !== b?.[k])) differences.push(`${name(a)} different`);
          rows += 1;
          [a, b] = await Promise.all([sc.next(), tc.next()]);
        }
      }
      await Promise.all([sc.close(), tc.close()]);
    }
  } finally {
    await s.end();
    await t.end();
  }
  return { rows, differences };
}
