// Watch mode: the status view redrawn as the move goes. On a terminal it redraws in place every
// interval (the freeze bar moves); piped, it prints the view only when the objects changed.
import type { TenantCutover } from '../../api/index.js';
import { sleep } from '../../clock.js';
import type { PluginObjects, TenantView } from './objects.js';
import { renderTenant } from './render.js';

export interface WatchOptions {
  namespace: string;
  name: string;
  intervalMs: number;
  /** Redraw in place (ANSI) instead of appending changed views. */
  tty: boolean;
  /** Exit once the move settles: 0 when Ready with no move in progress, 1 when retries are exhausted. */
  untilSettled: boolean;
  signal: AbortSignal;
  out(text: string): void;
  err(text: string): void;
  now?: () => Date;
}

const CLEAR = '\x1b[H\x1b[2J';

/** Settled: the side asked for serves (Ready, no step), or the move gave up. */
export function settledExit(c: TenantCutover): number | undefined {
  const conditions = c.status?.conditions ?? [];
  if (conditions.some((x) => x.type === 'RetriesExhausted' && x.status === 'True')) return 1;
  const ready = conditions.find((x) => x.type === 'Ready');
  const current = ready && ready.observedGeneration === c.metadata.generation;
  if (current && ready.status === 'True' && !c.status?.step) return 0;
  return undefined;
}

export async function watchTenant(objects: PluginObjects, opts: WatchOptions): Promise<number> {
  const now = opts.now ?? (() => new Date());
  let lastFingerprint = '';
  let problem = '';
  const report = (text: string): void => {
    if (text !== problem) opts.err(`${text}\n`);
    problem = text;
  };
  while (!opts.signal.aborted) {
    // The API may blink (a restart, a timeout): watching goes on and says so once.
    const view = await objects.view(opts.namespace, opts.name).catch((err: Error) => err);
    if (view instanceof Error) {
      report(`Could not read TenantCutover ${opts.namespace}/${opts.name}: ${view.message}; retrying`);
    } else if (!view) {
      report(`TenantCutover ${opts.namespace}/${opts.name} not found; waiting for it`);
    } else {
      problem = '';
      const at = now();
      if (opts.tty) {
        opts.out(`${CLEAR}Every ${opts.intervalMs / 1000}s, ${at.toISOString()} (Ctrl-C to stop)\n\n${renderTenant(view, at)}`);
      } else {
        const fingerprint = fingerprintOf(view);
        if (fingerprint !== lastFingerprint) opts.out(`--- ${at.toISOString()}\n${renderTenant(view, at)}`);
        lastFingerprint = fingerprint;
      }
      const settled = opts.untilSettled ? settledExit(view.cutover) : undefined;
      if (settled !== undefined) return settled;
    }
    await sleep(opts.intervalMs, opts.signal);
  }
  return 0;
}

/** What a change means for the view: both objects' spec and status, not their resourceVersions alone. */
function fingerprintOf(view: TenantView): string {
  return JSON.stringify([view.cutover.spec, view.cutover.status, view.replication?.status]);
}
