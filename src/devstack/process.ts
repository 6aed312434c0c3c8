// Child processes of the local stack: detached daemons with log files, readiness polling and stop.
// Daemons outlive `dev up` on purpose; their pids are recorded in the stack's state file.
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export interface RunAs {
  uid: number;
  gid: number;
}

export interface DaemonOptions {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Set over `env` (or the caller's environment); kept in the state file, so never a secret. */
  extraEnv?: Record<string, string>;
  runAs?: RunAs;
}

/** Starts a detached daemon whose stdout and stderr go to its log file; returns its pid. */
export function startDaemon(opts: DaemonOptions): number {
  const log = openSync(opts.logFile, 'a');
  try {
    const child = spawn(opts.command, opts.args, {
      cwd: opts.cwd,
      env: { ...(opts.env ?? process.env), ...opts.extraEnv },
      detached: true,
      stdio: ['ignore', log, log],
      ...(opts.runAs ? { uid: opts.runAs.uid, gid: opts.runAs.gid } : {}),
    });
    if (child.pid === undefined) {
      throw new Error(`could not start ${opts.name} (${opts.command}); see ${opts.logFile}`);
    }
    child.unref();
    return child.pid;
  } finally {
    closeSync(log);
  }
}

export function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie (exited, not yet reaped) still answers signal 0, and one reaped since is gone: ps tells.
  const stat = spawnSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).stdout.trim();
  return stat !== '' && !stat.startsWith('Z');
}

/**
 * Sends SIGTERM to the daemon's process group (or `signal` to the daemon alone: PostgreSQL's
 * postmaster takes SIGINT as a fast and SIGQUIT as an immediate shutdown), then SIGKILL to the group
 * after the grace period.
 */
export async function stopDaemon(pid: number, graceMs = 10_000, signal?: NodeJS.Signals): Promise<void> {
  if (!isAlive(pid)) return;
  if (signal) process.kill(pid, signal);
  else signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return;
    await sleep(50);
  }
  signalGroup(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(20);
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Runs a command to completion; throws with its output when it fails. */
export function runOrThrow(command: string, args: string[], opts: SpawnSyncOptions = {}): string {
  const res = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  if (res.error) throw new Error(`${command} could not run: ${res.error.message}`);
  if (res.status !== 0) {
    const out = `${res.stdout ?? ''}${res.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n');
    throw new Error(`${command} ${args.join(' ')} exited with ${res.status}:\n${out}`);
  }
  return String(res.stdout ?? '');
}

/**
 * Where the stack's listening ports come from: outside the kernel's ephemeral range. A port from
 * listen(0) is an ephemeral one, which an outgoing connection (a client of etcd or PostgreSQL) can
 * take between our probe and the daemon's bind: the daemon then fails with "address already in use".
 */
export function listeningPortRange(ephemeral: [number, number]): [number, number] {
  const [low, high] = ephemeral;
  if (low - 1 - 20_000 >= 2_000) return [20_000, low - 1];
  if (65_535 - (high + 1) >= 2_000) return [high + 1, 65_535];
  return [low, high];
}

function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low && high && low < high) return [low, high];
  } catch {
    // Not Linux: the usual default.
  }
  return [32_768, 60_999];
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** Ports this process handed out: a daemon may not have bound its port yet when the next is asked for. */
const handedOut = new Set<number>();

/** A free port for a daemon of the stack, outside the ephemeral range (see listeningPortRange). */
export async function freePort(): Promise<number> {
  const [from, to] = listeningPortRange(ephemeralRange());
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = from + Math.floor(Math.random() * (to - from + 1));
    if (handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port between ${from} and ${to} after 500 tries`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `probe` until it resolves true; fails with the daemon's name, the last error and its log
 * when the daemon dies or the timeout passes.
 */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  opts: { timeoutMs: number; pid?: number; logFile?: string },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      // A probe that hangs (a half-open socket) must not hang start-up: each try gets 5 s.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('probe timed out')), 5000);
      });
      const ok = await Promise.race([probe(), timeout]).finally(() => clearTimeout(timer));
      if (ok) return;
    } catch (err) {
      lastError = (err as Error).message;
    }
    if (opts.pid !== undefined && !isAlive(opts.pid)) {
      throw new Error(`${what} exited during start-up${hint(opts.logFile)}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`${what} not ready after ${opts.timeoutMs} ms${lastError ? ` (${lastError})` : ''}${hint(opts.logFile)}`);
    }
    await sleep(100);
  }
}

function hint(logFile: string | undefined): string {
  return logFile ? `; see ${logFile}` : '';
}
