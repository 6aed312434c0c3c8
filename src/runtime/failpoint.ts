// Fault injection for crash tests: TENANTSHIFT_FAILPOINT=<name> makes the process SIGKILL itself when
// it reaches the named point, exactly like a node failure there. Unset in production: a no-op.
export function failpoint(name: string): void {
  if (process.env.TENANTSHIFT_FAILPOINT === name) process.kill(process.pid, 'SIGKILL');
}
