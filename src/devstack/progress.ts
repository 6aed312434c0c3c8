// Progress lines of the local stack's long steps, on stderr so that `dev env` output stays clean.

export function say(message: string): void {
  process.stderr.write(`tenantshift: ${message}\n`);
}

/** Prints a heartbeat with the elapsed time every `everyMs` while `work` runs. */
export async function withHeartbeat<T>(what: string, work: Promise<T>, everyMs = 30_000): Promise<T> {
  const started = Date.now();
  const timer = setInterval(() => {
    say(`${what}: still working (${Math.round((Date.now() - started) / 1000)} s)`);
  }, everyMs);
  try {
    const result = await work;
    say(`${what}: done in ${Math.round((Date.now() - started) / 1000)} s`);
    return result;
  } finally {
    clearInterval(timer);
  }
}
