// Hot-row traffic: every client increments its own counter row, update-only, as fast as it can. A
// change replicated both ways (an older row image applied over a newer one) or applied twice shows
// as a counter that differs from its client's acknowledged increments.
import pg from 'pg';
import { outcomeUnknown } from './traffic.js';

const id = pg.escapeIdentifier;

export interface CounterOptions {
  /** One setting, or several (every PgBouncer replica): client c connects through entry c mod n. */
  connection: pg.ClientConfig | pg.ClientConfig[];
  schema: string;
  clients: number;
  thinkMs?: number;
}

/** The counters table, one row per client at 0; grants the application role its writes. */
export async function createCounters(client: pg.ClientBase, schema: string, clients: number, appRole = 'app'): Promise<void> {
  const t = `${id(schema)}.counters`;
  await client.query(`CREATE TABLE ${t} (client int PRIMARY KEY, n bigint NOT NULL DEFAULT 0)`);
  await client.query(`INSERT INTO ${t} (client) SELECT g FROM generate_series(0, $1 - 1) g`, [clients]);
  await client.query(`GRANT SELECT, UPDATE ON ${t} TO ${id(appRole)}`);
}

export interface CounterReport {
  /** Acknowledged increments per client. */
  acknowledged: number[];
  /** Increments whose outcome is unknown (the connection broke around the commit), per client. */
  uncertain: number[];
  failures: string[];
}

export class CounterTraffic {
  private running = true;
  private readonly loops: Array<Promise<void>> = [];
  private readonly acked: number[];
  private readonly uncertain: number[];
  private readonly failures: string[] = [];

  constructor(private readonly opts: CounterOptions) {
    this.acked = new Array<number>(opts.clients).fill(0);
    this.uncertain = new Array<number>(opts.clients).fill(0);
  }

  start(): this {
    for (let c = 0; c < this.opts.clients; c++) this.loops.push(this.loop(c));
    return this;
  }

  get count(): number {
    return this.acked.reduce((a, b) => a + b, 0);
  }

  async stop(): Promise<CounterReport> {
    this.running = false;
    await Promise.all(this.loops);
    return { acknowledged: [...this.acked], uncertain: [...this.uncertain], failures: [...this.failures] };
  }

  private async loop(c: number): Promise<void> {
    const through = [this.opts.connection].flat();
    const sql = `UPDATE ${id(this.opts.schema)}.counters SET n = n + 1 WHERE client = $1`;
    let client: pg.Client | undefined;
    while (this.running) {
      try {
        if (!client) {
          client = new pg.Client(through[c % through.length]);
          client.on('error', () => undefined);
          await client.connect();
        }
      } catch (err) {
        this.failures.push(`connect: ${(err as Error).message}`);
        client = undefined;
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      try {
        await client.query(sql, [c]);
        this.acked[c] = (this.acked[c] ?? 0) + 1;
      } catch (err) {
        // An error the server answered for the statement means nothing committed; a broken connection
        // or a server going away (SQLSTATE 08, 57) leaves it open.
        if (outcomeUnknown(err)) this.uncertain[c] = (this.uncertain[c] ?? 0) + 1;
        this.failures.push((err as Error).message);
        await client.end().catch(() => undefined);
        client = undefined;
      }
      if (this.opts.thinkMs) await new Promise((r) => setTimeout(r, this.opts.thinkMs));
    }
    await client?.end().catch(() => undefined);
  }
}

/** Clients whose counter on this side is not exactly their acknowledged increments (within the uncertain ones). */
export async function counterMismatches(
  client: pg.ClientBase,
  schema: string,
  report: CounterReport,
): Promise<Array<{ client: number; n: number; acknowledged: number }>> {
  const rows = (await client.query<{ client: number; n: string }>(`SELECT client, n::text FROM ${id(schema)}.counters ORDER BY client`))
    .rows;
  return rows
    .map((r) => ({ client: r.client, n: Number(r.n), acknowledged: report.acknowledged[r.client] ?? 0 }))
    .filter((r) => r.n < r.acknowledged || r.n > r.acknowledged + (report.uncertain[r.client] ?? 0));
}
