// Wallet traffic through PgBouncer for the demo, the tests and the benchmarks: concurrent transfers,
// every acknowledged commit logged by the client, every failure counted, and the invariants a
// payments auditor would check afterwards.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { transfer } from './estate.js';

export interface TrafficOptions {
  /** One setting, or several (every PgBouncer replica): worker w connects through entry w mod n. */
  connection: pg.ClientConfig | pg.ClientConfig[];
  walletSchema: string;
  accounts: number;
  workers: number;
  /** Pause between a worker's transfers. */
  thinkMs?: number;
  /** Upper bound of transfers per worker (the loop is bounded by count as well as by stop()). */
  maxPerWorker?: number;
}

export interface TrafficReport {
  acknowledged: string[];
  failures: Array<{ at: number; message: string }>;
  /**
   * Transfers whose outcome the client cannot know: the connection broke or the server went away
   * around the COMMIT (they may be there, once, or not at all). A statement the server refused is not one.
   */
  uncertain: string[];
  /** Longest time one transfer took from BEGIN to acknowledged COMMIT. */
  maxLatencyMs: number;
}

export class WalletTraffic {
  private running = true;
  private readonly acknowledged: string[] = [];
  private readonly failures: Array<{ at: number; message: string }> = [];
  private readonly uncertain: string[] = [];
  private maxLatencyMs = 0;
  private readonly workers: Array<Promise<void>> = [];

  constructor(private readonly opts: TrafficOptions) {}

  start(): this {
    for (let w = 0; w < this.opts.workers; w++) this.workers.push(this.worker(w));
    return this;
  }

  get count(): number {
    return this.acknowledged.length;
  }

  async stop(): Promise<TrafficReport> {
    this.running = false;
    await Promise.all(this.workers);
    return {
      acknowledged: [...this.acknowledged],
      failures: [...this.failures],
      uncertain: [...this.uncertain],
      maxLatencyMs: this.maxLatencyMs,
    };
  }

  private async worker(w: number): Promise<void> {
    const max = this.opts.maxPerWorker ?? 200_000;
    let client: pg.Client | undefined;
    for (let i = 0; this.running && i < max; i++) {
      if (!client) {
        try {
          const through = [this.opts.connection].flat();
          client = new pg.Client(through[w % through.length]);
          client.on('error', () => undefined); // surfaces as a failed transfer, counted below
          await client.connect();
        } catch (err) {
          // Could not even connect: nothing was attempted, so nothing can be lost; count it and retry.
          this.failures.push({ at: Date.now(), message: `connect: ${(err as Error).message}` });
          await client?.end().catch(() => undefined);
          client = undefined;
          await new Promise((r) => setTimeout(r, 200));
          continue;
        }
      }
      const from = 1 + ((w * 7919 + i * 31) % this.opts.accounts);
      let to = 1 + ((from + (i % (this.opts.accounts - 1))) % this.opts.accounts);
      if (to === from) to = (from % this.opts.accounts) + 1;
      const id = randomUUID();
      const started = Date.now();
      try {
        await transfer(client, this.opts.walletSchema, from, to, '0.01', id);
        this.acknowledged.push(id);
        this.maxLatencyMs = Math.max(this.maxLatencyMs, Date.now() - started);
      } catch (err) {
        this.failures.push({ at: Date.now(), message: (err as Error).message });
        if (outcomeUnknown(err)) this.uncertain.push(id);
        // The transfer was not acknowledged, so it is not counted; a fresh connection follows.
        await client.end().catch(() => undefined);
        client = undefined;
      }
      if (this.opts.thinkMs) await new Promise((r) => setTimeout(r, this.opts.thinkMs));
    }
    await client?.end().catch(() => undefined);
  }
}

/**
 * Whether a failed statement may still have committed: anything but an error the server answered
 * for the statement itself (SQLSTATE classes 08 connection, 57 operator intervention and XX internal
 * mean the server went away around it).
 */
export function outcomeUnknown(err: unknown): boolean {
  if (!(err instanceof pg.DatabaseError)) return true;
  return /^(08|57|XX)/.test(err.code ?? 'XX');
}

export interface Invariants {
  totalBalance: string;
  ledgerRows: number;
  distinctTransfers: number;
  duplicateLedgerIds: number;
  accountsNotMatchingLedger: number;
  missingAcknowledged: number;
  unacknowledgedPresent: number;
}

/** What checkInvariants must find when nothing was lost: money conserved, every acknowledged transfer exactly once. */
export function balancedBook(accounts: number, acknowledged: string[]): Invariants {
  return {
    totalBalance: `${1000 * accounts}.00`,
    ledgerRows: 2 * acknowledged.length,
    distinctTransfers: acknowledged.length,
    duplicateLedgerIds: 0,
    accountsNotMatchingLedger: 0,
    missingAcknowledged: 0,
    unacknowledgedPresent: 0,
  };
}

/** The bank checks on one side: money conserved, accounts equal their ledgers, every acknowledged commit present exactly once. */
export async function checkInvariants(client: pg.Client, walletSchema: string, acknowledged: string[]): Promise<Invariants> {
  const w = pg.escapeIdentifier(walletSchema);
  const totals = await client.query<{ total: string; rows: string; transfers: string; dup: string }>(
    `SELECT (SELECT sum(balance)::text FROM ${w}.accounts) AS total,
            (SELECT count(*)::text FROM ${w}.ledger) AS rows,
            (SELECT count(DISTINCT transfer_id)::text FROM ${w}.ledger) AS transfers,
            (SELECT count(*)::text FROM (SELECT id FROM ${w}.ledger GROUP BY id HAVING count(*) > 1) d) AS dup`,
  );
  const mismatched = await client.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM ${w}.accounts a
      WHERE a.balance <> 1000 + COALESCE((SELECT sum(amount) FROM ${w}.ledger l WHERE l.account_id = a.id), 0)`,
  );
  const acked = await client.query<{ missing: string; extra: string }>(
    `WITH acked AS (SELECT unnest($1::uuid[]) AS id), present AS (SELECT DISTINCT transfer_id AS id FROM ${w}.ledger)
     SELECT (SELECT count(*)::text FROM acked WHERE id NOT IN (SELECT id FROM present)) AS missing,
            (SELECT count(*)::text FROM present WHERE id NOT IN (SELECT id FROM acked)) AS extra`,
    [acknowledged],
  );
  const t = totals.rows[0];
  return {
    totalBalance: t?.total ?? '0',
    ledgerRows: Number(t?.rows ?? 0),
    distinctTransfers: Number(t?.transfers ?? 0),
    duplicateLedgerIds: Number(t?.dup ?? 0),
    accountsNotMatchingLedger: Number(mismatched.rows[0]?.n ?? 0),
    missingAcknowledged: Number(acked.rows[0]?.missing ?? 0),
    unacknowledgedPresent: Number(acked.rows[0]?.extra ?? 0),
  };
}
