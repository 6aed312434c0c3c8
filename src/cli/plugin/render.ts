// The status view of a tenant's move, pure text from the objects and a clock: one block per
// cutover (route, move, write pause, replication, validation gate, Ready) and one table for many.
import type { Condition } from '../../api/common.js';
import { parseDurationMs } from '../../api/duration.js';
import { DEFAULT_MAX_WRITE_PAUSE, DEFAULT_RETRY } from '../../api/tenantcutover.js';
import type { TenantView } from './objects.js';

export function formatBytes(n: number | undefined): string {
  if (n === undefined) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ''}`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60) ? `${Math.floor((s % 3600) / 60)}m` : ''}`;
  return `${Math.floor(s / 86400)}d`;
}

function condition(list: Condition[] | undefined, type: string): Condition | undefined {
  return list?.find((c) => c.type === type);
}

function conditionText(c: Condition | undefined): string {
  return c ? `${c.status} ${c.reason}: ${c.message}` : 'no status yet';
}

/** A bar of how much of the write-pause budget the freeze in progress has used. */
export function budgetBar(usedMs: number, budgetMs: number, width = 20): string {
  const filled = Math.min(width, Math.max(0, Math.round((usedMs / Math.max(1, budgetMs)) * width)));
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.max(0, Math.round(usedMs))} ms of ${budgetMs} ms`;
}

/** spec.maxWritePause in milliseconds; a value the API would refuse shows as 0 rather than failing the view. */
function budgetMsOf(text: string): number {
  try {
    return parseDurationMs(text);
  } catch {
    return 0;
  }
}

type Cutover = TenantView['cutover'];
type CutoverStatus = NonNullable<Cutover['status']>;

/** The block for one tenant; `now` makes the live parts (freeze elapsed, ages) deterministic in tests. */
export function renderTenant(view: TenantView, now: Date): string {
  const { cutover } = view;
  const spec = cutover.spec;
  const st = cutover.status ?? {};
  const budget = spec.maxWritePause ?? DEFAULT_MAX_WRITE_PAUSE;
  const lines: string[] = [];
  lines.push(`TenantCutover ${cutover.metadata.namespace}/${cutover.metadata.name}`);
  lines.push(routeLine(cutover, st));
  lines.push(moveLine(cutover, st));
  lines.push(...stepLines(st, budget, now));
  const pause = st.writePause?.milliseconds;
  lines.push(`  Write pause  ${pause === undefined ? 'none yet' : `${pause} ms`} (budget ${budget})`);
  const rehearsal = st.lastRehearsal;
  if (rehearsal)
    lines.push(
      `  Rehearsal    ${rehearsal.result}, ${rehearsal.writePauseMilliseconds} ms pause, ` +
        `${formatAge(now.getTime() - Date.parse(rehearsal.at))} ago`,
    );
  if (st.nextAttemptAt) lines.push(`  Next retry   ${st.nextAttemptAt}${st.lastAbortReason ? ` after: ${st.lastAbortReason}` : ''}`);
  lines.push(`  Replication  ${renderReplication(view)}`);
  lines.push(`  Validation   ${validationText(cutover, st)}`);
  lines.push(`  Ready        ${conditionText(condition(st.conditions, 'Ready'))}`);
  lines.push(...lastMoveLines(st, now));
  return `${lines.join('\n')}\n`;
}

function routeLine(cutover: Cutover, st: CutoverStatus): string {
  const pool = cutover.spec.routing.pgbouncer;
  const route = st.route ? `${st.route.host}:${st.route.port}/${st.route.dbname}, revision ${st.route.revision}` : 'not owned yet';
  return `  Route        pool ${pool.pool}, database ${pool.database} -> ${st.activeSide ?? 'source'} (${route})`;
}

function moveLine(cutover: Cutover, st: CutoverStatus): string {
  const spec = cutover.spec;
  const attemptsAllowed = spec.retry?.attempts ?? DEFAULT_RETRY.attempts;
  const complete = spec.complete ? `, complete${st.completed ? 'd' : ' asked'}` : '';
  const intent = `approved ${spec.approved ? 'yes' : 'no'}, rollback ${spec.rollback ? 'yes' : 'no'}${complete}`;
  return `  Move         phase ${st.phase ?? '-'}, ${intent}, attempts ${st.attempts ?? 0}/${attemptsAllowed + 1}`;
}

function stepLines(st: CutoverStatus, budget: string, now: Date): string[] {
  if (!st.step) return ['  Step         - (no move in progress)'];
  const lines = [`  Step         ${st.step}${st.movingTo ? ` (moving to the ${st.movingTo})` : ''}`];
  if (st.freezeStartedAt) lines.push(`  Freeze       ${budgetBar(now.getTime() - Date.parse(st.freezeStartedAt), budgetMsOf(budget))}`);
  return lines;
}

function validationText(cutover: Cutover, st: CutoverStatus): string {
  const gate = cutover.spec.requireValidationWithin;
  if (!gate) return 'not required (spec.requireValidationWithin unset)';
  const pre = condition(st.conditions, 'PreconditionsMet');
  return `required within ${gate}; preconditions ${pre ? `${pre.status} (${pre.reason})` : 'not checked yet'}`;
}

function lastMoveLines(st: CutoverStatus, now: Date): string[] {
  const last = st.history?.[0];
  if (!last) return [];
  const ago = formatAge(now.getTime() - Date.parse(last.finishedAt));
  const pause = last.writePauseMilliseconds !== undefined ? `, ${last.writePauseMilliseconds} ms pause` : '';
  const lines = [`  Last move    ${last.result} to the ${last.to} ${ago} ago${pause}${last.reason ? `: ${last.reason}` : ''}`];
  if (last.steps?.length) lines.push(`  Its freeze   ${last.steps.map((s) => `${s.name} +${s.atMilliseconds}ms`).join(', ')}`);
  return lines;
}

function renderReplication(view: TenantView): string {
  const r = view.replication;
  if (!r) return `SchemaReplication ${view.cutover.spec.replicationRef.name} not found`;
  const st = r.status ?? {};
  const ready = condition(st.conditions, 'Ready');
  const tables = st.tables ? `tables ${st.tables.ready ?? 0}/${st.tables.total ?? 0}` : 'tables -';
  const lag = `lag ${formatBytes(st.lag?.bytes)} / ${st.lag?.seconds ?? '-'} s`;
  const slot = st.slot?.retainedBytes !== undefined ? `, slot retains ${formatBytes(st.slot.retainedBytes)}` : '';
  return `${r.metadata.name}: ${st.phase ?? 'Pending'}, Ready ${ready?.status ?? 'Unknown'}, ${tables}, ${lag}${slot}`;
}

/** One line per cutover, like `kubectl get`, for a namespace or all of them. */
export function renderTable(views: TenantView[]): string {
  if (views.length === 0) return 'No TenantCutovers found.\n';
  const header = ['NAMESPACE', 'NAME', 'ACTIVE', 'PHASE', 'STEP', 'READY', 'REPLICATION', 'LAG', 'PAUSE', 'APPROVED'];
  const rows = views.map(tableRow);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

function replicationCell(r: TenantView['replication']): string {
  if (!r) return 'missing';
  return condition(r.status?.conditions, 'Ready')?.status === 'True' ? 'Ready' : (r.status?.phase ?? 'Pending');
}

function pauseCell(st: CutoverStatus | undefined): string {
  const ms = st?.writePause?.milliseconds;
  return ms !== undefined ? `${ms}ms` : '-';
}

function nameCells(c: Cutover): string[] {
  return [c.metadata.namespace ?? '', c.metadata.name ?? ''];
}

function tableRow({ cutover: c, replication: r }: TenantView): string[] {
  const st = c.status;
  return [
    ...nameCells(c),
    st?.activeSide ?? 'source',
    st?.phase ?? '-',
    st?.step ?? '-',
    condition(st?.conditions, 'Ready')?.status ?? 'Unknown',
    replicationCell(r),
    formatBytes(r?.status?.lag?.bytes),
    pauseCell(st),
    c.spec.approved ? 'yes' : 'no',
  ];
}
