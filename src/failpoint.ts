// Fault injection for crash tests: TENANTSHIFT_FAILPOINT=<name> makes the process SIGKILL itself when
// it reaches the named point, exactly like a node failure there; `<name>:stall=<ms>` freezes the whole
// process there instead (no timer, no lease renewal runs), like a long GC pause or a stopped VM, and
// then lets it go on with what it knew before; `<name>:throw` throws there, as a lost answer would.
// Unset in production: a no-op.
export function failpoint(name: string): void {
  const spec = process.env.TENANTSHIFT_FAILPOINT;
  if (!spec) return;
  const [point, action] = spec.split(':');
  if (point !== name) return;
  const stall = /^stall=(\d+)$/.exec(action ?? '');
  if (stall) {
    process.stderr.write(`failpoint ${name}: stalling ${stall[1]} ms\n`); // what a test waits for
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(stall[1]));
  } else if (action === 'throw') throw new Error(`failpoint ${name}: the answer was lost`);
  else process.kill(process.pid, 'SIGKILL');
}

/** How --help names it (the operator and the route agent read it). */
export const FAILPOINT_VARIABLE = {
  name: 'TENANTSHIFT_FAILPOINT',
  help: 'fault tests only: <point> SIGKILLs the process there, <point>:stall=<ms> freezes it, <point>:throw throws',
} as const;
