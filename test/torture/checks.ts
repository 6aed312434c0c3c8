// The invariants after every torture move, each returned as plain violations (empty: it holds) so
// that a campaign reports all of them for the seed that broke them.
import pg from 'pg';
import { counterMismatches } from '../../src/devstack/counters.js';
import type { Fault } from './draw.js';
import type { Ledger, MoveReports } from './workload.js';

const id = pg.escapeIdentifier;

/**
 * The bank on one side: money conserved, each account equal to its ledger, each transfer two rows,
 * every acknowledged transfer there, nothing there that was neither acknowledged nor left uncertain.
 */
export async function bookViolations(c: pg.ClientBase, schema: string, accounts: number, ledger: Ledger): Promise<string[]> {
  const w = id(schema);
  const res = await c.query<{ total: string; mismatched: string; split: string; missing: string; extra: string }>(
    `WITH acked AS (SELECT unnest($1::uuid[]) AS id), maybe AS (SELECT unnest($2::uuid[]) AS id),
          present AS (SELECT transfer_id AS id, count(*) AS n FROM ${w}.ledger GROUP BY transfer_id)
     SELECT (SELECT sum(balance)::text FROM ${w}.accounts) AS total,
            (SELECT count(*)::text FROM ${w}.accounts a
              WHERE a.balance <> 1000 + COALESCE((SELECT sum(amount) FROM ${w}.ledger l WHERE l.account_id = a.id), 0)) AS mismatched,
            (SELECT count(*)::text FROM present WHERE n <> 2) AS split,
            (SELECT count(*)::text FROM acked WHERE id NOT IN (SELECT id FROM present)) AS missing,
            (SELECT count(*)::text FROM present WHERE id NOT IN (SELECT id FROM acked UNION ALL SELECT id FROM maybe)) AS extra`,
    [ledger.acknowledged, ledger.uncertain],
  );
  const r = res.rows[0];
  const out: string[] = [];
  if (r?.total !== `${1000 * accounts}.00`) out.push(`money not conserved: total ${r?.total}, expected ${1000 * accounts}.00`);
  if (r?.mismatched !== '0') out.push(`${r?.mismatched} account(s) differ from their ledger`);
  if (r?.split !== '0') out.push(`${r?.split} transfer(s) not exactly two ledger rows (lost half or applied twice)`);
  if (r?.missing !== '0') out.push(`${r?.missing} acknowledged transfer(s) missing`);
  if (r?.extra !== '0') out.push(`${r?.extra} transfer(s) present that no client committed`);
  return out;
}

/** Hot counters: each client's row equals its acknowledged increments (up to the uncertain ones). */
export async function counterViolations(c: pg.ClientBase, schema: string, ledger: Ledger): Promise<string[]> {
  const off = await counterMismatches(c, schema, ledger.counters());
  return off.map(
    (m) => `counter of client ${m.client} is ${m.n}, ${m.acknowledged} acknowledged (+${ledger.counterUncertain[m.client]} uncertain)`,
  );
}

/** A digest of everything the workloads write: the side kept warm must reach the serving side's exactly. */
export async function tenantDigest(c: pg.ClientBase, schema: string): Promise<string> {
  const w = id(schema);
  const res = await c.query<{ d: string }>(
    `SELECT md5(concat_ws('|',
        (SELECT string_agg(id || ':' || balance, ',' ORDER BY id) FROM ${w}.accounts),
        (SELECT count(*) || ':' || COALESCE(sum(hashtext(id::text || transfer_id::text || amount::text)::bigint), 0) FROM ${w}.ledger),
        (SELECT string_agg(client || ':' || n, ',' ORDER BY client) FROM ${w}.counters))) AS d`,
  );
  return res.rows[0]?.d ?? '';
}

/** What clients of each workload may see under a fault (docs/cutover.md, "When a client can see a permission error"). */
export function clientErrorViolations(reports: MoveReports, faults: Fault[]): string[] {
  const refused = /permission denied/;
  const broken = new RegExp(
    [
      'terminat',
      'shut(ting)? down',
      'ECONNRESET',
      'connection error',
      'ECONNREFUSED',
      'connect:',
      'server closed',
      'recovery mode',
      'starting up',
      'no more connections',
      'server_login_retry',
      'pgbouncer cannot connect',
      'query_wait_timeout',
      'client_login_timeout',
      'server conn crashed',
      'EPIPE',
      'SSL',
    ].join('|'),
    'i',
  );
  // Refusals of the side given up, for pooled clients: the operator or an agent lost mid-move, or cut off from the API.
  const lost = ['operator-failpoint', 'operator-kill', 'leadership-change', 'agent-kill', 'agent-failpoint', 'apiserver-stop'];
  const pooledMayBeRefused = faults.some((f) => lost.includes(f.kind));
  const connectionsBreak = faults.some((f) => f.kind === 'pgbouncer-restart' || f.kind === 'postgres-restart');
  const out: string[] = [];
  const judge = (what: string, failures: string[], refusalOk: boolean): void => {
    const bad = failures.filter((m) => !(refusalOk && refused.test(m)) && !(connectionsBreak && broken.test(m)));
    if (bad.length > 0)
      out.push(`${bad.length} ${what} failure(s) the docs do not allow, e.g. ${[...new Set(bad)].slice(0, 3).join(' / ')}`);
  };
  judge(
    'pooled transfer',
    reports.pooled.failures.map((f) => f.message),
    pooledMayBeRefused,
  );
  judge('hot counter', reports.counters.failures, pooledMayBeRefused);
  // The writers around PgBouncer are refused on a side whenever it does not serve, and in every freeze.
  judge(
    'bypassing transfer',
    reports.bypass.failures.map((f) => f.message),
    true,
  );
  return out;
}

export interface Artifacts {
  slots: Array<{ name: string; active: boolean; temporary: boolean }>;
  publications: string[];
  subscriptions: Array<{ name: string; enabled: boolean }>;
}

export async function artifactsOn(c: pg.ClientBase): Promise<Artifacts> {
  const slots = await c.query<{ name: string; active: boolean; temporary: boolean }>(
    'SELECT slot_name AS name, active, temporary FROM pg_catalog.pg_replication_slots ORDER BY 1',
  );
  const pubs = await c.query<{ name: string }>('SELECT pubname AS name FROM pg_catalog.pg_publication ORDER BY 1');
  const subs = await c.query<{ name: string; enabled: boolean }>(
    `SELECT subname AS name, subenabled AS enabled FROM pg_catalog.pg_subscription
      WHERE subdbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()) ORDER BY 1`,
  );
  return { slots: slots.rows, publications: pubs.rows.map((p) => p.name), subscriptions: subs.rows };
}

/**
 * After a settled move, replication runs one way, serving side to the other: one publication and
 * one active slot on the serving side (no table-sync slot left), one enabled subscription on the
 * other, and nothing else of the tenant's on either server.
 */
export function artifactViolations(
  serving: Artifacts,
  warm: Artifacts,
  names: { forward: string; reverse: string },
  side: 'source' | 'target',
): string[] {
  const feed = side === 'source' ? names.forward : names.reverse;
  const out: string[] = [];
  const slotNames = serving.slots.map((s) => s.name);
  if (!serving.slots.some((s) => s.name === feed && s.active)) out.push(`no active slot ${feed} on the serving ${side}`);
  const stray = [...slotNames.filter((n) => n !== feed), ...warm.slots.map((s) => `${s.name} (on the side kept warm)`)];
  if (stray.length > 0) out.push(`replication slots nobody needs: ${stray.join(', ')}`);
  if (!serving.publications.includes(feed)) out.push(`no publication ${feed} on the serving ${side}`);
  const subs = warm.subscriptions.map((s) => `${s.name}${s.enabled ? '' : ' (disabled)'}`);
  if (subs.join() !== feed) out.push(`the side kept warm should subscribe to ${feed} alone, has [${subs.join(', ')}]`);
  if (serving.subscriptions.length > 0) out.push(`the serving ${side} subscribes: ${serving.subscriptions.map((s) => s.name).join(', ')}`);
  if (warm.publications.includes(feed)) out.push(`the side kept warm still publishes ${feed}`);
  return out;
}
