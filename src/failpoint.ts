import { existsSync } from 'node:fs';

// Fault injection for crash tests: TENANTSHIFT_FAILPOINT=<name> makes the process SIGKILL itself when
// it reaches the named point, exactly like a node failure there; `<name>:stall=<ms>` freezes the whole
// process there instead (no timer, no lease renewal runs), like a long GC pause or a stopped VM, and
// then lets it go on with what it knew before; `<name>:throw` throws there, as a lost answer would.
// `<name>:hold=<file>` (only at the points that await `heldFailpoint`) parks that one task until the
// file exists while the rest of the process runs on: a test opens a window there, does its work in
// it, and closes it, with no timing to win. Unset in production: a no-op.
// Several points at once are separated by commas (`RouteWrite:throw,RouteReadBack:hold=<file>`): a
// fault and the window after it.
function parse(name: string): string | undefined {
  const specs = process.env.TENANTSHIFT_FAILPOINT;
  if (!specs) return undefined;
  for (const spec of specs.split(',')) {
    const colon = spec.indexOf(':');
    const point = colon < 0 ? spec : spec.slice(0, colon);
    if (point === name) return colon < 0 ? '' : spec.slice(colon + 1);
  }
  return undefined;
}

export function failpoint(name: string): void {
  const action = parse(name);
  if (action === undefined || action.startsWith('hold=')) return;
  const stall = /^stall=(\d+)$/.exec(action);
  if (stall) {
    process.stderr.write(`failpoint ${name}: stalling ${stall[1]} ms\n`); // what a test waits for
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(stall[1]));
  } else if (action === 'throw') throw new Error(`failpoint ${name}: the answer was lost`);
  else process.kill(process.pid, 'SIGKILL');
}

/** The point a test can also hold open (`hold=<file>`), for at most `limitMs`; otherwise as `failpoint`. */
export async function heldFailpoint(name: string, limitMs = 120_000): Promise<void> {
  const action = parse(name);
  if (!action?.startsWith('hold=')) return failpoint(name);
  const file = action.slice('hold='.length);
  process.stderr.write(`failpoint ${name}: holding until ${file} exists\n`); // what a test waits for
  const until = Date.now() + limitMs;
  while (!existsSync(file) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  process.stderr.write(`failpoint ${name}: released\n`);
}

/** How --help names it (the operator and the route agent read it). */
export const FAILPOINT_VARIABLE = {
  name: 'TENANTSHIFT_FAILPOINT',
  help:
    'fault tests only: <point> SIGKILLs the process there, <point>:stall=<ms> freezes it, <point>:throw throws, ' +
    '<point>:hold=<file> parks the move until the file exists; several points separated by commas',
} as const;
