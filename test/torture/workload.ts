// The three workloads of the torture test, run together through a move and stopped after it: wallet
// transfers through both PgBouncers, hot counters (update-only, each client its own row) through both,
// and a wallet writer connected straight to each side, around PgBouncer. Their reports accumulate
// over the campaign: every check compares the book with everything ever acknowledged.
import { CounterTraffic, type CounterReport } from '../../src/devstack/counters.js';
import { WalletTraffic, type TrafficReport } from '../../src/devstack/traffic.js';
import { until } from '../support/operator.js';
import type { TenantFixture } from '../support/tenant.js';

export const COUNTER_CLIENTS = 4;

export interface Running {
  pooled: WalletTraffic;
  bypass: WalletTraffic;
  counters: CounterTraffic;
}

export interface MoveReports {
  pooled: TrafficReport;
  bypass: TrafficReport;
  counters: CounterReport;
}

/** Everything acknowledged (and left uncertain) since the campaign began. */
export class Ledger {
  acknowledged: string[] = [];
  uncertain: string[] = [];
  counterAcks = new Array<number>(COUNTER_CLIENTS).fill(0);
  counterUncertain = new Array<number>(COUNTER_CLIENTS).fill(0);

  add(r: MoveReports): void {
    this.acknowledged.push(...r.pooled.acknowledged, ...r.bypass.acknowledged);
    this.uncertain.push(...r.pooled.uncertain, ...r.bypass.uncertain);
    for (let c = 0; c < COUNTER_CLIENTS; c++) {
      this.counterAcks[c] = (this.counterAcks[c] ?? 0) + (r.counters.acknowledged[c] ?? 0);
      this.counterUncertain[c] = (this.counterUncertain[c] ?? 0) + (r.counters.uncertain[c] ?? 0);
    }
  }

  counters(): CounterReport {
    return { acknowledged: [...this.counterAcks], uncertain: [...this.counterUncertain], failures: [] };
  }
}

export async function startWorkloads(t: TenantFixture): Promise<Running> {
  const pooled = new WalletTraffic({
    connection: t.appConnections(),
    walletSchema: t.wallet,
    accounts: t.accounts,
    workers: 4,
    thinkMs: 5,
  }).start();
  // One writer straight to each side: whichever does not serve must refuse every write, in a freeze,
  // an abort and a route write whose outcome is unknown alike (seed 0x0f52f40e: the side taking over
  // took writes before its route was recorded).
  const bypass = new WalletTraffic({
    connection: [t.directAppConnection('source'), t.directAppConnection('target')],
    walletSchema: t.wallet,
    accounts: t.accounts,
    workers: 2,
    thinkMs: 5,
  }).start();
  const counters = new CounterTraffic({ connection: t.appConnections(), schema: t.wallet, clients: COUNTER_CLIENTS, thinkMs: 2 }).start();
  const running = { pooled, bypass, counters };
  await until('the workloads to run', () => pooled.count > 50 && counters.count > 50, 60_000);
  return running;
}

export async function stopWorkloads(r: Running): Promise<MoveReports> {
  const [pooled, bypass, counters] = await Promise.all([r.pooled.stop(), r.bypass.stop(), r.counters.stop()]);
  return { pooled, bypass, counters };
}
