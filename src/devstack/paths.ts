// Where the local stack keeps things: the build cache (outside any checkout, shared by runs) and
// the per-stack state directory (kubeconfig, credentials, logs, pids).
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const KUBERNETES_VERSION = 'v1.36.3';
export const ETCD_VERSION = 'v3.6.16';
export const DEFAULT_STATE_DIR = '.tenantshift/dev';

/** The package root (where hack/, crds/ and package.json live), found from this compiled file. */
export function packageRoot(): string {
  // dist/src/devstack/paths.js -> three levels up
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
}

export function cacheDir(): string {
  if (process.env.TENANTSHIFT_CACHE_DIR) return resolve(process.env.TENANTSHIFT_CACHE_DIR);
  const base = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  return join(base, 'tenantshift');
}

export interface StackPaths {
  stateDir: string;
  stateFile: string;
  kubeconfig: string;
  logDir: string;
  /** Data of the servers that must not run as root; readable by their unprivileged user. */
  runtimeDir: string;
}

export function stackPaths(stateDir: string, runningAsRoot: boolean): StackPaths {
  const abs = resolve(stateDir);
  // As root the state dir may sit under /root, which the unprivileged server user cannot enter.
  const runtimeDir = runningAsRoot
    ? join('/var/tmp/tenantshift', createHash('sha256').update(abs).digest('hex').slice(0, 12))
    : join(abs, 'run');
  return {
    stateDir: abs,
    stateFile: join(abs, 'stack.json'),
    kubeconfig: join(abs, 'kubeconfig'),
    logDir: join(abs, 'logs'),
    runtimeDir,
  };
}
